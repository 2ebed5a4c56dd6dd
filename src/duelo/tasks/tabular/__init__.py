"""Tables (task "tabular"): see task.py; the scikit-learn estimator is duelo.tabular.TabularGAN."""

from duelo.tasks.registry import TASKS
from duelo.tasks.tabular.task import Tabular

TASKS.add(Tabular.name, Tabular())
