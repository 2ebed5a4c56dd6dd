"""docs/config.md, generated from the configuration fields' metadata (a test checks that the file is current):

    python -m duelo.tasks.config_docs > docs/config.md
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from duelo.config import COMMON_SECTIONS
from duelo.config.fields import RegistryChoices, default_of, meta, type_text
from duelo.tasks import TASKS

HEADER = """# Configuration reference

Generated from the fields' own metadata by `python -m duelo.tasks.config_docs > docs/config.md` (a test checks
that this file is current). Every run's `config.json` holds its task, the common sections below and the task's
own sections, nothing else. Set a field with its option, with `--set SECTION.FIELD=VALUE`, or in a preset;
`duelo train --dry-run` prints the resolved configuration. A re-run of the same command resumes the run; the
fields marked *re-run* may change between runs of one experiment (how long and how often, not what), any
other change is refused (use a new `--name`).
"""


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if value == "":
        return '`""`'
    return f"`{list(value) if isinstance(value, tuple) else value}`"


def _choices(spec: dataclasses.Field) -> str:
    choices = meta(spec)["choices"]
    if choices is None:
        return ""
    if isinstance(choices, RegistryChoices):
        extra = f"{', '.join(choices.extra)} or " if choices.extra else ""
        return f" One of: {extra}a name in `{choices.target.split(':')[1]}`."
    return f" One of: {', '.join(str(c) for c in choices)}."


def section_table(section: type, defaults: dict[str, Any] | None = None, only: set[str] | None = None) -> str:
    """A markdown table of a section's fields (all, or `only` those), with the task's `defaults`."""
    defaults = defaults or {}
    rows = ["| field | type | default | option | re-run | meaning |", "|---|---|---|---|---|---|"]
    for spec in dataclasses.fields(section):
        if only is not None and spec.name not in only:
            continue
        info = meta(spec)
        default = defaults.get(spec.name, default_of(spec))
        check = info["check"].text if info["check"] is not None else ""
        meaning = info["help"].rstrip(".") + "." + _choices(spec) + (f" Must be {check}." if check else "")
        cli = f"`{info['cli']}`" if info["cli"] else ""
        rows.append(f"| `{spec.name}` | {type_text(spec)} | {_value(default)} | {cli} | "
                    f"{'re-run' if info['rerun'] else ''} | {meaning.replace('|', '/')} |")
    return "\n".join(rows)


def render() -> str:
    parts = [HEADER, "## Common sections (every task)\n"]
    for name, section in COMMON_SECTIONS.items():
        parts.append(f"### `{name}`\n\n{section_table(section)}\n")
    for task_name in TASKS.names():
        task = TASKS.get(task_name)
        parts.append(f"## Task `{task_name}`\n\n{task.description}.\n")
        by_section: dict[str, dict[str, Any]] = {}
        for dotted, value in task.defaults.items():
            section, _, field = dotted.partition(".")
            by_section.setdefault(section, {})[field] = value
        for name, section in task.sections.items():
            common = COMMON_SECTIONS.get(name)
            if common is None:
                parts.append(f"### `{name}`\n\n{section_table(section, by_section.get(name))}\n")
                continue
            added = {f.name for f in dataclasses.fields(section)} - {f.name for f in dataclasses.fields(common)}
            changed = set(by_section.get(name, {}))
            if added or changed:
                what = "fields added to" if added and not changed else \
                    "defaults changed in" if changed and not added else "fields added to and defaults changed in"
                parts.append(f"### `{name}` ({what} the common section)\n\n"
                             f"{section_table(section, by_section.get(name), only=added | changed)}\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
