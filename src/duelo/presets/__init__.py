"""Named presets: the TOML files in this folder, each a partial configuration on top of the defaults."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import TYPE_CHECKING

from duelo.errors import ConfigError

if TYPE_CHECKING:
    from duelo.config import Config


def preset_names() -> list[str]:
    folder = resources.files("duelo") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_preset(name: str) -> "Config":
    """A named preset (src/duelo/presets/NAME.toml) on top of the defaults."""
    path = resources.files("duelo") / "presets" / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(preset_names())}")
    data = tomllib.loads(path.read_text())
    data.pop("description", None)
    from duelo.config import Config

    return Config.from_dict(data, source=f"preset {name!r}")


def preset_description(name: str) -> str:
    path = resources.files("duelo") / "presets" / f"{name}.toml"
    return str(tomllib.loads(path.read_text()).get("description", ""))
