"""Configuration: frozen dataclass sections whose fields describe themselves (duelo.config.fields), the
sections every task shares (duelo.config.common) and the per-run container (duelo.config.container).

A task's configuration is made by duelo.tasks (`task_config("image-gan", {...})`), which knows the tasks;
this package knows none of them.
"""

from duelo.config.common import COMMON_SECTIONS, HealthConfig, OptimConfig, RunConfig, TrainConfig
from duelo.config.container import Config, Schema
from duelo.config.fields import (Check, RegistryChoices, at_least, at_least_one_image, both, fraction,
                                 from_registry, nonnegative, nonnegative_int, plain_name, positive, positive_int,
                                 setting)

__all__ = [
    "COMMON_SECTIONS", "Check", "Config", "HealthConfig", "OptimConfig", "RegistryChoices", "RunConfig", "Schema",
    "TrainConfig", "at_least", "at_least_one_image", "both", "fraction", "from_registry", "nonnegative",
    "nonnegative_int", "plain_name", "positive", "positive_int", "setting",
]
