"""TabularTransformer: a pandas DataFrame <-> a float32 matrix a GAN generator can produce.

Each column becomes a few consecutive spans of the matrix (`output_info_` lists them in order):
  numeric (continuous, integer, datetime) -- mode-specific normalisation (Xu et al. 2019, "Modeling
      Tabular Data using Conditional GAN", section 4.2): a variational Gaussian mixture is fitted to the
      column; a value x is represented by a mode k and alpha = (x - mu_k) / (4 sigma_k) clipped to
      [-0.99, 0.99]. Spans: (1, "tanh") alpha, (K, "softmax") mode one-hot, and (2, "softmax")
      present/missing when the column had missing values.
  categorical -- one (L, "softmax") span: frequent levels, then one "rare" slot, then one "missing" slot.

Decisions (each documented where it is implemented):
  * the mode of a value is SAMPLED from its posterior over the kept modes (as in the paper), with a
    generator seeded by `random_state` at every call, so transform() is deterministic for an int seed;
  * (duelo.tasks.tabular.modes) modes with mixture weight <= MIN_MODE_WEIGHT (0.005) are dropped, the rest renormalised;
  * a value held by >= SPIKE_FRACTION (5%) and >= SPIKE_MIN_COUNT (10) of a column's rows gets an exact
    mode (std 0) and decodes to exactly itself (zero-inflated columns such as capital gains); the most
    frequent such values are kept, at most max_modes - 1;
  * the mixture is fitted on at most GMM_FIT_ROWS (20,000) rows drawn without replacement;
  * rare levels (count < rare_fraction * n_rows) decode to a draw from the merged levels in their
    observed proportions;
  * a missing numeric value is encoded with alpha 0 and a mode drawn from the mixture weights;
    inverse_transform restores NaN/NaT/None wherever the missing slot wins the argmax;
  * a constant numeric column is one mode (its value, std 1); a constant categorical one level.
Float32 limits the resolution of alpha: a value comes back within about 4 sigma_k * 2**-24 (e.g. ~0.25 s
for a datetime mode one month wide).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from duelo.errors import ConfigError, DataError
from duelo.tasks.tabular.columns import (CategoricalSpec, ColumnSpec, NumericSpec, OutputInfo, check_frame,
                                   infer_kind, level_counts, numeric_series, numeric_values, spec_from_dict)
from duelo.tasks.tabular.modes import fit_modes

ALPHA_LIMIT = 0.99           # |alpha| is clipped to this on encoding (tanh never reaches 1)
FORMAT_NAME = "duelo.tabular.TabularTransformer"
FORMAT_VERSION = 1


class TabularTransformer(TransformerMixin, BaseEstimator):
    """Encode a DataFrame as a float32 matrix for a GAN and decode generated matrices back.

    Follows scikit-learn conventions: __init__ stores the hyper-parameters unchecked, fit() checks them,
    learned attributes end in "_".

    Args:
        discrete_columns: names of the columns to model as categorical; None infers kinds (see
                          duelo.tasks.tabular.columns). When given, unlisted numeric columns stay numeric.
        max_modes:        most Gaussian modes per numeric column (the paper uses 10).
        rare_fraction:    levels seen fewer than rare_fraction * n_rows times share one "rare" slot;
                          0 keeps every level.
        random_state:     int seed (or None) for row subsampling, the mixtures, mode sampling in transform
                          and rare-level draws in inverse_transform; every call starts again from it.

    Learned attributes:
        column_specs_: list[NumericSpec | CategoricalSpec], one per input column, in input order.
        output_info_:  list of (width, "tanh" | "softmax") spans; the widths sum to output_dim_.
        output_dim_:   D, the number of matrix columns.
    """

    def __init__(self,
                 discrete_columns: Iterable[Hashable] | None = None,   # None: infer column kinds
                 max_modes:        int = 10,                           # Gaussian modes per numeric column
                 rare_fraction:    float = 0.01,                       # below this share of rows: "rare"
                 random_state:     int | None = 0):                    # None: fresh randomness every call
        self.discrete_columns = discrete_columns
        self.max_modes = max_modes
        self.rare_fraction = rare_fraction
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame, y: Any = None) -> TabularTransformer:
        """Learn the kind, bounds and encoding of every column of `df` (N rows, C columns); returns self."""
        discrete = self._checked_params()
        _check_frame(df)
        unknown = [name for name in discrete if name not in df.columns]
        if unknown:
            raise ConfigError(f"discrete_columns names {unknown!r}, which the frame does not have; "
                              f"its columns are {list(df.columns)!r}")
        kinds = [infer_kind(df[name], name in discrete, few_distinct_rule=self.discrete_columns is None)
                 for name in df.columns]
        # one generator per column, spawned in column order: the result does not depend on thread timing
        rngs = np.random.default_rng(self.random_state).spawn(len(kinds))

        def fit_column(i: int) -> ColumnSpec:
            series = df[df.columns[i]]
            if kinds[i] == "categorical":
                return _fit_categorical(series, self.rare_fraction)
            return _fit_numeric(series, kinds[i], self.max_modes, rngs[i])

        # the mixtures (numpy, which releases the GIL) fit on all cores at once
        with warnings.catch_warnings(), \
                ThreadPoolExecutor(max_workers=max(1, min(len(kinds), os.cpu_count() or 1))) as pool:
            warnings.simplefilter("ignore", ConvergenceWarning)   # a not-quite-converged mixture still encodes
            self._set_specs(list(pool.map(fit_column, range(len(kinds)))))
        return self

    def _set_specs(self, specs: list[ColumnSpec]) -> None:
        self.column_specs_ = specs
        self.output_info_: OutputInfo = [info for spec in specs for info in spec.output_info]
        self.output_dim_ = sum(width for width, _ in self.output_info_)

    def _checked_params(self) -> list[Hashable]:
        """Validate the hyper-parameters (scikit-learn checks them in fit, not __init__)."""
        if isinstance(self.max_modes, bool) or not isinstance(self.max_modes, (int, np.integer)) \
                or self.max_modes < 1:
            raise ConfigError(f"max_modes must be a positive int, got {self.max_modes!r}")
        if not isinstance(self.rare_fraction, (int, float)) or not 0 <= self.rare_fraction < 1:
            raise ConfigError(f"rare_fraction must be a number in [0, 1), got {self.rare_fraction!r}")
        if self.random_state is not None and (isinstance(self.random_state, bool)
                                              or not isinstance(self.random_state, (int, np.integer))):
            raise ConfigError(f"random_state must be an int or None, got {self.random_state!r}")
        if self.discrete_columns is None:
            return []
        if isinstance(self.discrete_columns, str):
            raise ConfigError(f"discrete_columns must be a list of column names, got the string "
                              f"{self.discrete_columns!r}; write [{self.discrete_columns!r}]")
        return list(self.discrete_columns)

    # -- encoding and decoding -------------------------------------------------------------------------

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """(N, C) DataFrame with the fitted columns (any order) -> (N, output_dim_) float32 matrix."""
        check_is_fitted(self, "column_specs_")
        _check_frame(df)
        names = [spec.name for spec in self.column_specs_]
        missing = [name for name in names if name not in df.columns]
        extra = [name for name in df.columns if name not in names]
        if missing or extra:
            raise DataError(f"the frame's columns differ from those seen in fit: missing {missing!r}, "
                            f"unexpected {extra!r}; pass a frame with exactly the fitted columns")
        rng = np.random.default_rng(self.random_state)
        blocks = [_encode_categorical(df[spec.name], spec) if isinstance(spec, CategoricalSpec)
                  else _encode_numeric(numeric_values(df[spec.name], spec.kind), spec, rng)
                  for spec in self.column_specs_]
        matrix = np.concatenate(blocks, axis=1).astype(np.float32)           # (N, D)
        assert matrix.shape == (len(df), self.output_dim_)
        return matrix

    def inverse_transform(self, matrix: Any) -> pd.DataFrame:
        """(N, output_dim_) matrix (numpy, or a CPU tensor) -> DataFrame with the fitted columns and dtypes.

        Softmax spans are decoded by argmax, so raw generator outputs (probabilities or logits) work.
        Numeric values are clipped to the bounds seen in fit.
        """
        check_is_fitted(self, "column_specs_")
        values = np.asarray(matrix, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != self.output_dim_:
            raise DataError(f"inverse_transform expects a matrix of shape (N, {self.output_dim_}), got "
                            f"{values.shape}; pass the output of transform() or of a generator built "
                            f"from output_info_")
        if not np.isfinite(values).all():
            raise DataError("inverse_transform got NaN or inf in its matrix; the generator diverged")
        rng = np.random.default_rng(self.random_state)
        index = pd.RangeIndex(len(values))
        columns: dict[Hashable, pd.Series] = {}
        start = 0
        for spec in self.column_specs_:
            block = values[:, start:start + spec.width]                     # (N, width)
            start += spec.width
            if isinstance(spec, CategoricalSpec):
                columns[spec.name] = _decode_categorical(block, spec, rng, index)
            else:
                columns[spec.name] = numeric_series(_decode_numeric(block, spec), spec, index)
        return pd.DataFrame(columns, index=index)

    # -- persistence as plain data ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the fitted transformer, as JSON-ready lists, numbers and strings."""
        check_is_fitted(self, "column_specs_")
        discrete = self._checked_params()
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                "params": {"discrete_columns": None if self.discrete_columns is None else discrete,
                           "max_modes": int(self.max_modes), "rare_fraction": float(self.rare_fraction),
                           "random_state": None if self.random_state is None else int(self.random_state)},
                "columns": [spec.to_dict() for spec in self.column_specs_]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularTransformer:
        """Rebuild a fitted transformer from `to_dict()` output (e.g. after json.loads)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ConfigError(f"not a saved TabularTransformer: expected format {FORMAT_NAME!r}")
        if data.get("version") != FORMAT_VERSION:
            raise ConfigError(f"saved TabularTransformer has version {data.get('version')!r}; this duelo "
                              f"reads version {FORMAT_VERSION}")
        try:
            transformer = cls(**data["params"])
            specs = [spec_from_dict(entry) for entry in data["columns"]]
        except (KeyError, TypeError) as error:
            raise ConfigError(f"saved TabularTransformer is malformed: {error!r}") from None
        transformer._checked_params()
        transformer._set_specs(specs)
        return transformer


# ---------------------------------------------------------------------------------------------------------
# Frame checks.

def _check_frame(df: Any) -> None:
    """Refuse what no column can be learned from: not a frame, empty, duplicate names, all-null columns."""
    check_frame(df, "input")
    for name in df.columns:
        if df[name].isna().all():
            raise DataError(f"column {name!r} is entirely null ({len(df)} rows); drop it before fitting")


# ---------------------------------------------------------------------------------------------------------
# Numeric columns: mode-specific normalisation (Xu et al. 2019, section 4.2).

def _fit_numeric(series: pd.Series, kind: str, max_modes: int, rng: np.random.Generator) -> NumericSpec:
    """Fit the Gaussian modes and bounds of one numeric column."""
    values = numeric_values(series, kind)                                   # (N,) with NaN
    present = values[~np.isnan(values)]
    means, stds, weights = fit_modes(present, max_modes, rng)
    return NumericSpec(name=series.name, kind=kind, dtype=str(series.dtype),
                       minimum=float(present.min()), maximum=float(present.max()),
                       means=means, stds=stds, weights=weights, has_missing=bool(len(present) < len(values)))


def _encode_numeric(values: np.ndarray, spec: NumericSpec, rng: np.random.Generator) -> np.ndarray:
    """(N,) float64 with NaN -> (N, spec.width): [alpha, mode one-hot (K), (present, missing)?]."""
    if np.isinf(values).any():
        raise DataError(f"column {spec.name!r} contains inf or -inf; replace them with NaN or finite values")
    missing = np.isnan(values)
    if missing.any() and not spec.has_missing:
        raise DataError(f"column {spec.name!r} has missing values but had none when the transformer was "
                        f"fitted; fill them, or refit on data that includes missing values")
    means, stds, weights = (np.asarray(v, dtype=np.float64) for v in (spec.means, spec.stds, spec.weights))
    exact = stds == 0                                                       # (K,) spike modes
    scale = np.where(exact, 1.0, stds)
    filled = np.where(missing, means[0], values)[:, None]                   # (N, 1)
    z = (filled - means) / scale                                            # (N, K) distance in stds
    log_posterior = np.log(weights) - np.log(scale) - 0.5 * z**2            # (N, K) up to a constant
    if exact.any():
        on_spike = (filled == means) & exact                                # (N, K)
        hit = on_spike.any(axis=1)
        if exact.all():      # only spikes (new values at transform time): the nearest spike
            distance = np.abs(filled - means)
            log_posterior = np.where(distance == distance.min(axis=1, keepdims=True), 0.0, -np.inf)
        else:                # a spike value takes its spike mode; other values only the Gaussian modes
            log_posterior = np.where(hit[:, None], np.where(on_spike, 0.0, -np.inf),
                                     np.where(exact, -np.inf, log_posterior))
    log_posterior[missing] = np.log(weights)                                # missing rows: the prior
    mode = _sample_rows(log_posterior, rng)                                 # (N,)
    rows = np.arange(len(values))
    alpha = np.clip(z[rows, mode] / 4, -ALPHA_LIMIT, ALPHA_LIMIT)
    alpha[missing | exact[mode]] = 0.0                                      # exact modes carry no offset
    block = np.zeros((len(values), spec.width))
    block[:, 0] = alpha
    block[rows, 1 + mode] = 1.0
    if spec.has_missing:
        block[rows, 1 + len(means) + missing] = 1.0                         # slot 0 present, 1 missing
    return block


def _sample_rows(log_weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of (N, K) unnormalised log-probabilities, drawn by inverse CDF (vectorised)."""
    probabilities = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(log_weights)) * cumulative[:, -1]
    return np.minimum((cumulative < draws[:, None]).sum(axis=1), log_weights.shape[1] - 1)


def _decode_numeric(block: np.ndarray, spec: NumericSpec) -> np.ndarray:
    """(N, spec.width) -> (N,) float64 values clipped to the fitted bounds, NaN where "missing" wins."""
    n_modes = len(spec.means)
    mode = block[:, 1:1 + n_modes].argmax(axis=1)
    alpha = np.clip(block[:, 0], -1.0, 1.0)
    values = alpha * 4 * np.asarray(spec.stds)[mode] + np.asarray(spec.means)[mode]
    values = np.clip(values, spec.minimum, spec.maximum)
    if spec.has_missing:
        values[block[:, 1 + n_modes:3 + n_modes].argmax(axis=1) == 1] = np.nan
    return values


# ---------------------------------------------------------------------------------------------------------
# Categorical columns: one-hot with a shared rare slot and a missing slot.

def _fit_categorical(series: pd.Series, rare_fraction: float) -> CategoricalSpec:
    """Levels by frequency; those seen fewer than rare_fraction * n_rows times are merged as "rare"."""
    levels, counts = level_counts(series)
    rare = counts < rare_fraction * len(series)
    dtype = series.dtype
    categorical = isinstance(dtype, pd.CategoricalDtype)
    return CategoricalSpec(
        name=series.name, dtype="category" if categorical else str(dtype),
        levels=[level for level, is_rare in zip(levels, rare) if not is_rare],
        rare_levels=[level for level, is_rare in zip(levels, rare) if is_rare],
        rare_weights=(counts[rare] / counts[rare].sum()).tolist() if rare.any() else [],
        has_missing=bool(series.isna().any()),
        categories=dtype.categories.tolist() if categorical else None,
        ordered=bool(dtype.ordered) if categorical else False)


def _encode_categorical(series: pd.Series, spec: CategoricalSpec) -> np.ndarray:
    """(N,) values -> (N, spec.width) one-hot rows."""
    values = series.astype(object)
    slots = pd.Index(spec.levels, dtype=object).get_indexer(values)        # (N,) -1 if not frequent
    if spec.rare_levels:
        is_rare = pd.Index(spec.rare_levels, dtype=object).get_indexer(values) >= 0
        slots[is_rare] = len(spec.levels)
    missing = series.isna().to_numpy()
    if missing.any():
        if not spec.has_missing:
            raise DataError(f"column {spec.name!r} has missing values but had none when the transformer "
                            f"was fitted; fill them, or refit on data that includes missing values")
        slots[missing] = spec.width - 1
    unseen = slots < 0
    if unseen.any():
        examples = pd.unique(values[unseen])[:5].tolist()
        raise DataError(f"column {spec.name!r} has {int(unseen.sum())} values not seen in fit, e.g. "
                        f"{examples!r}; refit on data that includes them")
    block = np.zeros((len(series), spec.width))
    block[np.arange(len(series)), slots] = 1.0
    return block


def _decode_categorical(block: np.ndarray, spec: CategoricalSpec, rng: np.random.Generator,
                        index: pd.Index) -> pd.Series:
    """(N, spec.width) scores -> (N,) Series of the original dtype; the rare slot draws a merged level."""
    slots = block.argmax(axis=1)
    n_levels = len(spec.levels)
    values = np.full(len(block), None, dtype=object)
    frequent = slots < n_levels
    values[frequent] = np.asarray(spec.levels + [None], dtype=object)[slots[frequent]]
    if spec.rare_levels:
        is_rare = slots == n_levels
        weights = np.asarray(spec.rare_weights) / np.sum(spec.rare_weights)
        draws = rng.choice(len(spec.rare_levels), size=int(is_rare.sum()), p=weights)
        values[is_rare] = np.asarray(spec.rare_levels + [None], dtype=object)[draws]
    # dtype=object stops pandas inferring "str" first; missing stays None in object columns (NaN/NA in others)
    return pd.Series(values, index=index, name=spec.name, dtype=object).astype(spec.restore_dtype())
