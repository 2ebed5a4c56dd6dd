"""2-D Gaussian mixtures (task "toy"): see task.py."""

from duelo.tasks.registry import TASKS
from duelo.tasks.toy.task import Toy

TASKS.add(Toy.name, Toy())
