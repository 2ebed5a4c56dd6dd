"""`quality_report`: assemble column shapes, pair trends, ML efficacy and privacy into one JSON-ready dict.

Sampling (seeded by `random_state`, listed under meta["subsampling"] whenever it applies):
  column shapes      every row.
  pair trends        up to `max_rows` rows of the real and of the synthetic table.
  ML efficacy        up to `max_rows` training rows per model and `max_rows` test rows.
  privacy            up to 5,000 synthetic / holdout query rows against up to 50,000 real rows; exact copies
                     use every row.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from duelo.errors import ConfigError, DataError
import duelo.tasks.tabular.report.efficacy as efficacy
import duelo.tasks.tabular.report.privacy as privacy
import duelo.tasks.tabular.report.shapes as shapes
import duelo.tasks.tabular.report.trends as trends
from duelo.tasks.tabular.columns import check_frame
from duelo.tasks.tabular.report.frames import Prepared, check_same_columns, prepare

MIN_MAX_ROWS = 100


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, *, holdout: pd.DataFrame | None = None,
                   target: str | None = None, discrete_columns: list | None = None,
                   random_state: int = 0, max_rows: int = 20_000) -> dict[str, Any]:
    """Compare a synthetic table with the real one it imitates; returns a JSON-ready dict.

    real:             the table the generator was trained on (N rows, C columns).
    synthetic:        generated rows with the same column names (any order).
    holdout:          optional real rows the generator never saw: the ML-efficacy test set and the
                      privacy baseline.
    target:           the column ML efficacy predicts; default the last column of `real`.
    discrete_columns: columns to treat as categorical (as for TabularTransformer); None infers kinds.
    random_state:     seed of every subsample and model.
    max_rows:         cap on the rows used by pair trends and by each ML-efficacy training / test set.

    Keys: "scores" (column_shapes, column_pair_trends, ml_efficacy, privacy summary), "columns", "pairs",
    "ml_efficacy", "privacy", "meta". Quality scores lie in [0, 1] with 1 = identical (ml_efficacy is a
    ratio and may exceed 1); missing values are None, never NaN. Definitions: column shapes in `shapes`
    (numeric: (1 - KS) * (1 - missing-rate gap)), pair trends in `trends`, ML efficacy in `efficacy`,
    privacy (Euclidean DCR, exact copies) in `privacy`. A column that is entirely null in the real table is
    scored as a categorical column with the single level "missing" (see `frames`).
    Raises DataError for unusable tables (not a DataFrame, empty, different columns, a numeric column
    holding text in the synthetic table, an unknown target) and ConfigError for bad options.
    """
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    _check_params(random_state, max_rows)
    frames = _checked_frames(real, synthetic, holdout)
    target_name, target_chosen = _target(real, target)
    prepared = prepare(frames, discrete_columns)
    seconds["prepare"] = time.perf_counter() - started

    clock = time.perf_counter()
    shapes_score, columns = shapes.column_shapes(prepared)
    seconds["column_shapes"] = time.perf_counter() - clock

    clock = time.perf_counter()
    rng = np.random.default_rng(random_state)
    sampling: list[str] = []
    trend_rows = {}
    for role in ("real", "synthetic"):
        if prepared.n_rows[role] > max_rows:
            trend_rows[role] = np.sort(rng.choice(prepared.n_rows[role], max_rows, replace=False))
            sampling.append(f"column pair trends: a seeded sample of {max_rows} of the "
                            f"{prepared.n_rows[role]} {role} rows")
    trends_score, pairs, trend_notes = trends.pair_trends(prepared.subset(trend_rows), rng)
    sampling += trend_notes
    seconds["column_pair_trends"] = time.perf_counter() - clock

    clock = time.perf_counter()
    ml_score, ml_details = efficacy.ml_efficacy(prepared, target_name, target_chosen, random_state, max_rows)
    sampling += ml_details["subsampling"]
    seconds["ml_efficacy"] = time.perf_counter() - clock

    clock = time.perf_counter()
    privacy_summary, privacy_details = privacy.privacy(prepared, random_state)
    sampling += _privacy_sampling(prepared, privacy_details)
    seconds["privacy"] = time.perf_counter() - clock
    seconds["total"] = time.perf_counter() - started

    report = {
        "scores": {"column_shapes": shapes_score, "column_pair_trends": trends_score,
                   "ml_efficacy": ml_score, "privacy": privacy_summary},
        "columns": columns,
        "pairs": pairs,
        "ml_efficacy": ml_details,
        "privacy": privacy_details,
        "meta": _meta(prepared, random_state, max_rows, sampling, seconds),
    }
    return json_ready(report)


def _check_params(random_state: Any, max_rows: Any) -> None:
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise ConfigError(f"random_state must be an int, got {random_state!r}")
    if isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < MIN_MAX_ROWS:
        raise ConfigError(f"max_rows must be an int of at least {MIN_MAX_ROWS}, got {max_rows!r}")


def _checked_frames(real: Any, synthetic: Any, holdout: Any) -> dict[str, pd.DataFrame]:
    """The frames by role, each checked, the others' columns put in the real table's order."""
    check_frame(real, "real")
    check_frame(synthetic, "synthetic")
    check_same_columns(real, synthetic, "synthetic")
    frames = {"real": real, "synthetic": synthetic[list(real.columns)]}
    if holdout is not None:
        check_frame(holdout, "holdout")
        check_same_columns(real, holdout, "holdout")
        frames["holdout"] = holdout[list(real.columns)]
    return frames


def _target(real: pd.DataFrame, target: Hashable | None) -> tuple[Hashable, str]:
    if target is None:
        return real.columns[-1], "last column"
    if target not in set(real.columns):
        raise DataError(f"target column {target!r} is not in the real table; its columns are "
                        f"{[str(name) for name in real.columns]!r}; pass one of them as the target")
    return target, "given"


def _privacy_sampling(prepared: Prepared, details: dict[str, Any]) -> list[str]:
    notes = []
    if details["synthetic_rows_sampled"] < prepared.n_rows["synthetic"]:
        notes.append(f"privacy: distances for a seeded sample of {details['synthetic_rows_sampled']} of the "
                     f"{prepared.n_rows['synthetic']} synthetic rows")
    holdout = details.get("dcr_holdout")
    if holdout and holdout["rows"] < prepared.n_rows.get("holdout", 0):
        notes.append(f"privacy: distances for a seeded sample of {holdout['rows']} of the "
                     f"{prepared.n_rows['holdout']} holdout rows")
    if details["reference_rows"] < prepared.n_rows["real"]:
        notes.append(f"privacy: distances to a seeded sample of {details['reference_rows']} of the "
                     f"{prepared.n_rows['real']} real rows")
    return notes


def _meta(prepared: Prepared, random_state: int, max_rows: int, sampling: list[str],
          seconds: dict[str, float]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "rows": dict(prepared.n_rows), "columns": [column.label for column in prepared.columns],
        "kinds": {column.label: column.detail for column in prepared.columns},
        "random_state": int(random_state), "max_rows": int(max_rows), "subsampling": sampling,
        "notes": list(prepared.notes), "seconds": {key: round(value, 3) for key, value in seconds.items()}}
    try:
        from duelo import __version__
        meta["duelo_version"] = __version__
    except ImportError:
        pass
    return meta


def json_ready(value: Any) -> Any:
    """`value` with numpy scalars made Python ones, NaN / inf made None, tuples made lists, keys made str."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_ready(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)
