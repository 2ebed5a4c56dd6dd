"""The resize of the reference FID implementation, written out: TensorFlow 1's `resize_bilinear` with
its defaults (align_corners=False, half_pixel_centers=False), which the original TF FID code applies to
float images before the Inception network. Output pixel j samples the input at s = j * in/out (no
half-pixel offset), bilinearly between floor(s) and floor(s) + 1, clamped at the last row/column.

PyTorch's `F.interpolate(..., align_corners=False)` uses half-pixel centres instead and gives different
features (and FID) for the same images, which is why duelo does not use it here.
"""

from __future__ import annotations

import torch


def _axis_weights(size_in: int, size_out: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    source = torch.arange(size_out, device=device, dtype=torch.float64) * (size_in / size_out)   # (out,)
    low = source.floor().long().clamp(max=size_in - 1)
    high = (low + 1).clamp(max=size_in - 1)
    weight = (source - low.double()).float()
    return low, high, weight


def tf1_resize_bilinear(images: torch.Tensor, size: int) -> torch.Tensor:
    """float (N, C, H, W) -> float (N, C, size, size), TF1 legacy bilinear sampling (separable)."""
    n, c, h, w = images.shape
    rows_low, rows_high, row_weight = _axis_weights(h, size, images.device)
    cols_low, cols_high, col_weight = _axis_weights(w, size, images.device)
    row_weight = row_weight.view(1, 1, size, 1)
    rows = images[:, :, rows_low, :] * (1 - row_weight) + images[:, :, rows_high, :] * row_weight   # (N, C, S, W)
    col_weight = col_weight.view(1, 1, 1, size)
    return rows[:, :, :, cols_low] * (1 - col_weight) + rows[:, :, :, cols_high] * col_weight      # (N, C, S, S)
