"""TASKS: every trainable task by name (`duelo train --task NAME`). A leaf module: tasks register here."""

from duelo.registry import Registry

TASKS: Registry = Registry("task")      # name -> duelo.tasks.base.Task instance
