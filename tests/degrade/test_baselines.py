"""Trivial baselines: exact known pixels, filled holes, blur-fill beats mean-fill, median removes salt."""

import pytest
import torch

from duelo.degrade import BASELINES, Degraded, baselines_for, build_degradation
from duelo.degrade.baselines import blur_fill, gaussian_blur, mean_fill, median3
from duelo.errors import ConfigError
from duelo.evaluation.restoration import masked_psnr, psnr


def _gradient(n=8, size=32):
    ys, xs = torch.meshgrid(torch.linspace(-0.9, 0.9, size), torch.linspace(-0.9, 0.9, size), indexing="ij")
    ramp = torch.stack([0.5 * xs + 0.4 * ys, 0.8 * xs, -0.7 * ys])   # (3, H, W)
    return ramp.expand(n, 3, size, size).contiguous()


@pytest.mark.parametrize("fill", [mean_fill, blur_fill])
@pytest.mark.parametrize("name", ["boxes", "strokes"])
def test_fills_keep_known_pixels_and_fill_holes(fill, name):
    x = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    out = build_degradation(name)(x, torch.Generator().manual_seed(1))
    filled = fill(out.source, out.mask)
    known = out.mask == 0
    assert torch.equal(torch.where(known, filled, x), x)
    assert torch.isfinite(filled).all()
    holes = (out.mask > 0).expand_as(x)
    assert (filled[holes] != 0).float().mean() > 0.99                # holes no longer the grey fill


def test_mean_fill_uses_each_images_channel_means():
    x = _gradient(n=2)
    mask = torch.zeros(2, 1, 32, 32)
    mask[:, :, :4, :4] = 1
    filled = mean_fill(torch.where(mask > 0, 0.0, x), mask)
    expected = x[0, 1][mask[0, 0] == 0].mean()
    assert torch.allclose(filled[0, 1, 0, 0], expected)


def test_blur_fill_beats_mean_fill_on_a_smooth_gradient():
    x = _gradient()
    out = build_degradation("boxes", area=(0.15, 0.25))(x, torch.Generator().manual_seed(2))
    blur = masked_psnr(blur_fill(out.source, out.mask), x, out.mask)
    mean = masked_psnr(mean_fill(out.source, out.mask), x, out.mask)
    assert (blur > mean + 10).all()                                  # a ramp is nearly harmonic: near exact
    assert (psnr(blur_fill(out.source, out.mask), x) > psnr(mean_fill(out.source, out.mask), x)).all()


def test_median3_removes_isolated_salt():
    x = _gradient(n=4)
    noisy = build_degradation("salt-pepper", amount=0.02)(x, torch.Generator().manual_seed(3)).source
    cleaned = median3(noisy)
    assert (psnr(cleaned, x) > psnr(noisy, x) + 10).all()
    single = torch.zeros(1, 1, 9, 9)
    single[0, 0, 4, 4] = 1.0
    assert torch.equal(median3(single), torch.zeros(1, 1, 9, 9))


def test_gaussian_blur_denoises_and_keeps_constants():
    x = _gradient(n=4)
    noisy = build_degradation("gaussian", sigma=0.1)(x, torch.Generator().manual_seed(4)).source
    assert (psnr(gaussian_blur(noisy, 1.0), x) > psnr(noisy, x) + 3).all()
    constant = torch.full((1, 1, 8, 8), 0.3)
    assert torch.allclose(gaussian_blur(constant, 2.0), constant)


def test_registry_and_baselines_for():
    assert baselines_for("boxes") == ["mean-fill", "blur-fill"]
    assert baselines_for("strokes") == ["mean-fill", "blur-fill"]
    assert baselines_for("gaussian") == ["identity", "gaussian-blur"]
    assert baselines_for("salt-pepper") == ["identity", "median3"]
    assert baselines_for("downsample") == ["bicubic"]
    assert baselines_for("jpeg") == ["identity"]
    assert baselines_for("edges") == []
    x = _gradient(n=2)
    for name in ("boxes", "gaussian", "salt-pepper", "downsample", "jpeg", "strokes"):
        out = build_degradation(name)(x, torch.Generator().manual_seed(5))
        for baseline in baselines_for(name):
            assert BASELINES.get(baseline)(out).shape == x.shape
    down = build_degradation("downsample")(x, torch.Generator())
    assert torch.equal(BASELINES.get("bicubic")(down), down.source)


def test_fill_baseline_without_mask_is_a_config_error():
    with pytest.raises(ConfigError, match="needs a mask"):
        BASELINES.get("mean-fill")(Degraded(source=torch.zeros(1, 1, 4, 4)))
