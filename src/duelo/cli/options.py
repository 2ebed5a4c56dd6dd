"""Click helpers shared by commands: choices read lazily from registries (so importing a command
module stays cheap and `duelo --help` never loads torch)."""

from __future__ import annotations

import importlib
from typing import Any

import click


class RegistryChoice(click.ParamType):
    """A choice among a registry's names; the registry is imported only when help or a value needs it."""

    def __init__(self, target: str, kind: str, extra: tuple[str, ...] = (), **where: Any):
        self.target = target              # "module:ATTRIBUTE" of a duelo.registry.Registry
        self.name = kind
        self.extra = extra                # special values besides the names, e.g. "auto"
        self.where = where                # only entries whose metadata has these values, e.g. holes=True

    def registry(self):
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def choices(self) -> list[str]:
        return [*self.extra, *self.registry().names(**self.where)]

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(self.choices()) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if value not in self.choices():
            registry = self.registry()
            message = registry.unknown_message(value) if value not in registry else \
                f"{value!r} is not one of {', '.join(self.choices())}"
            self.fail(message, param, ctx)
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
