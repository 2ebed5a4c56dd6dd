"""Super-resolution input: area down-sampling + bicubic up-sampling."""

import math

import pytest
import torch

from duelo.degrade import build_degradation, downsample, upsample_bicubic
from duelo.errors import ConfigError


def test_constant_image_stays_constant():
    x = torch.full((2, 3, 32, 32), 0.37)
    for scale in (2, 4):
        out = build_degradation("downsample", scale=scale)(x, torch.Generator()).source
        assert torch.allclose(out, x, atol=1e-6)


def test_smooth_image_survives_2x_down_up():
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing="ij")
    smooth = (0.8 * torch.sin(2 * math.pi * xs) * torch.cos(math.pi * ys)).view(1, 1, 32, 32)
    out = build_degradation("downsample", scale=2)(smooth, torch.Generator()).source
    assert (out - smooth).abs().max() < 0.05
    rough = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    lost = build_degradation("downsample", scale=2)(rough, torch.Generator()).source - rough
    assert lost.abs().mean() > 0.2                                  # detail finer than 2 pixels is gone


def test_public_functions_shapes_and_block_means():
    x = torch.arange(16.0).view(1, 1, 4, 4) / 16 - 0.5
    small = downsample(x, 2)
    assert small.shape == (1, 1, 2, 2)
    assert torch.allclose(small[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    up = upsample_bicubic(torch.full((1, 3, 5, 7), 2.0), 4)           # over-range input is clamped
    assert up.shape == (1, 3, 20, 28) and up.max() <= 1


def test_sizes_that_do_not_divide_are_refused():
    with pytest.raises(ConfigError, match="multiple of scale = 4"):
        build_degradation("downsample", scale=4)(torch.zeros(1, 1, 30, 32), torch.Generator())
    with pytest.raises(ConfigError, match="scale"):
        build_degradation("downsample", scale=2.5)
