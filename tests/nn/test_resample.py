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
