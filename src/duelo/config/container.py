"""A run's configuration: its task and that task's sections, each a frozen dataclass of `setting` fields.

The common sections (train, run, optim, health) are in every configuration; the task adds its own (an
image GAN its data, model, loss, stabilise, augment and growth sections; a table its data and model...).
A configuration holds no other task's sections. It is written to every run folder as config.json and
compared with it on a re-run, so that the same command resumes the same experiment. Overrides use dotted
names (`train.total_kimg=50`), the same names config.json shows.

`Schema` says which sections a task's configuration has and which defaults the task changes; it is the
only thing this module needs to know about a task (duelo.tasks builds configurations from it).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from duelo.config.common import COMMON_SECTIONS
from duelo.config.fields import MISSING, check_value, coerce, meta
from duelo.errors import ConfigError


@dataclass(frozen=True)
class Schema:
    task:     str                                   # registered task name
    sections: dict[str, type]                       # section name -> dataclass (common ones may be subclassed)
    defaults: dict[str, Any] = field(default_factory=dict)   # dotted name -> the task's default

    def __post_init__(self) -> None:
        for name, base in COMMON_SECTIONS.items():
            section = self.sections.get(name)
            assert section is not None and issubclass(section, base), f"{self.task}: section {name} must extend {base}"


class Config:
    """Sections by name, readable as attributes: `config.train.batch`, `config.data.dataset`."""

    __slots__ = ("task", "_sections")

    def __init__(self, task: str, sections: dict[str, Any]):
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "_sections", dict(sections))

    @classmethod
    def defaults(cls, schema: Schema) -> "Config":
        """The task's configuration before any preset or option: its sections' defaults, then its own."""
        config = cls(schema.task, {name: section() for name, section in schema.sections.items()})
        return config.with_overrides(schema.defaults, source=f"task {schema.task} defaults")

    def __getattr__(self, name: str) -> Any:
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(f"task {self.task!r} has no config section {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"Config is frozen; use with_overrides (setting {name!r})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Config(task={self.task!r}, sections={', '.join(self._sections)})"

    @property
    def sections(self) -> dict[str, Any]:
        return dict(self._sections)

    def has(self, section: str) -> bool:
        return section in self._sections

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, **{name: dataclasses.asdict(s) for name, s in self._sections.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    # -- changes -------------------------------------------------------------------------------
    def with_overrides(self, overrides: dict[str, Any], source: str = "option") -> "Config":
        """Apply {"section.field": value} overrides, e.g. {"train.total_kimg": 5}; then validate."""
        nested: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            section, _, name = dotted.partition(".")
            if not name:
                raise ConfigError(f"{source} {dotted!r}: use SECTION.FIELD, e.g. train.total_kimg")
            nested.setdefault(section, {})[name] = value
        return self.merged(nested, source)

    def merged(self, nested: dict[str, Any], source: str = "config") -> "Config":
        """A copy with fields replaced from {"section": {"field": value}}; unknown names are errors."""
        replaced = dict(self._sections)
        for section_name, values in nested.items():
            if section_name not in replaced:
                raise ConfigError(f"{source}: task {self.task!r} has no section {section_name!r}; its sections are "
                                  f"{', '.join(replaced)}")
            if not isinstance(values, dict):
                raise ConfigError(f"{source}: section {section_name!r} must be a table of fields")
            section = replaced[section_name]
            known = {f.name: f for f in dataclasses.fields(section)}
            coerced: dict[str, Any] = {}
            for key, value in values.items():
                if key not in known:
                    raise ConfigError(f"{source}: unknown field {section_name}.{key}; fields are "
                                      f"{', '.join(known)}")
                coerced[key] = coerce(value, known[key], f"{section_name}.{key}")
            replaced[section_name] = dataclasses.replace(section, **coerced)
        return Config(self.task, replaced).validated()

    # -- checks --------------------------------------------------------------------------------
    def validated(self) -> "Config":
        """Check every field against its metadata (choices, numeric checks), then each section's own
        cross-field check; raise ConfigError naming the field."""
        for name, section in self._sections.items():
            for spec in dataclasses.fields(section):
                check_value(spec, getattr(section, spec.name), f"{name}.{spec.name}")
            own_check = getattr(type(section), "check", None)
            if own_check is not None:
                own_check(section, name)
        return self

    def rerun_fields(self) -> set[tuple[str, str]]:
        """(section, field) pairs a re-run may change without starting a new experiment."""
        return {(name, spec.name) for name, section in self._sections.items()
                for spec in dataclasses.fields(section) if meta(spec)["rerun"]}

    def differences(self, previous: dict[str, Any], baseline: "Config | None" = None) -> list[str]:
        """What changed since `previous` (a run folder's config.json), leaving out the fields a re-run may change.
        A field the old file lacks was added to duelo later: its default is the old behaviour (the value in
        `baseline`, the task's defaults, when given; else the section's own default)."""
        rerun = self.rerun_fields()
        changes = []
        if previous.get("task", self.task) != self.task:
            changes.append(f"task: {previous.get('task')!r} -> {self.task!r}")
        for name, section in self._sections.items():
            old = previous.get(name)
            if not isinstance(old, dict):      # a section added after the run began (RunDir refuses a file
                continue                       # without even a train section: that is no run's config)
            for spec in dataclasses.fields(section):
                value = getattr(section, spec.name)
                if (name, spec.name) in rerun:
                    continue
                if spec.name not in old:
                    default = _plain(spec) if baseline is None or not baseline.has(name) \
                        else getattr(getattr(baseline, name), spec.name)
                    if _jsonable(value) != _jsonable(default):
                        changes.append(f"{name}.{spec.name}: (not set) -> {value!r}")
                    continue
                if _jsonable(old[spec.name]) != _jsonable(value):
                    changes.append(f"{name}.{spec.name}: {old[spec.name]!r} -> {value!r}")
        return changes


def _plain(spec: dataclasses.Field) -> Any:
    if spec.default is not MISSING:
        return spec.default
    return spec.default_factory() if spec.default_factory is not MISSING else None


def _jsonable(value: Any) -> Any:
    """Compare as config.json holds values (tuples are lists there)."""
    return json.loads(json.dumps(value))
