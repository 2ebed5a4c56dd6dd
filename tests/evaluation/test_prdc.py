"""Precision/recall/density/coverage: hand-computed line case, identities and limiting cases."""

import math

import pytest
import torch

from duelo.evaluation.frechet import TooFewSamplesError
from duelo.evaluation.prdc import kth_neighbour_radii, precision_recall_density_coverage


def column(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64).unsqueeze(1)          # points on a line: (N, 1)


def test_radii_exclude_the_point_itself():
    radii = kth_neighbour_radii(column(range(10)), k=2, chunk=3)
    # interior points have neighbours at 1 and 1; the ends at 1 and 2
    assert radii.tolist() == [2.0] + [1.0] * 8 + [2.0]
    duplicated = kth_neighbour_radii(column([0.0, 0.0, 5.0]), k=1)
    assert duplicated.tolist() == [0.0, 0.0, 5.0]                          # a copy elsewhere does count


def test_points_on_a_line_match_hand_computation():
    real = column(range(10))                   # k = 2 radii: 2 at the ends, 1 inside
    fake = column([0.5, 4.2, 20.0, 30.0, 40.0])
    result = precision_recall_density_coverage(real, fake, k=2, chunk=4)
    # precision: 0.5 (in balls of 0 and 1) and 4.2 (balls of 4 and 5) are inside; 20, 30, 40 are not
    assert result["precision"] == pytest.approx(2 / 5)
    # recall: the fake radius of 0.5 is 19.5 (its 2nd neighbour is 20), so every real point is inside
    assert result["recall"] == pytest.approx(1.0)
    # density: 0.5 lies in 2 real balls, 4.2 in 2, the rest in none: 4 / (k · M) = 4 / 10
    assert result["density"] == pytest.approx(4 / 10)
    # coverage: the balls of 0, 1, 4, 5 hold a fake sample; 2 (nearest 1.5 > 1), 3 (1.2 > 1), 6.. do not
    assert result["coverage"] == pytest.approx(4 / 10)
    assert (result["k"], result["num_real"], result["num_fake"]) == (2, 10, 5)


def test_identical_sets():
    points = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    k = 3
    result = precision_recall_density_coverage(points, points.clone(), k=k, chunk=64)
    assert result["precision"] == result["recall"] == result["coverage"] == 1.0
    # each real ball holds its own centre and its k neighbours: density is exactly (k + 1) / k
    assert result["density"] == pytest.approx((k + 1) / k)


def test_independent_samples_of_one_distribution():
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(2000, 2, generator=g), torch.randn(2000, 2, generator=g)
    result = precision_recall_density_coverage(real, fake, k=3)
    assert result["density"] == pytest.approx(1.0, abs=0.1)
    # Naeem et al. 2020: E[coverage] = 1 − Π_{i=1..k} (N − i) / (N + M − i), ~0.875 for N = M, k = 3
    expected = 1 - math.prod((2000 - i) / (4000 - i) for i in range(1, 4))
    assert result["coverage"] == pytest.approx(expected, abs=0.03)
    assert result["precision"] > 0.9 and result["recall"] > 0.9


def test_far_away_fakes_score_zero():
    g = torch.Generator().manual_seed(2)
    real = torch.randn(200, 4, generator=g)
    result = precision_recall_density_coverage(real, real + 1000.0, k=3)
    assert result["precision"] == result["recall"] == result["density"] == result["coverage"] == 0.0


def test_fakes_covering_half_the_modes():
    g = torch.Generator().manual_seed(3)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    real = centres[torch.arange(1000) % 4] + 0.1 * torch.randn(1000, 2, generator=g)
    fake = centres[torch.arange(1000) % 2] + 0.1 * torch.randn(1000, 2, generator=g)   # modes 0 and 1 only
    result = precision_recall_density_coverage(real, fake, k=3)
    assert result["precision"] > 0.95
    assert 0.45 <= result["recall"] <= 0.5
    assert 0.4 <= result["coverage"] <= 0.5


def test_chunk_size_does_not_change_the_result():
    g = torch.Generator().manual_seed(4)
    real, fake = torch.randn(257, 5, generator=g), torch.randn(190, 5, generator=g) * 1.3
    assert precision_recall_density_coverage(real, fake, chunk=1024) == \
        precision_recall_density_coverage(real.numpy(), fake.numpy(), chunk=7)


def test_too_few_samples_say_how_many():
    with pytest.raises(TooFewSamplesError, match="at least 4"):
        precision_recall_density_coverage(torch.zeros(3, 2), torch.zeros(10, 2), k=3)
