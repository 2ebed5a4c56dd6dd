"""A held-out split of the real images: D never trains on it, so comparing D's verdicts on training and
held-out images measures how much it overfits (Karras et al. 2020, §2, the r_v heuristic)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

HELDOUT_SEED = 0x4E1D_0007       # fixed: the split depends on the data alone, not on the training seed
MIN_TRAIN_IMAGES = 64            # never hold out so much that training is left with less


@dataclass
class Split:
    train_images:    torch.Tensor            # (N, C, H, W) uint8
    train_labels:    torch.Tensor | None     # (N,)
    heldout_images:  torch.Tensor | None     # (M, C, H, W) uint8, None when nothing is held out
    heldout_labels:  torch.Tensor | None


def heldout_count(n: int, fraction: float, maximum: int, batch: int = 0) -> int:
    if fraction <= 0:
        return 0
    count = min(int(round(n * fraction)), maximum, n - max(MIN_TRAIN_IMAGES, batch))   # leave one batch at least
    return count if count >= 16 else 0     # fewer than 16 images say nothing reliable


def split_heldout(images: torch.Tensor, labels: torch.Tensor | None, fraction: float, maximum: int,
                  batch: int = 0) -> Split:
    """A seeded random split; the training part keeps the data's order (the feed shuffles it anyway)."""
    n = images.shape[0]
    count = heldout_count(n, fraction, maximum, batch)
    if count == 0:
        return Split(images, labels, None, None)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(HELDOUT_SEED))
    held, kept = order[:count].sort().values, order[count:].sort().values
    pick = lambda t, index: None if t is None else t[index]  # noqa: E731
    return Split(images[kept], pick(labels, kept), images[held], pick(labels, held))
