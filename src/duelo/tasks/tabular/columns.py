"""Column kinds of a table and the learned, JSON-ready description of each column (its "spec").

Kinds (`infer_kind` decides; `discrete_columns` overrides):
  categorical  bool, object, str/string and category dtypes, every column listed in `discrete_columns`,
               and -- only when `discrete_columns` is not given -- integer-valued columns with few distinct
               values: at most `FEW_DISTINCT_MAX` (10) distinct values AND fewer than
               `FEW_DISTINCT_FRACTION` (5%) of the non-null rows.
  integer      integer dtypes (numpy or nullable `Int64`), and float columns whose observed values are all
               whole numbers (e.g. an integer column with NaN, which pandas stores as float64): continuous,
               rounded on output, original dtype kept.
  continuous   other float columns.
  datetime     datetime64 columns (naive or tz-aware): float seconds since 1970 (UTC), continuous, rounded
               back to the column's time unit on output.
Numeric kinds share one spec (`NumericSpec`) holding the observed bounds and the Gaussian modes of
mode-specific normalisation (Xu et al. 2019, section 4.2); categorical columns a `CategoricalSpec`.
"""

from __future__ import annotations

import math

from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from duelo.errors import ConfigError, DataError

FEW_DISTINCT_MAX = 10           # integer columns with at most this many distinct values may be categorical ...
FEW_DISTINCT_FRACTION = 0.05    # ... if that count is also below this fraction of the non-null rows
NUMERIC_KINDS = ("continuous", "integer", "datetime")
JSON_SCALARS = (str, bool, int, float)
_UNIT_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}

OutputInfo = list[tuple[int, str]]   # [(width, "tanh" | "softmax"), ...]


# ---------------------------------------------------------------------------------------------------------
# Kind inference.

def infer_kind(series: pd.Series, declared_discrete: bool, few_distinct_rule: bool) -> str:
    """"categorical", "continuous", "integer" or "datetime" for one column; raises DataError if unusable.

    series:            one column, already checked not to be empty or entirely null.
    declared_discrete: the column is listed in `discrete_columns`.
    few_distinct_rule: apply the few-distinct-integers rule (True when `discrete_columns` was not given).
    """
    name, dtype = series.name, series.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        if declared_discrete:
            raise ConfigError(f"column {name!r} is datetime64 and listed in discrete_columns; if its values "
                              f"are categories convert it first (df[{name!r}].astype(str)), otherwise "
                              f"remove it from discrete_columns")
        return "datetime"
    if declared_discrete:
        return "categorical"
    if ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype) or ptypes.is_string_dtype(dtype):
        if dtype == np.dtype(object):
            _check_object_column(series)
        return "categorical"
    if ptypes.is_integer_dtype(dtype) or ptypes.is_float_dtype(dtype):
        values = numeric_values(series, "continuous")
        present = values[~np.isnan(values)]
        if np.isinf(present).any():
            raise DataError(f"column {name!r} contains inf or -inf; replace them (with NaN for 'missing', or "
                            f"with a finite value) before fitting")
        if ptypes.is_float_dtype(dtype) and not np.array_equal(present, np.round(present)):
            return "continuous"
        n_distinct = len(np.unique(present))
        if few_distinct_rule and n_distinct <= FEW_DISTINCT_MAX and n_distinct < FEW_DISTINCT_FRACTION * len(present):
            return "categorical"
        return "integer"
    raise DataError(f"column {name!r} has dtype {dtype}, which the tabular transformer does not handle; "
                    f"convert it to a number, a datetime64 or a string (or drop it)")


def _check_object_column(series: pd.Series) -> None:
    """An object column becomes categorical only if it holds strings or bools; mixed content is refused."""
    content = ptypes.infer_dtype(series, skipna=True)
    if content in ("string", "boolean", "empty", "bytes"):
        return
    name = series.name
    if content in ("integer", "floating", "mixed-integer-float", "decimal"):
        raise DataError(f"column {name!r} has object dtype but holds only numbers; convert it with "
                        f"pd.to_numeric(df[{name!r}]) to model it as a number, or list it in "
                        f"discrete_columns to model it as categories")
    raise DataError(f"column {name!r} has object dtype with mixed content ({content}: e.g. numbers and "
                    f"strings); convert it to one type (df[{name!r}].astype(str) for categories, "
                    f"pd.to_numeric for numbers) or list it in discrete_columns to keep each value as a level")


# ---------------------------------------------------------------------------------------------------------
# Numbers in and out of a column.

def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """(N,) float64 with NaN for missing; datetimes as seconds since 1970-01-01 UTC."""
    if kind == "datetime":
        ticks = series.array.asi8                                          # (N,) int64 in the column's unit
        seconds = ticks / _UNIT_PER_SECOND[series.dt.unit]
        return np.where(series.isna().to_numpy(), np.nan, seconds)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_series(values: np.ndarray, spec: NumericSpec, index: pd.Index) -> pd.Series:
    """Inverse of `numeric_values`: (N,) float64 with NaN -> a Series of the spec's dtype."""
    missing = np.isnan(values)
    if spec.kind == "datetime":
        dtype = ptypes.pandas_dtype(spec.dtype)
        unit = np.datetime_data(dtype.base if hasattr(dtype, "base") else dtype)[0]
        ticks = np.round(np.where(missing, 0.0, values) * _UNIT_PER_SECOND[unit]).astype(np.int64)
        stamps = np.where(missing, np.datetime64("NaT", unit), ticks.view(f"datetime64[{unit}]"))
        result = pd.Series(stamps, index=index, name=spec.name)
        tz = getattr(dtype, "tz", None)
        return result.dt.tz_localize("UTC").dt.tz_convert(tz) if tz is not None else result
    if spec.kind == "integer":
        values = np.round(values)
    return pd.Series(values, index=index, name=spec.name).astype(spec.dtype)


# ---------------------------------------------------------------------------------------------------------
# Specs: what was learned about each column, as plain JSON-ready data.

@dataclass
class NumericSpec:
    """A continuous, integer or datetime column encoded by mode-specific normalisation.

    Encoded width: 1 (alpha, tanh) + len(means) (mode one-hot, softmax) + 2 if has_missing (present/missing).
    """

    name: Hashable
    kind: str                      # "continuous" | "integer" | "datetime"
    dtype: str                     # str(series.dtype), restored on output
    minimum: float                 # observed bounds (seconds for datetimes); outputs are clipped to them
    maximum: float
    means: list[float]             # (K,) kept Gaussian modes, weight > the transformer's threshold
    stds: list[float]              # (K,) >= 0; 0 marks an exact mode (one value, decoded exactly)
    weights: list[float]           # (K,) sum to 1
    has_missing: bool              # the column had NaN/None at fit time: a present/missing one-hot is added

    @property
    def output_info(self) -> OutputInfo:
        info = [(1, "tanh"), (len(self.means), "softmax")]
        return info + [(2, "softmax")] if self.has_missing else info

    @property
    def width(self) -> int:
        return sum(width for width, _ in self.output_info)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "numeric", **asdict(self)}


@dataclass
class CategoricalSpec:
    """A categorical column encoded as one one-hot group: [levels..., rare (if any), missing (if any)].

    Levels are ordered by decreasing frequency (ties: first appearance). Levels seen fewer than
    `rare_fraction * n_rows` times are merged into one "rare" slot, decoded by sampling `rare_levels` with
    probabilities `rare_weights` (their observed proportions).
    """

    name: Hashable
    dtype: str                                           # str(series.dtype), restored on output
    levels: list[Any]                                    # frequent levels, one slot each
    rare_levels: list[Any] = field(default_factory=list)
    rare_weights: list[float] = field(default_factory=list)
    has_missing: bool = False
    categories: list[Any] | None = None                  # all categories of a `category` dtype column
    ordered: bool = False                                # its `ordered` flag

    @property
    def output_info(self) -> OutputInfo:
        return [(len(self.levels) + bool(self.rare_levels) + self.has_missing, "softmax")]

    @property
    def width(self) -> int:
        return self.output_info[0][0]

    def restore_dtype(self) -> Any:
        """The dtype to cast decoded values to."""
        if self.dtype == "category":
            return pd.CategoricalDtype(self.categories, ordered=self.ordered)
        return self.dtype

    def to_dict(self) -> dict[str, Any]:
        for value in [*self.levels, *self.rare_levels, *(self.categories or [])]:
            if not isinstance(value, JSON_SCALARS):
                raise DataError(f"column {self.name!r} has a level {value!r} of type {type(value).__name__}, "
                                f"which cannot be saved as JSON; convert the column to str before fitting")
        return {"type": "categorical", **asdict(self)}


ColumnSpec = NumericSpec | CategoricalSpec


def spec_from_dict(data: dict[str, Any]) -> ColumnSpec:
    """Inverse of `spec.to_dict()`; raises ConfigError on malformed data."""
    fields = {key: value for key, value in data.items() if key != "type"}
    kinds = {"numeric": NumericSpec, "categorical": CategoricalSpec}
    if data.get("type") not in kinds:
        raise ConfigError(f"column entry {data.get('name')!r} has type {data.get('type')!r}; expected "
                          f"'numeric' or 'categorical' (was the file written by TabularTransformer.to_dict?)")
    try:
        spec = kinds[data["type"]](**fields)
    except TypeError as error:
        raise ConfigError(f"column entry {data.get('name')!r} is malformed: {error}") from None
    problem = _numeric_problem(spec) if isinstance(spec, NumericSpec) else _categorical_problem(spec)
    if problem:
        raise ConfigError(f"column entry {spec.name!r}: {problem}")
    return spec


MAX_SAVED_MODES = 1000          # far above any max_modes; bounds what a damaged file can make duelo allocate
MAX_SAVED_LEVELS = 10_000_000


def _finite_numbers(values: Any, minimum: float | None = None) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        and (minimum is None or v >= minimum) for v in values)


def _numeric_problem(spec: NumericSpec) -> str | None:
    if spec.kind not in ("continuous", "integer", "datetime"):
        return f"kind must be continuous, integer or datetime, got {spec.kind!r}"
    if not (isinstance(spec.means, list) and 0 < len(spec.means) <= MAX_SAVED_MODES
            and len(spec.means) == len(spec.stds) == len(spec.weights)):
        return f"means, stds and weights must be non-empty lists of one length (at most {MAX_SAVED_MODES})"
    if not (_finite_numbers(spec.means) and _finite_numbers(spec.stds, 0.0) and _finite_numbers(spec.weights, 0.0)):
        return "means must be finite numbers, stds and weights finite and >= 0"
    if abs(sum(spec.weights) - 1.0) > 1e-3:
        return f"weights must sum to 1 (they sum to {sum(spec.weights):.4g})"
    if not (_finite_numbers([spec.minimum, spec.maximum]) and spec.minimum <= spec.maximum):
        return "minimum and maximum must be finite numbers with minimum <= maximum"
    if not isinstance(spec.has_missing, bool) or not isinstance(spec.dtype, str):
        return "has_missing must be true or false and dtype text"
    return None


def _categorical_problem(spec: CategoricalSpec) -> str | None:
    if not (isinstance(spec.levels, list) and isinstance(spec.rare_levels, list)):
        return "levels and rare_levels must be lists"
    if not spec.levels and not spec.rare_levels:
        return "it has no levels at all"
    if len(spec.levels) + len(spec.rare_levels) > MAX_SAVED_LEVELS:
        return f"more than {MAX_SAVED_LEVELS:,} levels"
    if len(spec.rare_weights) != len(spec.rare_levels) or not _finite_numbers(spec.rare_weights, 0.0):
        return "rare_weights must be one finite number >= 0 per rare level"
    if not isinstance(spec.has_missing, bool) or not isinstance(spec.dtype, str):
        return "has_missing must be true or false and dtype text"
    return None


def level_counts(series: pd.Series) -> tuple[list[Any], np.ndarray]:
    """Distinct non-null values as Python scalars, by decreasing count (ties: first appearance), and counts."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    order = np.argsort(-counts, kind="stable")
    values = np.asarray(uniques, dtype=object)[order]
    return [value.item() if isinstance(value, np.generic) else value for value in values], counts[order]


def check_frame(df: Any, role: str) -> None:
    """Refuse a non-frame, an empty frame or duplicate column names; `role` names the table in messages."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"the {role} table must be a pandas DataFrame, got {type(df).__name__}; "
                        f"load it with pandas.read_csv (or similar) first")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataError(f"the {role} table is empty ({df.shape[0]} rows, {df.shape[1]} columns); pass a "
                        f"table with at least one row and one column")
    duplicated = list(df.columns[df.columns.duplicated()])
    if duplicated:
        raise DataError(f"the {role} table has duplicate column names {duplicated!r}; rename them")


def canonical_label(value: Any) -> str:
    """Text for a category value that ignores storage type: True -> "True", 3 / 3.0 / "3" -> "3"."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)
