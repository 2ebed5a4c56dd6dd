"""Noise: Gaussian std in [0, 1]-range units; salt-and-pepper amount and values."""

import math

import pytest
import torch

from duelo.degrade import build_degradation


def _grey(n=64, c=3, size=32):
    return torch.zeros(n, c, size, size)                             # mid-grey: far from the clamp


@pytest.mark.parametrize("sigma", [0.05, 0.1, 25 / 255])
def test_gaussian_std_matches_sigma_in_unit_range(sigma):
    x = _grey()
    noise = build_degradation("gaussian", sigma=sigma)(x, torch.Generator().manual_seed(1)).source - x
    # [-1, 1] images span 2, so sigma in [0, 1] units is 2 sigma here; ~200k samples: 1 % is > 5 std errors
    assert abs(noise.std().item() - 2 * sigma) < 0.01 * 2 * sigma
    assert abs(noise.mean().item()) < 0.01 * 2 * sigma


def test_gaussian_range_draws_sigma_per_image_uniformly():
    x = _grey(n=400, c=1, size=16)
    noise = build_degradation("gaussian", sigma=(0.0, 0.2))(x, torch.Generator().manual_seed(2)).source - x
    per_image = noise.flatten(1).std(dim=1) / 2                      # back to [0, 1] units
    assert per_image.min() >= 0 and per_image.max() <= 0.2 * 1.1
    assert abs(per_image.mean().item() - 0.1) < 0.01                  # mean of U[0, 0.2]
    assert abs(per_image.std().item() - 0.2 / math.sqrt(12)) < 0.01     # std of U[0, 0.2]


def test_gaussian_clamps_to_the_image_range():
    x = torch.ones(4, 3, 16, 16)
    out = build_degradation("gaussian", sigma=0.5)(x, torch.Generator().manual_seed(3)).source
    assert out.max() <= 1 and out.min() >= -1 and (out < 1).any()


def test_salt_and_pepper_amount_and_values():
    x = _grey(n=32, c=3, size=32)
    out = build_degradation("salt-pepper", amount=0.1)(x, torch.Generator().manual_seed(4)).source
    changed = out != x
    assert torch.equal(changed.all(dim=1), changed.any(dim=1))        # all channels of a pixel alike
    pixel = changed[:, 0]
    assert abs(pixel.float().mean().item() - 0.1) < 0.01
    values = out[:, 0][pixel]
    assert set(values.unique().tolist()) == {-1.0, 1.0}
    assert abs((values > 0).float().mean().item() - 0.5) < 0.05
    assert torch.equal(out[~changed], x[~changed])                    # untouched pixels exactly
