"""x2 bilinear upsampling written as a few element-wise operations, and the [1, 3, 3, 1] FIR filter (end of file).

Equal to `F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)`: with half-pixel centres
every output pixel of a doubling sits a quarter of a pixel from one input pixel and three quarters from
the next, so along each axis

    out[2i]     = 0.75 x[i] + 0.25 x[i - 1]        out[2i + 1] = 0.75 x[i] + 0.25 x[i + 1]

with the border pixel repeated (PyTorch clamps the source coordinate the same way). Why not call
F.interpolate: its CUDA kernel for NCHW tensors gives each thread one output position and loops over
batch x channels inside it, which on the 64 x 256-channel feature maps of StyleGAN2 made it the most
expensive kernel of a training step (21 of ~100 ms per iteration on an H100; benchmarks/step_profile.py).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _double(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Double the size of `dim` (2 or 3 of an (N, C, H, W) tensor) by the rule above."""
    n = x.shape[dim]
    previous = torch.cat([x.narrow(dim, 0, 1), x.narrow(dim, 0, n - 1)], dim=dim)      # x[i - 1], clamped
    following = torch.cat([x.narrow(dim, 1, n - 1), x.narrow(dim, n - 1, 1)], dim=dim)  # x[i + 1], clamped
    even = 0.75 * x + 0.25 * previous
    odd = 0.75 * x + 0.25 * following
    shape = list(x.shape)
    shape[dim] = 2 * n
    return torch.stack([even, odd], dim=dim + 1).reshape(shape)                        # interleave


def upsample2x_bilinear(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, 2H, 2W), bilinear with align_corners=False (see the module doc)."""
    if x.dim() != 4:
        raise ValueError(f"upsample2x_bilinear expects (N, C, H, W), got shape {tuple(x.shape)}")
    return _double(_double(x, 2), 3)



# ---- the [1, 3, 3, 1] low-pass filter of StyleGAN2 ---------------------------------------------------------
# Karras et al. 2020 (StyleGAN2, following Zhang 2019, "Making convolutional networks shift-invariant again")
# filter every up- and down-sampling with the separable binomial [1, 3, 3, 1] to limit aliasing. On the way up
# it is what upsample2x_bilinear above already computes (zero insertion followed by [1, 3, 3, 1] / 4 per axis,
# up to the border rule). On the way down it replaces 2x2 average pooling, whose [1, 1] kernel lets half of the
# frequencies above the new Nyquist limit fold back into the image.
FIR_TAPS = (1.0, 3.0, 3.0, 1.0)


class FirFilter(nn.Module):
    """Depthwise [1, 3, 3, 1] x [1, 3, 3, 1] / 64 filter with zero padding `pad` on every side and `stride`.

    FirFilter(pad=1, stride=2): x2 downsampling, (N, C, H, W) -> (N, C, H/2, W/2), each output the weighted
    mean of a 4x4 neighbourhood. FirFilter(pad=2): the blur in front of a 3x3 convolution of stride 2 (H -> H + 1,
    then the convolution gives H / 2), StyleGAN2's downsampling convolution. The kernel is a non-persistent
    buffer: state dicts are unchanged by it."""

    def __init__(self, pad: int, stride: int = 1):
        super().__init__()
        taps = torch.tensor(FIR_TAPS)
        self.register_buffer("kernel", (torch.outer(taps, taps) / taps.sum() ** 2)[None, None], persistent=False)
        self.pad, self.stride = int(pad), int(stride)

    def extra_repr(self) -> str:
        return f"taps={FIR_TAPS}, pad={self.pad}, stride={self.stride}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        kernel = self.kernel.to(x.dtype).expand(channels, 1, 4, 4)
        return F.conv2d(x, kernel, stride=self.stride, padding=self.pad, groups=channels)
