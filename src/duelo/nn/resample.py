"""x2 bilinear upsampling written as a few element-wise operations.

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

