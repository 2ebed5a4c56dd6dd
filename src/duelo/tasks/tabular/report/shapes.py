"""Column shapes: how well each synthetic column's marginal distribution matches the real one.

Per column, a score in [0, 1] (1 = identical marginals):
  numeric      (1 - KS) * (1 - |missing rate real - missing rate synthetic|), where KS is the two-sample
               Kolmogorov-Smirnov statistic (largest gap between the empirical CDFs) of the non-missing
               values (datetimes as seconds). KS counts as 1 when only one table has present values and as
               0 when neither has; the missing-rate factor is 1 when neither table has missing values.
  categorical  1 - TV, the total variation distance 0.5 * sum |p_real - p_synthetic| over all levels of
               both tables, with missing counted as its own level (synthetic-only levels count fully).
The column-shapes score is the plain mean over columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from duelo.tasks.tabular.report.frames import ColumnData, Prepared, level_name

TOP_LEVELS = 10          # levels listed per categorical column


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample KS statistic of two 1-D arrays of finite values (both non-empty)."""
    a, b = np.sort(a), np.sort(b)
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def frequencies(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """(n_levels + 1,) shares of each code; the last slot is missing (code -1)."""
    counts = np.bincount(np.where(codes < 0, n_levels, codes), minlength=n_levels + 1)
    return counts / max(len(codes), 1)


def tv_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance of two discrete distributions over the same slots."""
    return float(0.5 * np.abs(p - q).sum())


def numeric_shape(real: np.ndarray, synthetic: np.ndarray) -> dict[str, Any]:
    """Score and statistics of one numeric column (float64 arrays, NaN = missing)."""
    real_present, synth_present = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    missing_real, missing_synth = 1 - len(real_present) / len(real), 1 - len(synth_present) / len(synthetic)
    if len(real_present) and len(synth_present):
        ks = ks_statistic(real_present, synth_present)
    else:
        ks = 0.0 if not len(real_present) and not len(synth_present) else 1.0
    missing_gap = abs(missing_real - missing_synth)
    return {"metric": "KS", "statistic": ks, "missing_rate_gap": missing_gap,
            "score": (1 - ks) * (1 - missing_gap),
            "missing_real": missing_real, "missing_synthetic": missing_synth,
            "real": _summary(real_present), "synthetic": _summary(synth_present)}


def _summary(present: np.ndarray) -> dict[str, float | None]:
    if not len(present):
        return {"mean": None, "std": None, "min": None, "median": None, "max": None}
    return {"mean": float(present.mean()), "std": float(present.std()), "min": float(present.min()),
            "median": float(np.median(present)), "max": float(present.max())}


def categorical_shape(column: ColumnData) -> dict[str, Any]:
    """Score, missing rates, top levels and unseen-level share of one categorical column."""
    n_levels = len(column.levels)
    p = frequencies(column.values["real"], n_levels)
    q = frequencies(column.values["synthetic"], n_levels)
    tv = tv_distance(p, q)
    order = [int(i) for i in np.argsort(-p, kind="stable")[:TOP_LEVELS] if p[i] > 0 or q[i] > 0]
    top = [{"level": level_name(column, -1 if i == n_levels else i), "real": float(p[i]),
            "synthetic": float(q[i])} for i in order]
    unseen = float(q[:n_levels][p[:n_levels] == 0].sum())
    return {"metric": "TV", "statistic": tv, "score": 1 - tv,
            "missing_real": float(p[-1]), "missing_synthetic": float(q[-1]),
            "n_levels_real": int((p[:n_levels] > 0).sum()),
            "n_levels_synthetic": int((q[:n_levels] > 0).sum()),
            "unseen_level_share": unseen, "top_levels": top}


def column_shapes(prepared: Prepared) -> tuple[float, list[dict[str, Any]]]:
    """The mean column score and one entry per column (report order = table order)."""
    entries = []
    for column in prepared.columns:
        if column.kind == "numeric":
            entry = numeric_shape(column.values["real"], column.values["synthetic"])
        else:
            entry = categorical_shape(column)
        entries.append({"name": column.label, "kind": column.kind, "detail": column.detail, **entry})
    return float(np.mean([entry["score"] for entry in entries])), entries
