"""Fréchet distance: golden agreement with scipy's sqrtm and torchmetrics, streaming stats, errors."""

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
from safetensors.torch import load, save

from duelo.errors import DataError, DueloError
from duelo.evaluation.frechet import (FeatureStats, FeatureStatsAccumulator, TooFewSamplesError,
                                      UndersampledWarning, frechet_distance)


def gaussian_features(n: int, dim: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    """n samples of a random correlated Gaussian in `dim` dimensions (float64)."""
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g, dtype=torch.float64) / math.sqrt(dim)
    mean = torch.randn(dim, generator=g, dtype=torch.float64) + shift
    return torch.randn(n, dim, generator=g, dtype=torch.float64) @ mixing + mean


def scipy_frechet(a: FeatureStats, b: FeatureStats) -> float:
    """Independent reference: the general matrix square root of Σa Σb (float64)."""
    mu_a, mu_b = a.mean.numpy(), b.mean.numpy()
    cov_a, cov_b = a.cov.numpy(), b.cov.numpy()
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root).real)


@pytest.mark.parametrize("dim", [2, 16, 64, 256])
def test_agrees_with_scipy_sqrtm(dim):
    a = FeatureStats.from_features(gaussian_features(2 * dim + 200, dim, seed=dim))
    b = FeatureStats.from_features(gaussian_features(2 * dim + 300, dim, seed=dim + 1, shift=0.3))
    ours, reference = frechet_distance(a, b), scipy_frechet(a, b)
    assert ours > 0
    assert ours == pytest.approx(reference, rel=1e-6)


def test_self_distance_is_zero_and_symmetric():
    a = FeatureStats.from_features(gaussian_features(600, 64, seed=0))
    b = FeatureStats.from_features(gaussian_features(700, 64, seed=1))
    assert frechet_distance(a, a) < 1e-6 * float(a.cov.trace())
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_mean_shift_only_gives_squared_distance():
    x = gaussian_features(500, 8, seed=3)
    shift = torch.arange(8, dtype=torch.float64) / 10
    assert frechet_distance(FeatureStats.from_features(x), FeatureStats.from_features(x + shift)) == \
        pytest.approx(float(shift @ shift), rel=1e-8)


def test_streaming_accumulator_equals_one_shot():
    x = gaussian_features(1000, 32, seed=4, shift=1e4)   # large common offset: cancellation-prone
    accumulator = FeatureStatsAccumulator()
    for start, stop in [(0, 7), (7, 7), (7, 300), (300, 1000)]:
        accumulator.update(x[start:stop].float() if start == 7 else x[start:stop])
    streamed = accumulator.finalize()
    exact = FeatureStats.from_features(torch.cat([x[:7], x[7:300].float().double(), x[300:]]))
    assert streamed.count == exact.count == 1000
    torch.testing.assert_close(streamed.mean, exact.mean, rtol=1e-12, atol=0)
    torch.testing.assert_close(streamed.cov, exact.cov, rtol=1e-9, atol=1e-9)


def test_accepts_numpy_and_round_trips_through_safetensors():
    x = gaussian_features(300, 16, seed=5)
    stats = FeatureStats.from_features(x.numpy().astype(np.float32))
    restored = FeatureStats.from_dict(load(save(stats.to_dict())))
    assert restored.count == 300
    torch.testing.assert_close(restored.mean, stats.mean, rtol=0, atol=0)
    torch.testing.assert_close(restored.cov, stats.cov, rtol=0, atol=0)
    with pytest.raises(DataError, match="mean .* and cov"):
        FeatureStats.from_dict({"mean": stats.mean, "cov": stats.cov[:3], "count": 300})


def test_too_few_samples_say_how_many_are_needed():
    with pytest.raises(TooFewSamplesError, match=r"at least 2 .*at least 65"):
        FeatureStats.from_features(torch.zeros(1, 64))
    with pytest.raises(TooFewSamplesError):
        FeatureStatsAccumulator().finalize()
    assert issubclass(TooFewSamplesError, DueloError)


def test_undersampled_covariance_warns_with_the_needed_count():
    small = FeatureStats.from_features(gaussian_features(20, 64, seed=6))
    large = FeatureStats.from_features(gaussian_features(500, 64, seed=7))
    assert small.undersampled and not large.undersampled
    with pytest.warns(UndersampledWarning, match="at least 65 samples"):
        frechet_distance(small, large)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frechet_distance(large, large)


def test_rejects_bad_inputs():
    with pytest.raises(DataError, match=r"\(N, D\)"):
        FeatureStats.from_features(torch.zeros(10))
    with pytest.raises(DataError, match="NaN"):
        FeatureStats.from_features(torch.tensor([[0.0], [math.nan]]))
    a = FeatureStats.from_features(gaussian_features(50, 4, seed=8))
    b = FeatureStats.from_features(gaussian_features(50, 5, seed=9))
    with pytest.raises(DataError, match="dimensions differ"):
        frechet_distance(a, b)


class FeatureRows(torch.nn.Module):
    """Stands in for a feature extractor: the 'images' handed to torchmetrics are the features."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def test_agrees_with_torchmetrics_fid():
    pytest.importorskip("torchmetrics")
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = gaussian_features(800, 64, seed=10), gaussian_features(900, 64, seed=11, shift=0.2)
    metric = FrechetInceptionDistance(feature=FeatureRows(64), normalize=True)
    metric.update(real[:500], real=True)
    metric.update(real[500:], real=True)
    metric.update(fake, real=False)
    reference = float(metric.compute())
    ours = frechet_distance(FeatureStats.from_features(real), FeatureStats.from_features(fake))
    assert ours == pytest.approx(reference, rel=1e-4)
