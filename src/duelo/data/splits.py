"""The held-out split every data set shares (images, windows of a series): deterministic, stratified by class."""

from __future__ import annotations

import torch

from duelo.errors import ConfigError


def split_indices(n: int, labels: torch.Tensor | None, num_classes: int, fraction: float,
                  seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(rest, held_out) indices in their original order, held_out holding round(fraction * size) of each class
    (of all n when unlabelled); the same (fraction, seed) gives the same split on every machine (torch's CPU
    generator)."""
    if isinstance(fraction, bool) or not 0.0 < float(fraction) < 1.0:
        raise ConfigError(f"split fraction must be strictly between 0 and 1, got {fraction!r}")
    generator = torch.Generator().manual_seed(int(seed))
    if labels is None:
        groups = [torch.arange(n)]
    else:
        groups = [torch.nonzero(labels == label).flatten() for label in range(num_classes)]
    held_parts = [group[torch.randperm(len(group), generator=generator)[:int(round(float(fraction) * len(group)))]]
                  for group in groups]
    held = torch.cat(held_parts).sort().values if held_parts else torch.empty(0, dtype=torch.int64)
    keep = torch.ones(n, dtype=torch.bool)
    keep[held] = False
    return torch.nonzero(keep).flatten(), held
