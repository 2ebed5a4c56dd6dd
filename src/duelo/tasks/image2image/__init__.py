"""Paired image-to-image tasks (translate, inpaint, denoise, superres): see task.py."""

from duelo.tasks.image2image.task import TASKS_HERE
from duelo.tasks.registry import TASKS

for _task in TASKS_HERE:
    TASKS.add(_task.name, _task)
