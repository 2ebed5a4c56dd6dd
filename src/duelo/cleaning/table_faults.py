"""Faults of a table, each row given at most one finding (the most serious):

* duplicate: the same values as an earlier row in every column.
* impossible number: a cell of a never-negative numeric column above FENCE times its 1 - QUANTILE quantile, or
  negative (when under 1 % of the column is); in a column with more negative values, beyond its QUANTILE ..
  1 - QUANTILE range by FENCE times the range. This catches slipped decimal points, extra digits and sign errors
  that leave the column's range, not those that stay inside it (20,000 read as 200,000 in a column that holds
  both), nor too-small values (a column of hours holds 1 and 99 alike).
* likely typo: a category seen in at most RARE_SHARE of the rows (and at least twice as rarely as the value it
  resembles) whose spelling is close to a common value's (at most TYPO_EDITS edits, at most a quarter of its
  letters; the common value seen at least COMMON times).

* likely mislabelled (with a label column named): table_labels.py.

Rows, not cells, are findings; the reason names the column, the value and what it was compared with. The
thresholds are fixed; benchmarks/clean.py measures them on planted corruptions of UCI Adult.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from duelo.cleaning.findings import Faults, Finding, edit_distance

QUANTILE = 0.005
FENCE = 4.0
RARE_SHARE, COMMON = 0.002, 20
TYPO_EDITS = 2


def _numeric(df: pd.DataFrame, column: str, taken: np.ndarray, out: list[Finding]) -> None:
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    present = np.isfinite(values)
    if present.sum() < 50:
        return
    low, high = np.quantile(values[present], [QUANTILE, 1 - QUANTILE])
    never_negative = (values[present] < 0).mean() < 0.01
    for i in np.nonzero(present & ~taken)[0]:
        x = values[i]
        if never_negative and x < 0:
            why = f"{column} = {x:g} is negative; the column otherwise never is"
        elif never_negative and x > high * FENCE and high > 0:
            why = f"{column} = {x:g} is over {FENCE:g} times the column's usual maximum {high:g}"
        elif not never_negative and (x > high + FENCE * (high - low) or x < low - FENCE * (high - low)):
            why = f"{column} = {x:g} lies far outside the column's usual range {low:g} .. {high:g}"
        else:
            continue
        out.append(Finding(int(i), "impossible number", float(abs(x)), why))
        taken[i] = True


def _categorical(df: pd.DataFrame, column: str, taken: np.ndarray, out: list[Finding]) -> None:
    counts = df[column].dropna().astype(str).value_counts()
    common = [value for value, count in counts.items() if count >= COMMON]
    if not common:
        return
    typos = {}
    rare = max(2, int(RARE_SHARE * len(df)))
    for value, count in counts.items():
        if count > rare:
            continue
        for target in common:
            if counts[target] < 2 * count or target == value:
                continue
            limit = min(TYPO_EDITS, max(1, len(target) // 4))
            if edit_distance(value.lower(), target.lower(), limit) <= limit:
                typos[value] = (target, int(counts[target]))
                break
    if not typos:
        return
    text = df[column].astype(str)
    for i in np.nonzero(text.isin(list(typos)).to_numpy() & ~taken)[0]:
        target, seen = typos[text.iat[i]]
        out.append(Finding(int(i), "likely typo", 1.0, f"{column} = {text.iat[i]!r} is rare and spelled almost "
                                                       f"like {target!r} (seen {seen:,} times)"))
        taken[i] = True


def find_table_faults(df: pd.DataFrame, log=None, label: str | None = None, seed: int = 0) -> Faults:
    """Every row's most serious finding; with `label` (a column's name) also the rows whose label the other columns
    dispute (table_labels.py)."""
    say = log or (lambda text: None)
    taken = np.zeros(len(df), bool)
    findings: list[Finding] = []
    first: dict[tuple, int] = {}
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        key = tuple("<missing>" if pd.isna(v) else v for v in row)
        if key in first:
            findings.append(Finding(i, "duplicate", 1.0, f"the same values as row {first[key]}", first[key]))
            taken[i] = True
        else:
            first[key] = i
    faults = Faults(findings, {"duplicates": f"{int(taken.sum())} repeated row(s)"})
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    before = len(findings)
    for column in numeric:
        _numeric(df, column, taken, findings)
    faults.checked["numbers"] = f"{len(findings) - before} impossible number(s) in {len(numeric)} numeric column(s)"
    before = len(findings)
    categorical = [c for c in df.columns if c not in numeric]
    for column in categorical:
        _categorical(df, column, taken, findings)
    faults.checked["categories"] = f"{len(findings) - before} likely typo(s) in {len(categorical)} other column(s)"
    say(f"clean: {len(df):,} rows, {len(numeric)} numeric and {len(categorical)} other columns")
    if label is not None:
        from duelo.cleaning.table_labels import table_mislabels

        disputed, faults.checked["labels"] = table_mislabels(df, label, taken, seed, say)
        findings += disputed
    findings.sort(key=lambda f: f.index)
    return faults
