"""The CLI jobs a person can start from the studio: each is a registry entry that names a `duelo` command, the form
fields it asks for and how each becomes an argument. The studio never builds a shell line: a job is the argument
list `duelo COMMAND ...` run as its own process (processes.py), and every value is checked against its field
first (a number is a number, a choice one of its choices, no free text that starts with '-' and so could be read
as an option).

    JOBS.add("eval", JobKind("evaluate", ("eval",), fields=(Field("num_samples", "samples", "integer",
                                                                  "--num-samples", default="2000"),), on_run=True))

Jobs with `on_run` take a run folder (a form on its page): the folder is the command's first argument, and
`fixed` adds options that keep what the job writes inside the run (RUN/eval.json...). The others (train, clean,
tune, fetching a dataset) are forms on the jobs page; what they write goes under the studio's first --runs folder.
`run_of` names the run a job trains or reads, for the link from the job to it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from duelo.registry import Registry
from duelo.studio.http import StudioError
from duelo.studio.job_kinds import register
from duelo.studio.job_types import Field, JobKind

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")                 # a folder name the studio creates
ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*\.[A-Za-z_]\w*=.{1,400}$")         # --set SECTION.FIELD=VALUE
MAX_TEXT = 1000
STUDIO_SET = ("run.out", "run.name")                                    # where a job's run goes: the form says


JOBS: Registry[JobKind] = Registry("studio job")


def listed(on_run: bool) -> list[str]:
    """The keys of the run jobs (or of the others), in the order they were registered."""
    keys = [key for key in JOBS.names() if JOBS.get(key).on_run == on_run]
    return sorted(keys, key=lambda key: JOBS.get(key).order)


def check_values(kind: JobKind, form: dict[str, object]) -> dict[str, str]:
    """The form's values for `kind`'s fields, checked; StudioError naming the field otherwise. Unknown fields
    are refused too (a typo should not be ignored silently)."""
    known = {f.name for f in kind.fields}
    unknown = sorted(set(form) - known)
    if unknown:
        raise StudioError(f"{kind.title}: no field {unknown[0]!r} (fields: {', '.join(sorted(known)) or 'none'})")
    values = {}
    for spec in kind.fields:
        raw = form.get(spec.name, "")
        if isinstance(raw, bool):
            if spec.kind != "flag":
                raise StudioError(f"{kind.title}: `{spec.label}` is not a tick box")
            raw = "on" if raw else ""
        value = str(raw).strip()
        if not value:
            if spec.required:
                raise StudioError(f"{kind.title}: `{spec.label}` is required")
            continue
        if len(value) > MAX_TEXT:
            raise StudioError(f"{kind.title}: `{spec.label}` is longer than {MAX_TEXT} characters")
        values[spec.name] = _checked(kind, spec, value)
    return values


def _checked(kind: JobKind, spec: Field, value: str) -> str:
    where = f"{kind.title}: `{spec.label}`"
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value) or (spec.kind != "lines" and "\n" in value):
        raise StudioError(f"{where} holds control characters; type it on one line")
    if spec.kind in ("number", "integer"):
        try:
            number = int(value) if spec.kind == "integer" else float(value)
        except ValueError:
            raise StudioError(f"{where} must be {'a whole number' if spec.kind == 'integer' else 'a number'}, "
                              f"got {value!r}") from None
        if number <= 0 or number != number or number == float("inf"):
            raise StudioError(f"{where} must be above 0, got {value}")
        return str(number)
    if spec.kind == "choice" and value not in spec.choices:
        raise StudioError(f"{where}: {value!r} is not one of {', '.join(c for c in spec.choices if c)}")
    if spec.kind == "flag" and value not in ("on", "true", "1"):
        raise StudioError(f"{where}: a tick box is on or absent, got {value!r}")
    if spec.kind == "name" and not NAME.match(value):
        raise StudioError(f"{where} {value!r}: use letters, digits, '.', '_' and '-' (a folder name)")
    if spec.kind == "lines":
        for line in value.splitlines():
            if line.strip() and not ASSIGNMENT.match(line.strip()):
                raise StudioError(f"{where}: {line.strip()!r} is not SECTION.FIELD=VALUE (docs/config.md)")
            if line.strip().split("=", 1)[0] in STUDIO_SET:
                raise StudioError(f"{where}: {line.strip().split('=', 1)[0]} is set by the studio (the run goes to "
                                  f"its runs folder, under the name the form gives)")
    elif spec.kind == "text" and value.startswith("-"):
        raise StudioError(f"{where} {value!r} starts with '-': give a name or a path")
    return value


def argv(kind: JobKind, values: dict[str, str], run: Path | None, root: Path) -> list[str]:
    """The arguments after `duelo` for a job of `kind` with checked `values`."""
    args = [*kind.command] + ([str(run)] if run is not None else [])
    for spec in kind.fields:
        value = values.get(spec.name)
        if value is None or not spec.passed:
            continue
        if spec.kind == "flag":
            args.append(spec.option)
        elif spec.kind == "lines":
            for line in value.splitlines():
                if line.strip():
                    args += [spec.option, line.strip()]
        elif spec.option is None:
            args.append(value)
        else:
            args += [spec.option, value]
    return args + kind.fixed(values, run, root)


def form_html(key: str, kind: JobKind, run_id: str | None = None) -> str:
    """The form of a job kind (the studio's markup; every text from the registry is escaped)."""
    rows = []
    for spec in kind.fields:
        label, name = html.escape(spec.label), html.escape(spec.name, quote=True)
        tip = f' title="{html.escape(spec.help, quote=True)}"' if spec.help else ""
        need = " required" if spec.required else ""
        default = html.escape(spec.default, quote=True)
        if spec.kind == "choice":
            options = "".join(f'<option value="{html.escape(c, quote=True)}"{" selected" if c == spec.default else ""}>'
                              f"{html.escape(c) or '(default)'}</option>" for c in spec.choices)
            field = f'<select name="{name}"{need}>{options}</select>'
        elif spec.kind == "flag":
            field = f'<input type="checkbox" name="{name}"{" checked" if spec.default else ""}>'
        elif spec.kind == "lines":
            field = f'<textarea name="{name}" rows="3" cols="40" placeholder="section.field=value">{default}</textarea>'
        else:
            step = ' step="any"' if spec.kind == "number" else ""
            kind_attr = "number" if spec.kind in ("number", "integer") else "text"
            field = f'<input type="{kind_attr}" name="{name}" value="{default}"{step}{need}>'
        rows.append(f"<label{tip}>{label} {field}</label>")
    run_attr = f' data-run="{html.escape(run_id, quote=True)}"' if run_id is not None else ""
    return (f'<form class="job-form" data-job="{html.escape(key, quote=True)}"{run_attr}>'
            f'<h3>{html.escape(kind.title)}</h3><p class="note">{html.escape(kind.about)}</p>{"".join(rows)}'
            f'<button type="submit">Start</button><p class="error" hidden></p></form>')


register(JOBS)                                                          # the entries: job_kinds.py
