"""Command-line options made from configuration metadata: every field declared with `cli="--flag"` (in any
task's sections, duelo.config.fields.setting) becomes one option; its help, choices and type come from the
field. A flag several tasks declare (`--dataset`, `--model`) is one option that sets whichever field the
chosen task has; a flag the chosen task lacks is refused, naming the tasks that take it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import click

from duelo.config.fields import choice_names, default_of, meta, type_text
from duelo.errors import ConfigError


@dataclass
class FlagFields:
    """One flag: the field it sets in each task that declares it."""

    flag:   str                                  # "--kimg", or "--health/--no-health"
    fields: dict[str, tuple[str, dataclasses.Field]]   # task -> (dotted name, field)

    @property
    def name(self) -> str:                       # click's parameter name
        return self.flag.split("/")[0].lstrip("-").replace("-", "_")

    def field_for(self, task: str) -> str:
        if task not in self.fields:
            owners = ", ".join(sorted(self.fields))
            raise ConfigError(f"{self.flag.split('/')[0]} is a setting of task(s) {owners}; this run's task is "
                              f"{task} (docs/config.md lists every task's settings)")
        return self.fields[task][0]


def collect_flags() -> dict[str, FlagFields]:
    """Every flag declared by any registered task's sections, by click parameter name."""
    from duelo.tasks import TASKS

    flags: dict[str, FlagFields] = {}
    for task in TASKS.names():
        for section_name, section in TASKS.get(task).sections.items():
            for spec in dataclasses.fields(section):
                flag = meta(spec)["cli"]
                if flag is None:
                    continue
                entry = flags.setdefault(flag, FlagFields(flag, {}))
                entry.fields[task] = (f"{section_name}.{spec.name}", spec)
    return {entry.name: entry for entry in flags.values()}


class FieldChoice(click.ParamType):
    """The allowed values of a flag (the union over the tasks that declare it), read from the registries only
    when help is shown; values are checked by the configuration, which names the field."""

    name = "choice"

    def __init__(self, choices: list[Any]):
        self.choices = choices

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        names: list[str] = []
        for choice in self.choices:
            for value in choice_names(choice):
                if str(value) not in names:
                    names.append(str(value))
        return "[" + "|".join(names) + "]"


def _option(entry: FlagFields) -> Callable:
    specs = [spec for _, spec in entry.fields.values()]
    first = specs[0]
    info = meta(first)
    tasks = sorted(entry.fields)
    help_text = info["help"]
    from duelo.tasks import TASKS

    if len(tasks) < len(TASKS):
        help_text = f"{help_text} (task{'s' if len(tasks) > 1 else ''} {', '.join(tasks)})"
    default = _default_text(entry)
    if default:
        help_text = f"{help_text} [default: {default}]"
    if "/" in entry.flag:                                     # --x/--no-x: a bool field
        return click.option(entry.flag, entry.name, default=None, help=help_text)
    choices = [meta(spec)["choices"] for spec in specs if meta(spec)["choices"] is not None]
    kind = type_text(first)
    param_type: Any = FieldChoice(choices) if choices else \
        {"int": click.INT, "float": click.FLOAT}.get(kind, click.STRING)
    return click.option(entry.flag, entry.name, default=None, type=param_type, help=help_text,
                        metavar=info["metavar"])


def _default_text(entry: FlagFields) -> str:
    """The flag's default in each task that takes it (a task's own defaults included): one value when they
    agree, else "image-gan: 100, tabular: 300"; empty when there is none to show. Read from the fields and the
    tasks' `defaults` alone: building a configuration would import every registry (and torch) for --help."""
    from duelo.tasks import TASKS

    by_value: dict[str, list[str]] = {}
    for task, (dotted, spec) in sorted(entry.fields.items()):
        value = TASKS.get(task).defaults.get(dotted, default_of(spec))
        if value in (None, {}, "", ()):
            continue
        text = ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
        by_value.setdefault(text, []).append(task)
    if len(by_value) == 1 and sum(map(len, by_value.values())) == len(entry.fields):
        return next(iter(by_value))
    return "; ".join(f"{', '.join(names)}: {value}" for value, names in by_value.items())


def config_options(function: Callable) -> Callable:
    """Decorate a click command with one option per configuration flag (sorted by flag)."""
    for entry in sorted(collect_flags().values(), key=lambda e: e.flag, reverse=True):
        function = _option(entry)(function)
    return function


def overrides_for(task: str, values: dict[str, Any]) -> dict[str, Any]:
    """{dotted field: value} for the given option values (None = not given) of `task`."""
    flags = collect_flags()
    return {flags[name].field_for(task): value for name, value in values.items() if value is not None}
