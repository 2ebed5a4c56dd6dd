"""Checked inputs of the report: every column of real, synthetic (and holdout) in one shared encoding.

Column kinds come from the real table through `duelo.tasks.tabular.columns.infer_kind`, so they match the kinds
the tabular GAN gives the same table (`discrete_columns` overrides, exactly as for `TabularTransformer`):
  numeric      infer_kind's continuous, integer and datetime columns: float64 arrays, NaN = missing,
               datetimes as seconds since 1970 (UTC).
  categorical  infer_kind's categorical columns: int64 codes shared by all tables, -1 = missing.
               Values are compared through a canonical text label, so 1, 1.0 and "1" are one level and an
               int column in the real table matches a float copy of it (e.g. written back with NaN).
A column that is entirely null in the real table cannot be given a kind; it is treated as categorical
(its only real level is "missing"), so every score on it reduces to comparing missing-value rates.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from duelo.errors import ConfigError, DataError
from duelo.tasks.tabular.columns import canonical_label, infer_kind, numeric_values

MISSING_LABEL = "(missing)"         # how the report shows the missing level of a categorical column


@dataclass
class ColumnData:
    """One column of every table in the shared encoding."""

    name: Hashable
    kind: str                                        # "numeric" | "categorical"
    detail: str                                      # infer_kind's kind, or "empty" (all-null in real)
    values: dict[str, np.ndarray]                    # table -> (N,) float64 (numeric) / int64 codes
    levels: list[str] = field(default_factory=list)  # categorical: canonical label of each code

    @property
    def label(self) -> str:
        """The column name as report text."""
        return str(self.name)


@dataclass
class Prepared:
    """All columns, in the real table's order, plus the row count of each table given."""

    columns: list[ColumnData]
    n_rows: dict[str, int]                           # "real", "synthetic" and, if given, "holdout"
    notes: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return list(self.n_rows)

    def column(self, name: Hashable) -> ColumnData:
        return next(column for column in self.columns if column.name == name)

    def subset(self, rows: dict[str, np.ndarray]) -> Prepared:
        """A copy keeping, for each table named in `rows`, only the given row positions."""
        columns = [ColumnData(c.name, c.kind, c.detail,
                              {t: (v[rows[t]] if t in rows else v) for t, v in c.values.items()}, c.levels)
                   for c in self.columns]
        counts = {t: (len(rows[t]) if t in rows else n) for t, n in self.n_rows.items()}
        return Prepared(columns, counts, list(self.notes))


# ---------------------------------------------------------------------------------------------------------
# Validation.

def check_same_columns(real: pd.DataFrame, other: pd.DataFrame, role: str) -> None:
    """`other` must have exactly the real table's column names (any order)."""
    missing = [name for name in real.columns if name not in set(other.columns)]
    extra = [name for name in other.columns if name not in set(real.columns)]
    if missing or extra:
        raise DataError(f"the {role} table's columns differ from the real table's: missing {missing!r}, "
                        f"extra {extra!r}; both tables need the same column names (any order)")


def check_discrete(discrete_columns: Iterable[Hashable] | None, real: pd.DataFrame) -> list[Hashable]:
    """The listed discrete columns, each present in the real table."""
    if discrete_columns is None:
        return []
    if isinstance(discrete_columns, str):
        raise ConfigError(f"discrete_columns must be a list of column names, got the string "
                          f"{discrete_columns!r}; write [{discrete_columns!r}]")
    names = list(discrete_columns)
    unknown = [name for name in names if name not in set(real.columns)]
    if unknown:
        raise ConfigError(f"discrete_columns names {unknown!r}, which the real table does not have; its "
                          f"columns are {list(real.columns)!r}")
    return names


# ---------------------------------------------------------------------------------------------------------
# Encoding.

def prepare(frames: dict[str, pd.DataFrame], discrete_columns: list[Hashable] | None) -> Prepared:
    """Encode every column of the checked frames ("real" first) in one shared space."""
    real = frames["real"]
    discrete = check_discrete(discrete_columns, real)
    notes: list[str] = []
    columns = []
    for name in real.columns:
        series = real[name]
        if series.isna().all():
            notes.append(f"column {name!r} is entirely null in the real table; it is scored as a "
                         f"categorical column whose only level is 'missing' (i.e. on missing-value rates)")
            columns.append(_categorical(name, "empty", frames))
            continue
        detail = infer_kind(series, name in discrete, few_distinct_rule=discrete_columns is None)
        if detail == "categorical":
            columns.append(_categorical(name, detail, frames))
        else:
            values = {role: numeric_column(frame[name], detail, role) for role, frame in frames.items()}
            columns.append(ColumnData(name, "numeric", detail, values))
    return Prepared(columns, {role: len(frame) for role, frame in frames.items()}, notes)


def numeric_column(series: pd.Series, detail: str, role: str) -> np.ndarray:
    """(N,) float64 with NaN for a column that is numeric (or datetime) in the real table."""
    name = series.name
    if detail == "datetime":
        if ptypes.is_datetime64_any_dtype(series.dtype):
            return numeric_values(series, "datetime")
        if series.isna().all():
            return np.full(len(series), np.nan)
        if ptypes.is_numeric_dtype(series.dtype) or ptypes.is_bool_dtype(series.dtype):
            raise DataError(f"column {name!r} is a datetime in the real table but holds numbers in the "
                            f"{role} table; convert it with pd.to_datetime(df[{name!r}])")
        converted = pd.to_datetime(series.astype(object), errors="coerce", format="mixed", utc=True)
        _refuse_unconverted(series, converted, role, "datetimes", "pd.to_datetime")
        return numeric_values(converted, "datetime")
    if ptypes.is_bool_dtype(series.dtype):
        values = series.astype(object).where(series.notna(), np.nan).astype(float).to_numpy()
    elif ptypes.is_numeric_dtype(series.dtype) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = numeric_values(series, "continuous")
    else:
        converted = pd.to_numeric(series.astype(object), errors="coerce")
        _refuse_unconverted(series, converted, role, "numbers", "pd.to_numeric")
        values = converted.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise DataError(f"column {name!r} of the {role} table contains inf or -inf; replace them with NaN "
                        f"(missing) or finite values")
    return values


def _refuse_unconverted(series: pd.Series, converted: pd.Series, role: str, what: str, how: str) -> None:
    bad = series.notna().to_numpy() & converted.isna().to_numpy()
    if bad.any():
        examples = list(dict.fromkeys(series[bad].astype(str).tolist()))[:3]
        raise DataError(f"column {series.name!r} holds {what} in the real table but the {role} table has "
                        f"{int(bad.sum())} value(s) that are not, e.g. {examples!r}; make the column's "
                        f"values {what} in both tables ({how}) or list it in discrete_columns")


def _categorical(name: Hashable, detail: str, frames: dict[str, pd.DataFrame]) -> ColumnData:
    """Shared codes (real levels first, by decreasing real frequency; -1 = missing) for every table."""
    labels = {role: _labels(frame[name]) for role, frame in frames.items()}
    index: dict[str, int] = {}
    real_codes, real_uniques = labels["real"]
    order = np.argsort(-np.bincount(real_codes[real_codes >= 0], minlength=len(real_uniques)), kind="stable")
    for label in [real_uniques[i] for i in order]:
        index.setdefault(label, len(index))
    values = {}
    for role, (codes, uniques) in labels.items():
        for label in uniques:
            index.setdefault(label, len(index))
        lookup = np.array([index[label] for label in uniques] + [-1], dtype=np.int64)
        values[role] = lookup[codes]                  # code -1 picks the trailing -1
    return ColumnData(name, "categorical", detail, values, list(index))


def _labels(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes into the canonical labels of the distinct values (-1 = missing); labels may repeat."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    return codes.astype(np.int64), [canonical_label(value) for value in uniques]


def level_name(column: ColumnData, code: int) -> str:
    """The display text of a code (-1 = missing)."""
    return MISSING_LABEL if code < 0 else column.levels[code]
