"""The public description of a table that a private run builds its encoding from (`--dp-schema FILE.json`).

A private run may not learn a column's kind, range, levels or modes from the records: each of those is a
statistic of the data, released with the model (DP-CTGAN leaks through exactly these). The schema states them
as public knowledge, one entry per column:

    {"columns": [
      {"name": "age", "kind": "integer", "bounds": [17, 90]},
      {"name": "capital-gain", "kind": "integer", "bounds": [0, 99999], "spikes": [0]},
      {"name": "workclass", "kind": "categorical", "levels": ["Private", "Self-emp-not-inc", ...],
       "missing": true}]}

kind: categorical (`levels`, the complete list) or continuous / integer (`bounds` [low, high]; values outside are
clipped to them; `spikes`: values many rows hold exactly, such as a 0, given an exact mode). `missing`: the
column may be empty. `duelo tabular schema DATA` drafts one FROM THE DATA: it is a starting point to edit into
public knowledge (published ranges, code lists), not a private release.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from duelo.errors import ConfigError, DataError

KINDS = ("categorical", "continuous", "integer")


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    kind: str
    levels: tuple = ()
    bounds: tuple[float, float] = (0.0, 0.0)
    spikes: tuple[float, ...] = ()
    missing: bool = False


def _column(entry: Any, where: str) -> ColumnSchema:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"{where}: every column entry needs a \"name\" (text), got {entry!r}")
    name, kind = entry["name"], entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: column {name!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
    missing = entry.get("missing", False)
    if not isinstance(missing, bool):
        raise ConfigError(f"{where}: column {name!r}: \"missing\" must be true or false")
    if kind == "categorical":
        levels = entry.get("levels")
        if not isinstance(levels, list) or not levels or not all(isinstance(v, (str, int, float, bool))
                                                                  for v in levels):
            raise ConfigError(f"{where}: categorical column {name!r} needs \"levels\": the non-empty list of its "
                              f"values (text or numbers)")
        if len({str(v) for v in levels}) < len(levels):
            raise ConfigError(f"{where}: column {name!r} lists a level twice")
        return ColumnSchema(name, kind, levels=tuple(levels), missing=missing)
    bounds, spikes = entry.get("bounds"), entry.get("spikes", [])
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(_finite(b) for b in bounds)
            and bounds[0] < bounds[1]):
        raise ConfigError(f"{where}: {kind} column {name!r} needs \"bounds\": [low, high] with low < high")
    if not isinstance(spikes, list) or not all(_finite(s) and bounds[0] <= s <= bounds[1] for s in spikes):
        raise ConfigError(f"{where}: column {name!r}: \"spikes\" must be a list of numbers within its bounds")
    return ColumnSchema(name, kind, bounds=(float(bounds[0]), float(bounds[1])),
                        spikes=tuple(sorted({float(s) for s in spikes})), missing=missing)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_schema(path: str | Path) -> list[ColumnSchema]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"--dp-schema {path}: no such file; draft one with `duelo tabular schema DATA -o "
                          f"{path.name}` and edit it into public knowledge") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"--dp-schema {path}: not readable JSON ({error})") from None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, list) or not columns:
        raise ConfigError(f"--dp-schema {path}: expected {{\"columns\": [...]}} with one entry per column")
    schema = [_column(entry, str(path)) for entry in columns]
    names = [c.name for c in schema]
    if len(set(names)) < len(names):
        raise ConfigError(f"--dp-schema {path}: a column is described twice")
    return schema


def conform(frame: pd.DataFrame, schema: list[ColumnSchema], source: str) -> pd.DataFrame:
    """The table's columns in the schema's order, numbers clipped to the bounds (a per-record change, which
    costs no privacy). A column or level the schema lacks, or missing values where it allows none, is refused:
    the data owner fixes the schema (the message names no value of the data beyond the one at fault)."""
    names = [c.name for c in schema]
    absent = [n for n in names if n not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in names]
    if absent or extra:
        raise DataError(f"{source}: the schema and the table disagree: "
                        + "; ".join(part for part in (f"not in the table: {absent}" if absent else "",
                                                      f"not in the schema: {extra}" if extra else "") if part))
    out = {}
    for column in schema:
        series = frame[column.name]
        if series.isna().any() and not column.missing:
            raise DataError(f"{source}: column {column.name!r} has missing values; set \"missing\": true for it "
                            f"in the schema, or fill them")
        if column.kind == "categorical":
            known = {str(v): v for v in column.levels}
            text = series.map(lambda v: v if pd.isna(v) else str(v))
            unknown = text[~text.isna() & ~text.isin(list(known))]
            if len(unknown):
                raise DataError(f"{source}: column {column.name!r} holds {unknown.iloc[0]!r}, which is not among "
                                f"the schema's levels; add it to \"levels\"")
            out[column.name] = text.map(lambda v: v if pd.isna(v) else known[v]).astype(object)
        else:
            values = pd.to_numeric(series, errors="coerce")
            if (values.isna() & ~series.isna()).any():
                raise DataError(f"{source}: column {column.name!r} holds text where the schema says {column.kind}")
            out[column.name] = values.clip(*column.bounds).astype("float64")
    return pd.DataFrame(out, index=frame.index)


def draft(frame: pd.DataFrame) -> dict:
    """A schema drafted from the data itself (kinds, observed ranges, levels, frequent exact values): NOT
    private. It saves typing; every range and level list should be replaced by what is public knowledge."""
    from duelo.tasks.tabular.columns import infer_kind, level_counts

    columns = []
    for name in frame.columns:
        series = frame[name]
        kind = infer_kind(series, False, few_distinct_rule=True)
        entry: dict[str, Any] = {"name": str(name), "kind": "integer" if kind == "datetime" else kind}
        if kind == "categorical":
            entry["levels"] = [str(v) if not isinstance(v, (int, float, bool)) else v
                               for v in level_counts(series)[0]]
        else:
            values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=np.float64)
            entry["bounds"] = [float(values.min()), float(values.max())]
            if entry["bounds"][0] == entry["bounds"][1]:
                entry["bounds"][1] += 1.0
            distinct, counts = np.unique(values, return_counts=True)
            entry["spikes"] = [float(v) for v in distinct[counts >= 0.05 * len(values)]]
        if series.isna().any():
            entry["missing"] = True
        columns.append(entry)
    return {"note": "drafted from the data by `duelo tabular schema`: it reveals the data's ranges and levels. "
                    "Replace them with public knowledge before a private run relies on it.", "columns": columns}
