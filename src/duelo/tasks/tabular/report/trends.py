"""Column pair trends: how well the synthetic table keeps the relationships between pairs of columns.

Per pair of columns, a score in [0, 1] (1 = same relationship):
  numeric-numeric  1 - |r_real - r_synthetic| / 2, with r the Pearson correlation over the rows where both
                   columns are present (in each table separately). When a column is constant (or has fewer
                   than 2 such rows) in either table, the contingency score below is used instead.
  otherwise        1 - TV between the normalised 2-D contingency tables of the two columns. Numeric columns
                   are discretised into (up to) `N_BINS` quantile bins whose edges are fitted on the REAL
                   column and applied to both tables; missing is its own bin / level.
The column-pair-trends score is the plain mean over pairs. Tables wider than `MAX_COLUMNS` columns are
reduced to a seeded random sample of `MAX_COLUMNS` columns (noted in the output).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from duelo.tasks.tabular.report.frames import ColumnData, Prepared
from duelo.tasks.tabular.report.shapes import tv_distance

N_BINS = 10
MAX_COLUMNS = 50
DENSE_TABLE_MAX = 1_000_000      # larger contingency tables are counted sparsely


def quantile_codes(real: np.ndarray, synthetic: np.ndarray, n_bins: int = N_BINS) -> tuple[dict, int]:
    """Bin codes of a numeric column (edges: quantiles of the real column; missing = last code)."""
    present = real[~np.isnan(real)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1])) if len(present) else []
    n_codes = len(edges) + 2                                  # bins, then missing
    codes = {}
    for role, values in (("real", real), ("synthetic", synthetic)):
        binned = np.searchsorted(edges, values, side="right")
        codes[role] = np.where(np.isnan(values), n_codes - 1, binned).astype(np.int64)
    return codes, n_codes


def _discrete(column: ColumnData) -> tuple[dict, int]:
    """Codes 0..n-1 of both tables for a contingency table (missing = last code)."""
    if column.kind == "numeric":
        return quantile_codes(column.values["real"], column.values["synthetic"])
    n = len(column.levels) + 1
    return {role: np.where(column.values[role] < 0, n - 1, column.values[role])
            for role in ("real", "synthetic")}, n


def contingency_score(a: dict, n_a: int, b: dict, n_b: int) -> float:
    """1 - TV between the joint distributions of codes a and b in the real and synthetic tables."""
    keys = {role: a[role] * n_b + b[role] for role in ("real", "synthetic")}
    if n_a * n_b <= DENSE_TABLE_MAX:
        p, q = (np.bincount(keys[role], minlength=n_a * n_b) / len(keys[role])
                for role in ("real", "synthetic"))
        return 1 - tv_distance(p, q)
    values_r, counts_r = np.unique(keys["real"], return_counts=True)
    values_s, counts_s = np.unique(keys["synthetic"], return_counts=True)
    support = np.union1d(values_r, values_s)
    p, q = np.zeros(len(support)), np.zeros(len(support))
    p[np.searchsorted(support, values_r)] = counts_r / len(keys["real"])
    q[np.searchsorted(support, values_s)] = counts_s / len(keys["synthetic"])
    return 1 - tv_distance(p, q)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Correlation over rows where both are present; None if under 2 such rows or a constant column."""
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if len(x) < 2:
        return None
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    if denominator == 0 or not np.isfinite(denominator):
        return None
    return float(np.clip((x * y).sum() / denominator, -1.0, 1.0))


def pair_trends(prepared: Prepared,
                rng: np.random.Generator) -> tuple[float | None, list[dict[str, Any]], list[str]]:
    """The mean pair score (None for a one-column table), one entry per pair, and notes."""
    notes = []
    columns = prepared.columns
    if len(columns) > MAX_COLUMNS:
        keep = np.sort(rng.choice(len(columns), MAX_COLUMNS, replace=False))
        columns = [columns[i] for i in keep]
        notes.append(f"column pair trends use a seeded random sample of {MAX_COLUMNS} of the "
                     f"{len(prepared.columns)} columns ({MAX_COLUMNS * (MAX_COLUMNS - 1) // 2} pairs)")
    if len(columns) < 2:
        return None, [], notes + ["column pair trends need at least two columns"]
    discrete = {column.label: _discrete(column) for column in columns}
    pairs = []
    for first, second in combinations(columns, 2):
        entry: dict[str, Any] = {"columns": [first.label, second.label], "real": None, "synthetic": None}
        if first.kind == second.kind == "numeric":
            r_real = pearson(first.values["real"], second.values["real"])
            r_synth = pearson(first.values["synthetic"], second.values["synthetic"])
            entry["real"], entry["synthetic"] = r_real, r_synth
            if r_real is not None and r_synth is not None:
                pairs.append({**entry, "metric": "correlation", "score": 1 - abs(r_real - r_synth) / 2})
                continue
        score = contingency_score(*discrete[first.label], *discrete[second.label])
        pairs.append({**entry, "metric": "contingency", "score": score})
    return float(np.mean([pair["score"] for pair in pairs])), pairs, notes
