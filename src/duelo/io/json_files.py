"""One reader for every JSON file duelo reads back (run configs, checkpoint state, saved-model configs, task.json,
tabular model.json, summaries, caches) and one for JSON-lines logs: each file is checked before it is trusted.

    meta = read_json(path, "checkpoint state", STATE_SCHEMA, error=CheckpointError,
                     remedy="the previous checkpoint is used instead")

A file that is not a regular file (a folder, a FIFO that would block), too large, not UTF-8, not JSON, or whose
fields break the schema raises `error` with one sentence naming the file, the field and what to do; nothing
else (no traceback) reaches the user. A schema is a dict of field -> Field (or a nested dict for a JSON object).
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from duelo.errors import DueloError

MAX_JSON_BYTES = 256 * 2**20     # no duelo JSON file comes near this; a bigger one is not ours


@dataclass(frozen=True)
class Field:
    """What one field must hold: its JSON type(s), and optionally a predicate with its phrase."""

    kinds:    tuple[type, ...]                  # e.g. (int,), (str, type(None))
    required: bool = True
    test:     Callable[[Any], bool] | None = None
    text:     str = ""                          # what `test` asks for, e.g. "an integer >= 0"

    def describe(self) -> str:
        if self.text:
            return self.text
        names = {int: "an integer", float: "a number", str: "text", bool: "true or false", list: "a list",
                 dict: "an object", type(None): "null"}
        return " or ".join(names.get(kind, kind.__name__) for kind in self.kinds)


def integer(minimum: int | None = None, maximum: int | None = None, required: bool = True) -> Field:
    def test(value: int) -> bool:
        return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    bounds = [f">= {minimum}" if minimum is not None else "", f"<= {maximum}" if maximum is not None else ""]
    text = "an integer " + " and ".join(b for b in bounds if b) if any(bounds) else "an integer"
    return Field((int,), required, test, text.strip())


def number(minimum: float | None = None, required: bool = True) -> Field:
    return Field((int, float), required, lambda v: math.isfinite(v) and (minimum is None or v >= minimum),
                 f"a finite number{f' >= {minimum}' if minimum is not None else ''}")


def text(*choices: str, required: bool = True) -> Field:
    if choices:
        return Field((str,), required, lambda v: v in choices, f"one of {', '.join(map(repr, choices))}")
    return Field((str,), required)


def of(*kinds: type, required: bool = True) -> Field:
    return Field(kinds, required)


class Invalid(Exception):
    """A field that breaks the schema: (dotted name, what it must be, what it is)."""


def check(value: Any, schema: dict[str, Any], where: str = "") -> None:
    """Raise Invalid for the first field of `value` (a JSON object) that breaks `schema`."""
    if not isinstance(value, dict):
        raise Invalid(where or "the file", "a JSON object", type(value).__name__)
    for name, rule in schema.items():
        dotted = f"{where}.{name}" if where else name
        if isinstance(rule, dict):
            if name not in value:
                raise Invalid(dotted, "an object", "missing")
            check(value[name], rule, dotted)
            continue
        if name not in value:
            if rule.required:
                raise Invalid(dotted, rule.describe(), "missing")
            continue
        item = value[name]
        if isinstance(item, bool) and bool not in rule.kinds:        # JSON true is not an integer here
            raise Invalid(dotted, rule.describe(), repr(item))
        if not isinstance(item, rule.kinds) or (rule.test is not None and not rule.test(item)):
            raise Invalid(dotted, rule.describe(), repr(item)[:80])


def read_bytes_checked(path: Path, what: str, error: type[DueloError], remedy: str,
                       max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; `error` otherwise (never blocks on a FIFO)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path} ({what}) is missing; {remedy}") from None
    except OSError as problem:
        raise error(f"cannot read {path} ({what}): {problem.strerror}; {remedy}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise error(f"{path} ({what}) is {kind}; {remedy}")
    if info.st_size > max_bytes:
        raise error(f"{path} ({what}) holds {info.st_size:,} bytes, more than such a file can ({max_bytes:,}); "
                    f"{remedy}")
    try:
        with open(path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as problem:
        raise error(f"cannot read {path} ({what}): {problem.strerror}; {remedy}") from None


def read_json(path: str | os.PathLike, what: str, schema: dict[str, Any] | None = None, *,
              error: type[DueloError], remedy: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value of `path`, checked against `schema` (an object's fields) when one is given."""
    path = Path(path)
    data = read_bytes_checked(path, what, error, remedy, max_bytes)
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as problem:
        raise error(f"{path} ({what}) is not UTF-8 text (byte {problem.start}); {remedy}") from None
    except (json.JSONDecodeError, ValueError) as problem:
        raise error(f"{path} ({what}) is not valid JSON ({problem}); {remedy}") from None
    except RecursionError:
        raise error(f"{path} ({what}) is nested too deeply to be a duelo file; {remedy}") from None
    if schema is not None:
        try:
            check(value, schema)
        except Invalid as problem:
            field, expected, got = problem.args
            raise error(f"{path} ({what}): {field} must be {expected}, got {got}; {remedy}") from None
    return value


def json_lines(path: str | os.PathLike, max_bytes: int = 4 * 2**30) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON-lines log, one per line; a line that is not a JSON object (cut by a crash,
    damaged, `[1, 2]`) is skipped, never fatal. A missing file has no lines."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return
    with open(path, "rb") as handle:
        for raw in handle:
            record = parse_json_line(raw)
            if record is not None:
                yield record


def parse_json_line(raw: bytes) -> dict[str, Any] | None:
    """One line of a JSON-lines log as a JSON object, or None when it is not one (cut, damaged, not UTF-8)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def log_position(record: dict[str, Any]) -> float:
    """The image count a log record belongs to: records without one belong to the start, a damaged count to
    nowhere (inf: a truncation drops it, and it is logged again)."""
    nimg = record.get("nimg", 0)
    if isinstance(nimg, bool) or not isinstance(nimg, (int, float)):
        return float("inf")
    return nimg
