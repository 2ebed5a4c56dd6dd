"""Click helpers shared by commands: choices read lazily from registries (so importing a command
module stays cheap and `duelo --help` never loads torch)."""

from __future__ import annotations

import importlib
from typing import Any

import click


class RegistryChoice(click.ParamType):
    """A choice among a registry's names; the registry is imported only when help or a value needs it."""

    def __init__(self, target: str, kind: str):
        self.target = target              # "module:ATTRIBUTE" of a duelo.registry.Registry
        self.name = kind

    def registry(self):
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(self.registry().names()) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        registry = self.registry()
        if value not in registry:
            self.fail(registry.unknown_message(value), param, ctx)
        return value


def parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--set section.field=value` pairs into a dict; values stay strings (the config coerces them)."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not SECTION.FIELD=VALUE", param_hint="--set")
        result[key.strip()] = value.strip()
    return result
