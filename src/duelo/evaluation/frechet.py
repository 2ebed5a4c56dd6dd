"""Fréchet distance between two feature sets, each summarised by a Gaussian (mean, covariance).

Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"
(FID), eq. (6):

    d²((μa, Σa), (μb, Σb)) = ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^{1/2})

The statistics are the only thing the distance needs, so they are a small value type (`FeatureStats`)
that can be cached as safetensors (mean, cov, count) and built in one pass over a stream of batches
(`FeatureStatsAccumulator`), so 50 000 × 2048 features never have to sit in memory at once.

Everything here works in float64: a 2048 × 2048 covariance summed over 50k samples in float32 loses
enough digits to move FID in its first decimal.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from duelo.errors import DataError

RECOMMENDED_SAMPLES = 10_000     # below this, FID on 2048-d Inception features is biased upwards noticeably


class TooFewSamplesError(DataError):
    """A metric was given fewer samples than its formula needs; the message says how many it needs."""


class UndersampledWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular and FID is biased upwards."""


def as_feature_matrix(features: torch.Tensor | np.ndarray, name: str = "features") -> torch.Tensor:
    """A (N, D) float64 CPU-or-device tensor from a torch tensor or numpy array; teaching errors otherwise.

    Shared by every metric module in `duelo.evaluation` so they accept the same inputs.
    """
    if isinstance(features, np.ndarray):
        features = torch.from_numpy(np.ascontiguousarray(features))
    if not isinstance(features, torch.Tensor):
        raise DataError(f"{name}: expected a torch tensor or numpy array of shape (N, D), "
                        f"got {type(features).__name__}")
    if features.dim() != 2:
        raise DataError(f"{name}: expected shape (N, D) — one feature row per sample — got "
                        f"{tuple(features.shape)}; flatten images with `x.flatten(1)` first")
    features = features.to(torch.float64)
    if not bool(torch.isfinite(features).all()):
        raise DataError(f"{name}: contains NaN or Inf; the feature extractor or the generator produced "
                        f"non-finite values, so no distance can be computed")
    return features


def _check_count(count: int, dim: int, what: str) -> None:
    if count < 2:
        raise TooFewSamplesError(
            f"{what}: got {count} sample(s), but a covariance needs at least 2 "
            f"(and at least {dim + 1} for a full-rank {dim}×{dim} covariance; "
            f"use >= {RECOMMENDED_SAMPLES:,} for FID on 2048-d Inception features)")


@dataclass(frozen=True)
class FeatureStats:
    """Mean and unbiased covariance of a feature set: the Gaussian that FID compares."""

    mean: torch.Tensor               # (D,) float64
    cov: torch.Tensor                # (D, D) float64, divided by count - 1
    count: int                       # samples the statistics were computed from

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def undersampled(self) -> bool:
        """True when count <= D: N samples give a covariance of rank at most N - 1, so it is singular."""
        return self.count <= self.dim

    @classmethod
    def from_features(cls, features: torch.Tensor | np.ndarray) -> FeatureStats:
        """Two-pass statistics of a (N, D) feature matrix held in memory (centred before the product)."""
        x = as_feature_matrix(features)                                       # (N, D)
        _check_count(len(x), x.shape[1], "FeatureStats.from_features")
        mean = x.mean(0)                                                      # (D,)
        centred = x - mean
        cov = centred.T @ centred / (len(x) - 1)                              # (D, D)
        return cls(mean, cov, len(x))

    def to_dict(self) -> dict[str, torch.Tensor]:
        """Tensors only, ready for `safetensors.torch.save_file` (count as an int64 scalar tensor)."""
        return {"mean": self.mean.detach().cpu().contiguous(),
                "cov": self.cov.detach().cpu().contiguous(),
                "count": torch.tensor(self.count, dtype=torch.int64)}

    @classmethod
    def from_dict(cls, data: dict[str, torch.Tensor | int]) -> FeatureStats:
        """Inverse of `to_dict`; checks shapes so a damaged cache entry fails loudly, not numerically."""
        try:
            mean, cov, count = data["mean"], data["cov"], int(data["count"])
        except KeyError as missing:
            raise DataError(f"feature statistics: missing entry {missing}; "
                            f"expected mean, cov and count") from None
        mean = torch.as_tensor(mean, dtype=torch.float64)
        cov = torch.as_tensor(cov, dtype=torch.float64)
        if mean.dim() != 1 or cov.shape != (mean.shape[0], mean.shape[0]):
            raise DataError(f"feature statistics: mean {tuple(mean.shape)} and cov {tuple(cov.shape)} "
                            f"do not describe one D-dimensional Gaussian; delete the cached file")
        _check_count(count, mean.shape[0], "FeatureStats.from_dict")
        return cls(mean, cov, count)


class FeatureStatsAccumulator:
    """Streaming mean/covariance: float64 sums of x and x xᵀ, updated batch by batch.

    The sums are taken of x − r, where r is the mean of the first batch. The covariance does not change
    under a shift, and removing most of the mean first avoids the cancellation in Σxxᵀ − N μμᵀ that
    plain raw sums suffer when features have a large common offset (post-ReLU Inception features do).
    """

    def __init__(self) -> None:
        self.count = 0
        self._shift: torch.Tensor | None = None      # (D,) reference point r
        self._sum: torch.Tensor | None = None        # (D,)   Σ (x − r)
        self._outer: torch.Tensor | None = None      # (D, D) Σ (x − r)(x − r)ᵀ

    def update(self, batch: torch.Tensor | np.ndarray) -> None:
        """Add a (B, D) batch of features (any float dtype; summed in float64)."""
        x = as_feature_matrix(batch, "batch")                                 # (B, D)
        if len(x) == 0:
            return
        if self._shift is None:
            self._shift = x.mean(0)
            self._sum = torch.zeros_like(self._shift)
            self._outer = torch.zeros(x.shape[1], x.shape[1], dtype=torch.float64, device=x.device)
        elif x.shape[1] != self._shift.shape[0]:
            raise DataError(f"batch: feature dimension {x.shape[1]} differs from the earlier batches' "
                            f"{self._shift.shape[0]}")
        x = x.to(self._shift.device) - self._shift
        self._sum += x.sum(0)
        self._outer += x.T @ x
        self.count += len(x)

    def finalize(self) -> FeatureStats:
        """The statistics of everything seen so far (the accumulator stays usable)."""
        dim = 0 if self._shift is None else int(self._shift.shape[0])
        _check_count(self.count, dim, "FeatureStatsAccumulator.finalize")
        assert self._shift is not None and self._sum is not None and self._outer is not None
        centred_mean = self._sum / self.count                                 # (D,) mean of x − r
        cov = (self._outer - self.count * torch.outer(centred_mean, centred_mean)) / (self.count - 1)
        cov = (cov + cov.T) / 2                                               # exact symmetry for eigh
        return FeatureStats(self._shift + centred_mean, cov, self.count)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric PSD matrix by eigendecomposition; tiny negative eigenvalues
    (rounding in a singular covariance) are clamped to 0."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    roots = eigenvalues.clamp_min(0).sqrt()
    return (eigenvectors * roots) @ eigenvectors.T


def trace_sqrt_product(cov_a: torch.Tensor, cov_b: torch.Tensor) -> torch.Tensor:
    """Tr((Σa Σb)^{1/2}) for symmetric PSD Σa, Σb, without a general (non-symmetric) matrix square root.

    Σa Σb is similar to M = Σa^{1/2} Σb Σa^{1/2} (conjugate by Σa^{1/2}), and M is symmetric PSD, so the
    eigenvalues of Σa Σb are the eigenvalues of M: real and >= 0. Hence the trace of the square root is
    Σ sqrt(λi(M)), computed with `eigh` — stable where scipy's `sqrtm` of Σa Σb can return complex parts.
    """
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    middle = (middle + middle.T) / 2                                          # remove rounding asymmetry
    return torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum()


def frechet_distance(stats_a: FeatureStats, stats_b: FeatureStats) -> float:
    """Fréchet distance between two Gaussians fitted to features (Heusel et al. 2017, eq. 6).

    Symmetric in its arguments; 0 for identical statistics. Rounding can make the exact formula dip a
    hair below zero for near-identical inputs; the result is clamped at 0. Warns (UndersampledWarning)
    when either side has no more samples than dimensions: the value is then dominated by estimator bias.
    """
    if stats_a.dim != stats_b.dim:
        raise DataError(f"frechet_distance: feature dimensions differ ({stats_a.dim} vs {stats_b.dim}); "
                        f"both sets must come from the same feature extractor")
    for side, stats in (("first", stats_a), ("second", stats_b)):
        if stats.undersampled:
            warnings.warn(
                f"frechet_distance: the {side} set has {stats.count} samples for {stats.dim} feature "
                f"dimensions, so its covariance is singular and the distance is biased upwards; use at "
                f"least {stats.dim + 1} samples for a full-rank covariance (>= {RECOMMENDED_SAMPLES:,} "
                f"recommended for FID on 2048-d Inception features)", UndersampledWarning, stacklevel=2)
    device = stats_a.mean.device
    mean_a, cov_a = stats_a.mean.to(torch.float64), stats_a.cov.to(torch.float64)
    mean_b, cov_b = stats_b.mean.to(device, torch.float64), stats_b.cov.to(device, torch.float64)
    diff = mean_a - mean_b
    distance = diff @ diff + cov_a.trace() + cov_b.trace() - 2 * trace_sqrt_product(cov_a, cov_b)
    return max(float(distance), 0.0)
