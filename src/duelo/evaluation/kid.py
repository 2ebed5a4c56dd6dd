"""Kernel Inception Distance: an unbiased estimate of the squared MMD between two feature sets.

Bińkowski, Sutherland, Arbel & Gretton 2018, "Demystifying MMD GANs", section 4 ("KID"): squared maximum
mean discrepancy (Gretton et al. 2012, "A Kernel Two-Sample Test", eq. 3 — the unbiased U-statistic)
with the cubic polynomial kernel

    k(x, y) = (xᵀy / d + 1)³,        d = feature dimension.

Unlike FID it has an unbiased estimator, so its expected value does not depend on the sample size and
a model with 0 true discrepancy scores 0 on average (single estimates can be slightly negative). The
estimate is averaged over random subsets, as in the paper, to bound the cost of the O(n²) kernel sums.
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.errors import ConfigError, DataError
from duelo.evaluation.frechet import TooFewSamplesError, as_feature_matrix


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor, degree: int = 3, coef: float = 1.0) -> torch.Tensor:
    """k(x, y) = (xᵀy / d + coef)^degree for all pairs: (n, d), (m, d) -> (n, m)."""
    return (x @ y.T / x.shape[1] + coef) ** degree


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor, degree: int = 3, coef: float = 1.0) -> torch.Tensor:
    """Unbiased MMD² between samples x (m, d) and y (n, d) (Gretton et al. 2012, eq. 3):

        1/(m(m−1)) Σ_{i≠j} k(xi, xj) + 1/(n(n−1)) Σ_{i≠j} k(yi, yj) − 2/(mn) Σ_{i,j} k(xi, yj)

    The diagonal terms k(xi, xi) are what make the plain V-statistic biased; they are left out.
    """
    m, n = len(x), len(y)
    k_xx = polynomial_kernel(x, x, degree, coef)                              # (m, m)
    k_yy = polynomial_kernel(y, y, degree, coef)                              # (n, n)
    k_xy = polynomial_kernel(x, y, degree, coef)                              # (m, n)
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return within_x + within_y - 2 * k_xy.sum() / (m * n)


def kernel_inception_distance(feats_a: torch.Tensor | np.ndarray,
                              feats_b: torch.Tensor | np.ndarray,
                              subsets: int = 100,          # random subset pairs averaged (paper: 100)
                              subset_size: int = 1000,     # samples per subset; capped at min(len(a), len(b))
                              seed: int = 0,               # seeds the torch.Generator that draws the subsets
                              ) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): mean and standard deviation of unbiased MMD² over random subsets.

    Each subset draws `subset_size` rows without replacement from each set. The std is the spread of
    the per-subset estimates (how much one subset-sized estimate varies), not a standard error of the
    mean; the subsets overlap, so std / sqrt(subsets) would understate the uncertainty. Computed in
    float64 on the device of `feats_a`. When the cap makes each subset the whole set, every subset gives
    the same value and the std is 0 (also 0 for subsets=1).
    """
    a = as_feature_matrix(feats_a, "feats_a")                                  # (Na, d)
    b = as_feature_matrix(feats_b, "feats_b").to(a.device)                     # (Nb, d)
    if a.shape[1] != b.shape[1]:
        raise DataError(f"kernel_inception_distance: feature dimensions differ "
                        f"({a.shape[1]} vs {b.shape[1]}); use one feature extractor for both")
    if subsets < 1:
        raise ConfigError(f"kernel_inception_distance: subsets must be >= 1, got {subsets}")
    size = min(subset_size, len(a), len(b))
    if size < 2:
        raise TooFewSamplesError(
            f"kernel_inception_distance: subsets of {size} sample(s) (sets of {len(a)} and {len(b)}); "
            f"the unbiased estimator needs at least 2 per set, and ~1000 per set for a stable value")
    generator = torch.Generator().manual_seed(seed)      # CPU generator: same subsets on every device
    estimates = torch.empty(subsets, dtype=torch.float64)
    for s in range(subsets):
        index_a = torch.randperm(len(a), generator=generator)[:size].to(a.device)
        index_b = torch.randperm(len(b), generator=generator)[:size].to(a.device)
        estimates[s] = mmd2_unbiased(a[index_a], b[index_b]).cpu()
    return float(estimates.mean()), float(estimates.std(unbiased=False))
