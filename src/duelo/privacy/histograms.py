"""Noisy histograms: the Gaussian mechanism over several counts vectors at once, each record adding 1 to one bin
of every vector (one bin per column of a table). Adding or removing a record moves the concatenated counts by at
most sqrt(number of vectors) in L2 norm, so the noise's standard deviation is noise_multiplier * sqrt(vectors)
and the mechanism is one GaussianDpEvent(noise_multiplier) in the accountant (duelo.privacy.accounting, `once`).

The noise comes from the operating system's entropy (never a published seed). Released counts are rounded and
clamped at zero: post-processing, which costs nothing.
"""

from __future__ import annotations

import math
import secrets

import numpy as np

PREPROCESSING_SHARE = 0.2     # the histograms' noise spends this share of epsilon when counted alone


def noisy_counts(counts: list[np.ndarray], noise_multiplier: float,
                 rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """The counts vectors with Gaussian noise of std noise_multiplier * sqrt(len(counts)), rounded, >= 0."""
    if noise_multiplier <= 0:
        raise ValueError(f"noise_multiplier must be > 0, got {noise_multiplier}")
    rng = rng or np.random.default_rng(secrets.randbits(128))
    std = noise_multiplier * math.sqrt(len(counts))
    return [np.maximum(np.round(np.asarray(c, dtype=np.float64) + rng.normal(0.0, std, np.shape(c))), 0.0)
            for c in counts]


def noise_for_share(epsilon: float, delta: float, share: float = PREPROCESSING_SHARE) -> float:
    """The histograms' noise multiplier: the one whose mechanism alone spends `share` of `epsilon`."""
    from duelo.privacy.accounting import noise_for

    return noise_for(share * epsilon, 1.0, 1, delta)
