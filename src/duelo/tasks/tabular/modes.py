"""The modes of a numeric column for mode-specific normalisation (Xu et al. 2019, section 4.2).

A column's values are described by modes (means, stds, weights): exact "spike" modes (std 0) for values
held by many rows, then the kept components of a variational Gaussian mixture for the rest.

A mixture that has not quite converged in its 100 iterations still encodes well; callers fit inside
`warnings.catch_warnings()` ignoring sklearn's ConvergenceWarning. They do it around all their threads at
once: catch_warnings changes process-wide state and is not safe to enter from several threads.
"""

from __future__ import annotations

import numpy as np
from sklearn.mixture import BayesianGaussianMixture

MIN_MODE_WEIGHT = 0.005      # modes at or below this mixture weight are dropped
GMM_FIT_ROWS = 20_000        # the mixture of a column is fitted on at most this many rows
SPIKE_FRACTION = 0.05        # a value held by this share of a column's rows gets an exact mode (std 0)
SPIKE_MIN_COUNT = 10         # ... and by at least this many rows (small tables: no exact copies of rows)


def fit_modes(present: np.ndarray, max_modes: int,
               rng: np.random.Generator) -> tuple[list[float], list[float], list[float]]:
    """Means, stds and weights of the column's modes: exact "spike" modes, then Gaussian modes.

    A single value held by at least SPIKE_FRACTION of the present rows (the 0 of a capital-gain column,
    the 40 of hours-per-week) becomes an exact mode with std 0: it is encoded by its mode alone and decoded
    to exactly that value, where a Gaussian mode would decode it to nearby values. The other values are
    modelled by a variational (Dirichlet-process) Gaussian mixture, fitted to standardised values
    (numerically safe for datetimes in seconds) on at most GMM_FIT_ROWS rows; modes with weight <=
    MIN_MODE_WEIGHT are dropped. A constant column is one mode with std 1 (alpha is always 0).
    """
    values, counts = np.unique(present, return_counts=True)
    if len(values) == 1:
        return [float(present[0])], [1.0], [1.0]
    order = np.argsort(-counts, kind="stable")                       # most frequent first
    frequent = order[counts[order] >= max(SPIKE_FRACTION * len(present), SPIKE_MIN_COUNT)][:max_modes - 1]
    spikes, spike_counts = values[frequent], counts[frequent]
    rest = present[~np.isin(present, spikes)]
    means, stds = spikes.tolist(), [0.0] * len(spikes)
    weights = (spike_counts / len(present)).tolist()
    if len(rest):
        rest_means, rest_stds, rest_weights = _fit_mixture(rest, max_modes - len(spikes), rng)
        means += rest_means
        stds += rest_stds
        weights += (np.asarray(rest_weights) * len(rest) / len(present)).tolist()
    return [float(m) for m in means], [float(s) for s in stds], [float(w) for w in weights]


def _fit_mixture(present: np.ndarray, max_modes: int,
                 rng: np.random.Generator) -> tuple[list[float], list[float], list[float]]:
    """The kept modes of a variational Gaussian mixture of `present` (one exact mode if it is constant)."""
    n_distinct = len(np.unique(present))
    if n_distinct == 1:
        return [float(present[0])], [0.0], [1.0]
    if len(present) > GMM_FIT_ROWS:
        present = rng.choice(present, GMM_FIT_ROWS, replace=False)
    center, scale = float(present.mean()), float(present.std())
    mixture = BayesianGaussianMixture(
        n_components=min(max_modes, n_distinct),
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,       # small: unused modes get weight near 0 and are dropped
        covariance_type="diag",
        max_iter=100,
        random_state=int(rng.integers(2**31 - 1)))
    mixture.fit(((present - center) / scale)[:, None])   # callers silence ConvergenceWarning (see below)
    keep = mixture.weights_ > MIN_MODE_WEIGHT
    weights = mixture.weights_[keep] / mixture.weights_[keep].sum()
    means = mixture.means_[keep, 0] * scale + center
    stds = np.sqrt(mixture.covariances_[keep, 0]) * scale
    return means.tolist(), stds.tolist(), weights.tolist()
