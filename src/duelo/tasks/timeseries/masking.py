"""Variable-length sequences for networks of fixed shape: the valid steps travel as one more channel.

A set whose windows have different lengths (JapaneseVowels: 7 to 29 steps) is padded to the longest. The networks
get an extra last channel that is +1 on a window's valid steps and −1 on its padding (whose values are 0), so G
learns to draw a length along with the values and D judges both; a generated window ends at the first step whose
mask channel is not positive (it is at least as long as the shortest real window), and its values past that are
set to 0. The scores then read every window at its own length (duelo.evaluation.sequences takes lengths
everywhere).
"""

from __future__ import annotations

import torch


def is_variable(lengths: torch.Tensor | None, steps: int) -> bool:
    return lengths is not None and bool((lengths < steps).any())


def with_mask_channel(windows: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(N, T, C) padded windows and their lengths -> (N, T, C + 1) with the mask channel last."""
    steps = windows.shape[1]
    valid = torch.arange(steps, device=windows.device)[None, :] < lengths.to(windows.device)[:, None]
    return torch.cat([windows * valid[..., None], (valid.float() * 2 - 1)[..., None]], dim=2)


def split_mask_channel(x: torch.Tensor, min_length: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, T, C + 1) generated windows -> values (N, T, C) with 0 past each length, and the lengths (N,): the
    steps before the first non-positive mask value, at least `min_length` (the shortest real window's)."""
    positive = x[..., -1] > 0                                              # (N, T)
    lengths = torch.cumprod(positive.long(), dim=1).sum(1).clamp_(min=int(min_length))
    valid = torch.arange(x.shape[1], device=x.device)[None, :] < lengths[:, None]
    return x[..., :-1] * valid[..., None], lengths
