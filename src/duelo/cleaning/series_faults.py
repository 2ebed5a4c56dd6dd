"""Faults of a set of time series (windows, UCR/UEA cases), each item given at most one finding, the most serious:
degenerate (flat, or too short to hold a shape), duplicate (of an earlier item), outlier (far from the rest),
mislabelled (a classifier that never saw it is confident it is another class). The detectors are the images'
(cleaning/findings.py), in a view of series:

    steps      every item's valid steps resampled to VIEW_STEPS per channel (linear interpolation), in the data's
               [-1, 1] scaling (per channel, over the whole set)
    features   the first PCA_DIMS principal components of the steps, fitted on the data itself
    statistics per channel: level, spread, minimum, maximum, roughness (mean step-to-step change) and lag-1
               autocorrelation, plus the share of the window the item fills when lengths differ; averaged over
               channels when there are too many channels for the item count

* duplicates: exact ones by a hash of the valid values; near ones are feature-space neighbours whose steps differ
  by at most NEAR_SPREAD on average, in units of a typical item's spread (the median over items of their standard
  deviation): re-sampled or re-rounded copies. Not in units of the range, which one extreme item can stretch until
  every ordinary series looks like a copy of its neighbour.
* outliers: the robust Mahalanobis distance of the statistics above OUTLIER_Z (findings.outliers).
* mislabels (labelled sets): the cross-fitted RBF SVM on the features (findings.mislabels), with the item's own
  label given at most MISLABEL_OWN (0.1: a classifier of a few hundred series is less sure than one of thousands
  of images, where 0.03 is the limit).

The thresholds are fixed; benchmarks/clean.py --series measures them on planted faults of UCR sets.
"""

from __future__ import annotations

import numpy as np

from duelo.cleaning.findings import (Faults, Finding, exact_duplicates, mean_gap, mislabel_check, near_duplicates,
                                     outliers)

VIEW_STEPS = 64
PCA_DIMS = 50
NEAR_SPREAD = 0.025                  # of a typical item's standard deviation
OUTLIER_Z = 5.5
DEGENERATE_STD = 1e-3                # in the [-1, 1] scaling
MIN_STEPS = 3
MAX_MISLABEL_ITEMS = 60_000
MISLABEL_OWN = 0.1                   # images: 0.03; series classifiers are less sure (benchmarks/clean.py)
STATISTICS = "level, spread, extremes, roughness and autocorrelation"


def valid_lengths(windows: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    return np.full(len(windows), windows.shape[1]) if lengths is None else np.asarray(lengths, np.int64)


def view(windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N, T, C) and valid lengths -> (N, C * VIEW_STEPS): each channel's valid steps resampled linearly."""
    n, _, channels = windows.shape
    out = np.zeros((n, channels, VIEW_STEPS), np.float32)
    grid = np.linspace(0.0, 1.0, VIEW_STEPS)
    for i in range(n):
        length = int(lengths[i])
        source = np.linspace(0.0, 1.0, length) if length > 1 else np.zeros(1)
        for c in range(channels):
            out[i, c] = np.interp(grid, source, windows[i, :length, c])
    return out.reshape(n, -1)


def statistics(windows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N, T, C) -> (N, k) per-item statistics (see the module docstring)."""
    n, steps, channels = windows.shape
    rows = np.zeros((n, channels, 6))
    for i in range(n):
        x = windows[i, :max(1, int(lengths[i]))]                                    # (L, C)
        spread = x.std(axis=0)
        if len(x) > 1:
            change = np.abs(np.diff(x, axis=0)).mean(axis=0)
            centred = x - x.mean(axis=0)
            lag = (centred[1:] * centred[:-1]).mean(axis=0) / np.maximum(spread ** 2, 1e-12)
        else:
            change = lag = np.zeros(channels)
        rows[i] = np.column_stack([x.mean(axis=0), spread, x.min(axis=0), x.max(axis=0), change, lag])
    stats = rows.reshape(n, -1) if channels * 6 <= max(6, n // 10) else rows.mean(axis=1)
    if len(np.unique(lengths)) > 1:
        stats = np.column_stack([stats, lengths / steps])
    return stats


def find_series_faults(windows: np.ndarray, lengths: np.ndarray | None, labels: np.ndarray | None,
                       class_names: list[str] | None = None, seed: int = 0, log=None) -> Faults:
    """Every item's most serious finding. windows (N, T, C) in the [-1, 1] scaling of duelo's series reader."""
    from sklearn.decomposition import PCA

    say = log or (lambda text: None)
    windows = np.asarray(windows, np.float64)
    n = len(windows)
    lengths = valid_lengths(windows, lengths)
    faults = Faults([])
    taken = np.zeros(n, bool)

    for i in range(n):
        length = int(lengths[i])
        if length < MIN_STEPS:
            reason = f"only {length} valid step(s): too short to hold a shape"
        elif windows[i, :length].std(axis=0).max() <= DEGENERATE_STD:
            reason = "flat: every channel holds one value throughout"
        else:
            continue
        faults.findings.append(Finding(i, "degenerate", 1.0, reason))
        taken[i] = True
    faults.checked["degenerate"] = f"{int(taken.sum())} flat or too short series"

    steps = view(windows, lengths)
    dims = max(1, min(PCA_DIMS, n - 1, steps.shape[1]))
    features = (PCA(dims, random_state=seed).fit_transform(steps) if steps.std(axis=0).max() > 0
                else np.zeros((n, 1)))                                    # every item alike: nothing to project
    features = features / max(float(features.std()), 1e-12)
    say(f"clean: {n:,} series in a {dims}-d feature space")

    exact = exact_duplicates((windows[i, :int(lengths[i])].tobytes() for i in range(n)), faults, taken)
    typical = max(float(np.median(steps.reshape(n, windows.shape[2], -1).std(axis=2))), 1e-12)
    near = near_duplicates(features, mean_gap(steps / typical, NEAR_SPREAD), faults, taken,
                           lambda j, gap: f"a near copy of item {j} (steps differ by {gap:.1%} of a typical series' "
                                          f"spread on average)")
    faults.checked["duplicates"] = f"{exact} exact and {near} near copies"
    faults.checked["outliers"] = outliers(statistics(windows, lengths), seed, OUTLIER_Z, faults, taken, STATISTICS)
    mislabel_check(features, labels, class_names, taken, seed, MAX_MISLABEL_ITEMS, say, faults, MISLABEL_OWN)
    faults.findings.sort(key=lambda f: f.index)
    return faults
