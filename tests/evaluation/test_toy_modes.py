"""Toy mixtures and the VEEGAN/PacGAN mode-coverage score."""

import math

import pytest
import torch

from duelo.evaluation.toy_modes import grid_of_gaussians, mode_coverage, ring_of_gaussians


def test_centres_are_where_the_papers_put_them():
    _, ring = ring_of_gaussians(0)
    assert ring.shape == (8, 2)
    assert torch.allclose(ring.norm(dim=1), torch.full((8,), 2.0))
    _, grid = grid_of_gaussians(0)
    assert grid.shape == (25, 2)
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_sampling_is_seeded():
    first, _ = ring_of_gaussians(100, generator=torch.Generator().manual_seed(3))
    again, _ = ring_of_gaussians(100, generator=torch.Generator().manual_seed(3))
    assert first.shape == (100, 2) and torch.equal(first, again)


@pytest.mark.parametrize("mixture, modes", [(ring_of_gaussians, 8), (grid_of_gaussians, 25)])
def test_true_mixture_covers_every_mode(mixture, modes):
    samples, centres = mixture(2500, generator=torch.Generator().manual_seed(0))
    result = mode_coverage(samples, centres, std=0.02)
    assert result["modes_covered"] == result["num_modes"] == modes
    assert result["high_quality_fraction"] > 0.95       # 2-D: P(|z| <= 3) = 1 − exp(−4.5) ≈ 0.989
    assert sum(result["per_mode_counts"]) == round(result["high_quality_fraction"] * 2500)
    assert result["kl_to_uniform"] < 0.02


def test_collapsed_generator_covers_one_mode():
    _, centres = ring_of_gaussians(0)
    samples = centres[3] + 0.02 * torch.randn(1000, 2, generator=torch.Generator().manual_seed(1))
    result = mode_coverage(samples, centres, std=0.02)
    assert result["modes_covered"] == 1
    assert result["per_mode_counts"][3] == sum(result["per_mode_counts"])
    assert result["kl_to_uniform"] == pytest.approx(math.log(8))


def test_a_stray_sample_does_not_cover_a_mode_by_default():
    _, centres = ring_of_gaussians(0)
    samples = torch.cat([centres[:1].repeat(999, 1), centres[5:6]])           # 999 on mode 0, 1 on mode 5
    assert mode_coverage(samples, centres, std=0.02)["min_count"] == 25      # ceil(0.2 · 1000 / 8)
    assert mode_coverage(samples, centres, std=0.02)["modes_covered"] == 1
    assert mode_coverage(samples, centres, std=0.02, min_count=1)["modes_covered"] == 2   # VEEGAN's rule


def test_uniform_noise_is_low_quality():
    _, centres = ring_of_gaussians(0)
    noise = torch.rand(5000, 2, generator=torch.Generator().manual_seed(2)) * 6 - 3
    result = mode_coverage(noise, centres, std=0.02)
    assert result["high_quality_fraction"] < 0.05
