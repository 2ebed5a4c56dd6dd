"""Privacy: are synthetic rows suspiciously close to (or copies of) real rows?

Encoding (fitted on the real table, applied to all): numeric columns min-max scaled by the real range
(a constant column by 1), missing -> 0 plus a missing-indicator feature; categorical columns one-hot with
missing as its own level, each one-hot scaled by 1/sqrt(2) so that two different levels are at distance 1,
like two numbers at the two ends of the real range. Levels beyond the `MAX_LEVELS` most frequent real ones
share one "other" slot (so two different rare levels count as equal).

DCR (distance to closest record): Euclidean distance from a row to its nearest row of the real table, for
a seeded sample of up to `SAMPLE_ROWS` synthetic rows and, as the baseline of what new real rows look like,
up to `SAMPLE_ROWS` holdout rows. The reference real table is a seeded sample of up to `REFERENCE_ROWS`
rows. Reported: quantiles (median, 5th percentile, ...), the 5th-percentile ratio synthetic / holdout
(near 1 is good, near 0 means synthetic rows sit much closer to training rows than new real rows do) and
histogram counts.
Closer-to-training share: for each sampled synthetic row, whether its nearest real-training row is closer
than its nearest holdout row, both reference sets of equal size (the larger one is subsampled); ties count
one half. 0.5 is ideal; near 1 means the generator reproduces its training rows.
Exact copies: synthetic rows identical to some real row over all columns (every row, no sampling; values
compared in the shared encoding, so 3 equals 3.0 and missing equals missing), and the same fraction for
holdout rows, since real tables contain natural duplicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from duelo.tasks.tabular.report.frames import Prepared

SAMPLE_ROWS = 5_000
REFERENCE_ROWS = 50_000
MAX_LEVELS = 100
CHUNK = 512
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 30


def encode(prepared: Prepared, role: str, rows: np.ndarray) -> np.ndarray:
    """(len(rows), D) float32 rows of one table in the shared distance space."""
    blocks = []
    for column in prepared.columns:
        values = column.values[role][rows]
        if column.kind == "numeric":
            real = column.values["real"]
            low, high = np.nanmin(real), np.nanmax(real)
            scale = high - low if high > low else 1.0
            missing = np.isnan(values)
            blocks.append(np.where(missing, 0.0, (values - low) / scale)[:, None])
            if np.isnan(real).any() or any(np.isnan(column.values[t]).any() for t in prepared.tables):
                blocks.append(missing.astype(np.float64)[:, None])
        else:
            width = min(len(column.levels), MAX_LEVELS)
            slots = np.where(values < 0, width + 1, np.minimum(values, width))     # width = "other"
            one_hot = np.zeros((len(values), width + 2))
            one_hot[np.arange(len(values)), slots] = np.sqrt(0.5)
            blocks.append(one_hot)
    return np.concatenate(blocks, axis=1).astype(np.float32)


def nearest_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(Q,) Euclidean distance from each query row to its nearest reference row.

    The nearest row is found with float32 matrix products in chunks; its distance is then recomputed
    exactly in float64 (so an identical row gives exactly 0)."""
    ref_norms = (reference.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
    result = np.empty(len(queries))
    for start in range(0, len(queries), CHUNK):
        block = queries[start:start + CHUNK]
        squared = ref_norms[None, :] - 2 * block @ reference.T        # + |q|^2, constant per row
        nearest = np.argmin(squared, axis=1)
        gap = block.astype(np.float64) - reference[nearest].astype(np.float64)
        result[start:start + len(block)] = np.sqrt((gap ** 2).sum(axis=1))
    return result


def _sample(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, limit, replace=False)) if n > limit else np.arange(n)


def row_keys(prepared: Prepared, role: str) -> np.ndarray:
    """(N,) uint64 hash of each whole row in the shared encoding (NaN equals NaN, -0.0 equals 0.0)."""
    frame = pd.DataFrame({i: (c.values[role] + 0.0 if c.kind == "numeric" else c.values[role])
                          for i, c in enumerate(prepared.columns)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _quantiles(distances: np.ndarray | None) -> dict[str, float] | None:
    if distances is None:
        return None
    return {f"p{round(q * 100)}": float(np.quantile(distances, q)) for q in QUANTILES} | \
        {"mean": float(distances.mean()), "rows": int(len(distances))}


def privacy(prepared: Prepared, random_state: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summary for "scores" and the section's details."""
    rng = np.random.default_rng(random_state)
    n = prepared.n_rows
    has_holdout = "holdout" in n
    real_keys = row_keys(prepared, "real")
    copies = int(np.isin(row_keys(prepared, "synthetic"), real_keys).sum())
    holdout_copies = int(np.isin(row_keys(prepared, "holdout"), real_keys).sum()) if has_holdout else None

    reference_rows = _sample(n["real"], REFERENCE_ROWS, rng)
    reference = encode(prepared, "real", reference_rows)
    synth_rows = _sample(n["synthetic"], SAMPLE_ROWS, rng)
    synth = encode(prepared, "synthetic", synth_rows)
    dcr_synth = nearest_distances(synth, reference)
    dcr_holdout = share = None
    if has_holdout:
        holdout_all = encode(prepared, "holdout", np.arange(n["holdout"]))
        dcr_holdout = nearest_distances(holdout_all[_sample(n["holdout"], SAMPLE_ROWS, rng)], reference)
        size = min(len(reference), len(holdout_all))
        to_train = nearest_distances(synth, reference[_sample(len(reference), size, rng)])
        to_holdout = nearest_distances(synth, holdout_all[_sample(len(holdout_all), size, rng)])
        share = float(np.mean((to_train < to_holdout) + 0.5 * (to_train == to_holdout)))

    synth_q, holdout_q = _quantiles(dcr_synth), _quantiles(dcr_holdout)
    ratio = None
    if holdout_q is not None and holdout_q["p5"] > 0:
        ratio = synth_q["p5"] / holdout_q["p5"]
    summary = {"dcr_synthetic_median": synth_q["p50"], "dcr_synthetic_p5": synth_q["p5"],
               "dcr_holdout_median": holdout_q["p50"] if holdout_q else None,
               "dcr_holdout_p5": holdout_q["p5"] if holdout_q else None,
               "dcr_p5_ratio": ratio, "closer_to_training_share": share,
               "exact_copies": copies, "exact_copy_fraction": copies / n["synthetic"],
               "holdout_exact_copy_fraction": holdout_copies / n["holdout"] if has_holdout else None}
    details = {**summary, "distance": "euclidean", "dcr_synthetic": synth_q, "dcr_holdout": holdout_q,
               "histogram": _histogram(dcr_synth, dcr_holdout),
               "reference_rows": int(len(reference_rows)), "synthetic_rows_sampled": int(len(synth_rows)),
               "holdout_exact_copies": holdout_copies,
               "note": _note(has_holdout, ratio, holdout_q)}
    return summary, details


def _histogram(synth: np.ndarray, holdout: np.ndarray | None) -> dict[str, list]:
    """Counts on shared bins from 0 to the largest 99th percentile (larger distances in the last bin)."""
    top = max(float(np.quantile(d, 0.99)) for d in (synth, holdout) if d is not None)
    edges = np.linspace(0.0, top if top > 0 else 1.0, HISTOGRAM_BINS + 1)
    count = lambda d: np.histogram(np.minimum(d, edges[-1]), bins=edges)[0].tolist()  # noqa: E731
    return {"edges": edges.tolist(), "synthetic": count(synth),
            "holdout": count(holdout) if holdout is not None else None}


def _note(has_holdout: bool, ratio: float | None, holdout_q: dict | None) -> str:
    if not has_holdout:
        return ("no holdout given: there is no baseline for the distances and no closer-to-training share; "
                "pass a holdout table of real rows the generator never saw")
    if ratio is None and holdout_q is not None:
        return ("the holdout's 5th-percentile distance is 0 (duplicates of real rows), so the ratio is "
                "undefined")
    return ""
