"""Unpaired translation (task "cyclegan"): see task.py."""

from duelo.tasks.cyclegan.task import CycleGAN
from duelo.tasks.registry import TASKS

TASKS.add(CycleGAN.name, CycleGAN())
