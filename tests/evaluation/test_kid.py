"""KID: hand-computed golden value, unbiasedness, separation of distributions, torchmetrics agreement."""

import math

import pytest
import torch

from duelo.evaluation.frechet import TooFewSamplesError
from duelo.evaluation.kid import kernel_inception_distance, mmd2_unbiased


def hand_mmd2(a: list[list[float]], b: list[list[float]]) -> float:
    """Unbiased MMD² with k(x, y) = (x·y / d + 1)³, written out with explicit loops."""
    d = len(a[0])

    def k(x, y):
        return (sum(xi * yi for xi, yi in zip(x, y)) / d + 1) ** 3

    m, n = len(a), len(b)
    xx = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(a[i], b[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_tiny_case_matches_hand_computation():
    a = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    b = [[2.0, 0.0], [0.0, 0.0], [1.0, -1.0]]
    expected = hand_mmd2(a, b)
    # worked by hand (d = 2, so k = (x·y / 2 + 1)³):
    #   within a: pairs (x·y = 0, 1, 1)  -> k = 1, 3.375, 3.375; both orders: 15.5 over 3·2
    #   within b: pairs (x·y = 0, 2, 0)  -> k = 1, 8, 1;          both orders: 20   over 3·2
    #   across:   x·y = 2,0,1 / 0,0,-1 / 2,0,0 -> k = 8,1,3.375 / 1,1,0.125 / 8,1,1: 24.5 over 3·3
    assert expected == pytest.approx(15.5 / 6 + 20 / 6 - 2 * 24.5 / 9, rel=1e-12)
    got = mmd2_unbiased(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    assert float(got) == pytest.approx(expected, rel=1e-12)
    mean, std = kernel_inception_distance(torch.tensor(a), torch.tensor(b), subsets=5, subset_size=3)
    assert mean == pytest.approx(expected, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_unequal_set_sizes_match_hand_computation():
    a = [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [0.0, 0.25, 1.0], [2.0, 1.0, 0.0]]
    b = [[1.0, 1.0, 1.0], [-1.0, 0.5, 0.0]]
    got = float(mmd2_unbiased(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)))
    assert got == pytest.approx(hand_mmd2(a, b), rel=1e-12)


def test_same_distribution_is_near_zero_and_different_is_positive():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(600, 16, generator=g), torch.randn(600, 16, generator=g)
    mean, std = kernel_inception_distance(a, b, subsets=40, subset_size=200)
    assert abs(mean) < 2 * std
    shifted_mean, shifted_std = kernel_inception_distance(a, b + 0.5, subsets=40, subset_size=200)
    assert shifted_mean > 10 * shifted_std and shifted_mean > 20 * abs(mean)


def test_estimator_is_unbiased():
    """The average of many independent small-sample estimates must sit on 0 (a V-statistic would not)."""
    g = torch.Generator().manual_seed(1)
    estimates = torch.stack([mmd2_unbiased(torch.randn(8, 4, generator=g, dtype=torch.float64),
                                           torch.randn(8, 4, generator=g, dtype=torch.float64))
                             for _ in range(2000)])
    standard_error = float(estimates.std()) / math.sqrt(len(estimates))
    assert abs(float(estimates.mean())) < 3 * standard_error


def test_seeded_subsets_are_reproducible():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(300, 8, generator=g), torch.randn(300, 8, generator=g) + 0.1
    first = kernel_inception_distance(a, b, subsets=10, subset_size=50, seed=7)
    assert first == kernel_inception_distance(a.numpy(), b.numpy(), subsets=10, subset_size=50, seed=7)
    assert first != kernel_inception_distance(a, b, subsets=10, subset_size=50, seed=8)


def test_too_few_samples():
    with pytest.raises(TooFewSamplesError, match="at least 2"):
        kernel_inception_distance(torch.zeros(1, 4), torch.zeros(10, 4))


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")
def test_agrees_with_torchmetrics_kid_on_full_sets():
    pytest.importorskip("torchmetrics")
    from torchmetrics.image.kid import KernelInceptionDistance

    class FeatureRows(torch.nn.Module):
        num_features = 32

        def forward(self, features):
            return features

    g = torch.Generator().manual_seed(3)
    real = torch.randn(150, 32, generator=g, dtype=torch.float64)
    fake = torch.randn(150, 32, generator=g, dtype=torch.float64) * 1.2 + 0.1
    metric = KernelInceptionDistance(feature=FeatureRows(), subsets=1, subset_size=150, normalize=True)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    reference = float(metric.compute()[0])
    ours, _ = kernel_inception_distance(real, fake, subsets=1, subset_size=150)
    assert ours == pytest.approx(reference, rel=1e-6)
