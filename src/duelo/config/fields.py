"""Configuration fields that describe themselves: help text, command-line option, allowed values, check,
and whether a re-run may change them. The CLI, the validation and docs/config.md are all read from this
metadata, so a field is declared once:

    total_kimg: float = setting(100.0, "training length in thousands of real samples shown to D",
                                cli="--kimg", check=positive, rerun=True)

Choices that name registry entries point at the registry (`choices=from_registry("duelo.losses:LOSSES")`)
instead of copying its names, so a new entry is a valid value everywhere at once.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from duelo.errors import ConfigError

MISSING = dataclasses.MISSING


# -- checks -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """A predicate on a field's value, with the phrase that names it in errors and docs ("a positive integer")."""

    text: str
    test: Callable[[Any], bool]

    def __call__(self, value: Any, name: str) -> None:
        if not self.test(value):
            raise ConfigError(f"{name} must be {self.text}, got {value!r}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return _number(value) and int(value) == value


positive = Check("a positive number", lambda v: _number(v) and v > 0)
positive_int = Check("a positive integer", lambda v: _integer(v) and v > 0)
nonnegative = Check("a number >= 0", lambda v: _number(v) and v >= 0)
nonnegative_int = Check("an integer >= 0", lambda v: _integer(v) and v >= 0)
at_least_one_image = Check("at least 0.001 (one sample)", lambda v: _number(v) and v * 1000 >= 1)
seed = Check("an integer in [0, 2**32)", lambda v: isinstance(v, int) and not isinstance(v, bool)
             and 0 <= v < 2**32)
plain_name = Check("a plain folder name", lambda v: isinstance(v, str) and bool(v) and v not in (".", "..")
                   and not any(c in v for c in "/\\"))


def fraction(low_open: bool = False, high_open: bool = True) -> Check:
    """A number in [0, 1), with either end open or closed."""
    text = f"in {'(' if low_open else '['}0, 1{')' if high_open else ']'}"
    return Check(text, lambda v: _number(v) and (v > 0 if low_open else v >= 0) and (v < 1 if high_open else v <= 1))


def at_least(low: float, integer: bool = False) -> Check:
    kind = "an integer" if integer else "a number"
    return Check(f"{kind} >= {low:g}", lambda v: (_integer(v) if integer else _number(v)) and v >= low)


def both(*checks: Check) -> Check:
    return Check(" and ".join(c.text for c in checks), lambda v: all(c.test(v) for c in checks))


# -- choices ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistryChoices:
    """The names of a registry ("module:ATTRIBUTE", imported when first needed), plus `extra` special values
    such as "auto" or "none"."""

    target: str
    extra: tuple[str, ...] = ()

    def registry(self):
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def names(self) -> list[str]:
        return [*self.extra, *(n for n in self.registry().names() if n not in self.extra)]

    def unknown_message(self, value: Any, name: str) -> str:
        return f"{name}: {self.registry().unknown_message(value)}" if not self.extra else \
            f"{name} must be one of {', '.join(self.names())}; got {value!r}"


def from_registry(target: str, *extra: str) -> RegistryChoices:
    return RegistryChoices(target, tuple(extra))


def choice_names(choices: tuple[str, ...] | RegistryChoices) -> list[str]:
    return choices.names() if isinstance(choices, RegistryChoices) else list(choices)


# -- the field declaration ----------------------------------------------------------------------------
def setting(default: Any, help: str, *,
            cli:     str | None = None,          # option flag(s): "--kimg", or "--health/--no-health" for a bool
            choices: tuple[str, ...] | RegistryChoices | None = None,   # allowed values (None also allowed when
                                                                        # the field is optional)
            check:   Check | None = None,        # predicate for numbers (None values skip it)
            rerun:   bool = False,               # a re-run may change it without starting a new experiment
            metavar: str | None = None) -> Any:
    """A dataclass field carrying what the CLI, the validation and the docs need to know about it."""
    metadata = {"help": help, "cli": cli, "choices": choices, "check": check, "rerun": rerun, "metavar": metavar}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def meta(spec: dataclasses.Field) -> dict[str, Any]:
    """A field's metadata, with defaults for fields declared without `setting`."""
    return {"help": "", "cli": None, "choices": None, "check": None, "rerun": False, "metavar": None,
            **spec.metadata}


def default_of(spec: dataclasses.Field) -> Any:
    if spec.default is not MISSING:
        return spec.default
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return MISSING


def _tuple(value: Any, item: type) -> tuple:
    """A list from JSON/TOML, or from the command line as JSON or comma-separated text ("a,b" or "256,256")."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (bytes, dict)) or not hasattr(value, "__iter__"):
        raise ValueError(value)
    items = list(value)
    if item is int:
        if any(isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()) for v in items):
            raise ValueError(value)
        return tuple(int(v) for v in items)
    if item is float:
        if any(isinstance(v, bool) for v in items):
            raise ValueError(value)
        return tuple(float(v) for v in items)
    if any(not isinstance(v, (str, int, float)) or isinstance(v, bool) for v in items):
        raise ValueError(value)
    return tuple(str(v) for v in items)


# -- checking and coercing values ---------------------------------------------------------------------
def type_text(spec: dataclasses.Field) -> str:
    return str(spec.type).replace(" | None", "").replace("None | ", "")


def optional(spec: dataclasses.Field) -> bool:
    return "None" in str(spec.type)


def check_value(spec: dataclasses.Field, value: Any, name: str) -> None:
    """Raise ConfigError naming `name` when `value` breaks the field's choices or check."""
    if value is None and optional(spec):
        return
    info = meta(spec)
    choices = info["choices"]
    # a list field with choices (run.loggers) takes each of its items from them
    items = value if isinstance(value, tuple) and type_text(spec).startswith("tuple") else (value,)
    for item in items if choices is not None else ():
        if item not in choice_names(choices):
            if isinstance(choices, RegistryChoices):
                raise ConfigError(choices.unknown_message(item, name))
            raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {item!r}")
    if info["check"] is not None:
        info["check"](value, name)


def coerce(value: Any, spec: dataclasses.Field, name: str) -> Any:
    """Bring JSON/TOML/CLI values to the field's type (ints for int fields, floats for float fields)."""
    annotation = str(spec.type)
    if value is None:
        if not optional(spec):
            raise ConfigError(f"{name} cannot be empty")
        return None
    if isinstance(value, str) and value.lower() in ("none", "null") and optional(spec) \
            and not annotation.startswith("str"):
        return None
    try:
        if annotation.startswith("bool"):
            if isinstance(value, str):
                lowered = value.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return lowered in ("true", "1", "yes")
            if not isinstance(value, (bool, int)):
                raise ValueError(value)
            return bool(value)
        if annotation.startswith("int"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if annotation.startswith("float"):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if annotation.startswith("dict"):
            parsed = json.loads(value) if isinstance(value, str) else value
            if not isinstance(parsed, dict):
                raise ValueError(value)
            return dict(parsed)
        if annotation.startswith("tuple"):
            item = (int if annotation.startswith("tuple[int") else float if annotation.startswith("tuple[float")
                    else str)
            return _tuple(value, item)
        if annotation.startswith("str"):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
        return value
    except (TypeError, ValueError, json.JSONDecodeError):
        raise ConfigError(f"{name} must be {type_text(spec)}, got {value!r}") from None
