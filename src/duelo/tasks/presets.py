"""Named presets: the TOML files in duelo/presets/, each a partial configuration on top of its task's defaults
(the task is the file's top-level `task`, image-gan when absent). A task's own name is a preset too: that
task with its defaults (`--preset inpaint` = `--task inpaint`)."""

from __future__ import annotations

import tomllib
from importlib import resources

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks import TASKS, config_from_dict


def _files() -> dict[str, object]:
    folder = resources.files("duelo") / "presets"
    return {p.name[:-5]: p for p in folder.iterdir() if p.name.endswith(".toml")}


def preset_names() -> list[str]:
    return sorted(set(_files()) | set(TASKS.names()))


def load_preset(name: str) -> Config:
    """A named preset on top of its task's defaults."""
    path = _files().get(name)
    if path is None:
        if name in TASKS:
            return TASKS.get(name).default_config()
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(preset_names())}")
    data = tomllib.loads(path.read_text())
    data.pop("description", None)
    return config_from_dict(data, source=f"preset {name!r}")


def preset_description(name: str) -> str:
    path = _files().get(name)
    if path is None:
        return f"task {name}: {TASKS.get(name).description}, with its defaults"
    return str(tomllib.loads(path.read_text()).get("description", ""))


def preset_task(name: str) -> str:
    """The task a preset configures."""
    path = _files().get(name)
    if path is None:
        TASKS.get(name)
        return name
    return str(tomllib.loads(path.read_text()).get("task", "image-gan"))
