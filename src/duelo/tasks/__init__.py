"""Tasks: what duelo trains. Each is a subpackage registering a duelo.tasks.base.Task in TASKS; adding a task
is one subpackage and one line in TASK_PACKAGES.

    from duelo.tasks import TASKS, task_config
    config = task_config("image-gan", {"data.dataset": "digits", "train.total_kimg": 5})
"""

from __future__ import annotations

import importlib
from typing import Any

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks.registry import TASKS

TASK_PACKAGES = (
    "image_gan",        # image synthesis, unconditional or class-conditional
    "image2image",      # pix2pix family: translate, inpaint, denoise, superres
    "cyclegan",         # unpaired translation
    "tabular",          # tables (CTGAN class)
    "toy",              # 2-D Gaussian mixtures
    "timeseries",       # windows of multivariate time series
    "video",            # clips (Moving MNIST)
    "text",             # lines of text (names, your files)
    "music",            # symbolic music (Bach chorales as piano rolls)
    "audio",            # sounds (instrument notes, drums, words) as waves or spectra
)
for _package in TASK_PACKAGES:
    importlib.import_module(f"duelo.tasks.{_package}")

DEFAULT_TASK = "image-gan"


def task_config(task: str = DEFAULT_TASK, overrides: dict[str, Any] | None = None, source: str = "option") -> Config:
    """The task's default configuration with {"section.field": value} overrides applied (and validated)."""
    config = TASKS.get(task).default_config()
    return config.with_overrides(overrides, source) if overrides else config


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    """A configuration from its JSON/TOML form: {"task": ..., "section": {...}, ...}. Files written before
    the task moved out of the train section (train.task) are read too."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a configuration must be a table of sections, not {type(data).__name__}")
    data = dict(data)
    train = data.get("train")
    legacy = train.get("task") if isinstance(train, dict) else None
    task = data.pop("task", None) or legacy or DEFAULT_TASK
    if isinstance(train, dict) and "task" in train:
        data["train"] = {k: v for k, v in train.items() if k != "task"}
    if not isinstance(task, str):
        raise ConfigError(f"{source}: task must be a task name, got {task!r}")
    return TASKS.get(task).default_config().merged(data, source)


def run_config(run, compared: str) -> Config:
    """The configuration a run folder was trained with (RUN/config.json); a model/ folder, which has none, is a
    ConfigError naming what the configuration is needed for (`compared`: "windows", "clips"...)."""
    import json
    from pathlib import Path

    path = Path(run) / "config.json"
    refused = ConfigError(f"{run}: give the run folder (its config.json says which {compared} to compare with), "
                          f"not its model/ folder")
    if not path.is_file():
        raise refused
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read it ({error})") from None
    if isinstance(data, dict) and "format" in data:          # a saved model's config.json, not a run's
        raise refused
    return config_from_dict(data, source=str(path))


def sections_by_task() -> dict[str, dict[str, type]]:
    return {name: TASKS.get(name).sections for name in TASKS.names()}


__all__ = ["TASKS", "config_from_dict", "run_config", "sections_by_task", "task_config"]
