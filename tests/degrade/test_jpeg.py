"""JPEG-like blocking: DCT round trip, IJG quality scaling, quality ordering, sizes not multiple of 8."""

import torch

from duelo.degrade import build_degradation
from duelo.degrade.jpeg import LUMINANCE_TABLE, dct_matrix, quality_tables


def _smooth_with_detail(n=4, c=3, size=32):
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    base = 0.6 * torch.sin(3 * xs + 2 * ys) * torch.cos(2 * xs)
    detail = torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(0)) * 0.4 - 0.2
    return (base + detail).clamp(-1, 1)


def test_dct_is_orthonormal():
    d = dct_matrix()
    assert torch.allclose(d @ d.T, torch.eye(8, dtype=torch.float64), atol=1e-12)


def test_ijg_quality_scaling():
    tables = quality_tables(torch.tensor([50, 100, 10, 75]))
    assert torch.equal(tables[0], torch.tensor(LUMINANCE_TABLE))
    assert (tables[1] == 1).all()
    assert tables[2, 0, 0] == (16 * 500 + 50) // 100               # quality 10 -> 500 %
    assert tables[3, 0, 0] == (16 * 50 + 50) // 100                # quality 75 -> 50 %


def test_quality_100_is_close_to_identity_and_10_is_further():
    x = _smooth_with_detail()
    error = {q: (build_degradation("jpeg", quality=q)(x, torch.Generator()).source - x).abs().mean().item()
             for q in (100, 50, 10)}
    assert error[100] < 2 / 255                                      # rounding of integer coefficients
    assert error[100] < error[50] < error[10]
    assert error[10] > 5 * error[100]


def test_sizes_not_multiple_of_8_are_padded_and_cropped():
    x = _smooth_with_detail(size=28)
    out = build_degradation("jpeg", quality=90)(x, torch.Generator()).source
    assert out.shape == x.shape and (out - x).abs().mean() < 0.05


def test_blocking_constant_blocks_stay_constant():
    x = torch.full((1, 1, 16, 16), 0.25)
    out = build_degradation("jpeg", quality=10)(x, torch.Generator()).source
    assert (out - out[0, 0, 0, 0]).abs().max() < 1e-5                  # only the DC term, rounded


def test_quality_range_draws_per_image():
    x = _smooth_with_detail(n=16).mean(dim=0, keepdim=True).expand(16, 3, 32, 32)
    out = build_degradation("jpeg", quality=(5, 95))(x, torch.Generator().manual_seed(1)).source
    errors = (out - x).abs().flatten(1).mean(dim=1)
    assert errors.max() > 2 * errors.min()
