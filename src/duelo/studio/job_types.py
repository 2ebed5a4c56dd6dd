"""The shapes of the studio's jobs (jobs.py has the registry and what is done with an entry; job_kinds.py the
entries): a form field and a job kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Field:
    name:     str                      # the form field
    label:    str
    kind:     str = "text"             # text | number | integer | choice | flag | lines (one --set per line) | name
    option:   str | None = None        # the command's option; None: a positional argument
    choices:  tuple[str, ...] = ()     # for kind choice ("" allowed when not required)
    default:  str = ""
    required: bool = False
    help:     str = ""
    passed:   bool = True              # False: read by the kind's `fixed` only (a name that becomes a path)


@dataclass(frozen=True)
class JobKind:
    title:       str
    command:     tuple[str, ...]                           # ("train",), ("hub", "save")
    fields:      tuple[Field, ...] = ()
    on_run:      bool = False                              # takes a run folder: a button on the run's page
    fixed:       Callable[[dict[str, str], Path | None, Path], list[str]] = lambda values, run, root: []
    run_of:      Callable[[dict[str, str], Path | None, Path], Path | None] = lambda values, run, root: run
    about:       str = ""
    order:       int = 0                                   # place among the forms (registration order)
