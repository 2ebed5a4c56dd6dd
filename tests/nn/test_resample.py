"""The element-wise x2 bilinear upsampling equals F.interpolate's, values and gradients."""

import pytest
import torch
from torch.nn import functional as F

from duelo.nn.resample import upsample2x_bilinear


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 1, 1, 1), (3, 5, 2, 7), (2, 4, 8, 1)])
def test_matches_interpolate_bilinear_half_pixel(shape):
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    reference = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    ours = upsample2x_bilinear(x)
    assert ours.shape == reference.shape
    torch.testing.assert_close(ours, reference, rtol=1e-12, atol=1e-12)
    weights = torch.randn_like(reference)
    (grad_ref,) = torch.autograd.grad((reference * weights).sum(), x)
    (grad_ours,) = torch.autograd.grad((ours * weights).sum(), x)
    torch.testing.assert_close(grad_ours, grad_ref, rtol=1e-12, atol=1e-12)


def test_refuses_other_ranks():
    with pytest.raises(ValueError, match="N, C, H, W"):
        upsample2x_bilinear(torch.zeros(3, 4, 4))


def test_fir_downsampling_is_the_binomial_filter_and_keeps_a_constant():
    from duelo.nn.resample import FirFilter

    down = FirFilter(pad=1, stride=2)
    impulse = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    impulse[0, 0, 3, 3] = 1.0                                  # an odd pixel: every 1-D tap weight shows up once
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0], dtype=torch.float64) / 8
    out = down.to(torch.float64)(impulse)
    assert out.shape == (1, 1, 4, 4)
    # out[i] gathers x[2i - 1 .. 2i + 2]: pixel 3 is tap 2 of output 1 and tap 0 of output 2
    expected = torch.zeros(4, 4, dtype=torch.float64)
    for i, ti in ((1, 2), (2, 0)):
        for j, tj in ((1, 2), (2, 0)):
            expected[i, j] = taps[ti] * taps[tj]
    torch.testing.assert_close(out[0, 0], expected)
    flat = down(torch.full((2, 3, 8, 8), 0.7))                 # away from the zero-padded border: unchanged
    torch.testing.assert_close(flat[:, :, 1:-1, 1:-1], torch.full((2, 3, 2, 2), 0.7))
    assert FirFilter(pad=2)(torch.zeros(1, 5, 8, 6)).shape == (1, 5, 9, 7)
    assert "kernel" not in down.state_dict()                    # checkpoints are unchanged by it
