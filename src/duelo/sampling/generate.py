"""Seeds -> images. Each seed owns its latent (and, for generators with noise inputs, its noise maps), so an image
depends on its seed alone, never on which other seeds were drawn with it or on the batch size (what `duelo sample`
and snapshot grids rely on)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from duelo.io.images import to_uint8
from duelo.nn.seeded_noise import per_sample_noise


def latents_for_seeds(z_dim: int, seeds: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """(len(seeds), z_dim) standard-normal latents; row i comes from torch.Generator seeded with seeds[i]."""
    rows = [torch.randn(z_dim, generator=torch.Generator().manual_seed(int(seed))) for seed in seeds]
    return torch.stack(rows).to(device)


@torch.no_grad()
def generate(G: nn.Module, seeds: Sequence[int], labels: Sequence[int] | torch.Tensor | None = None,
             batch: int = 256) -> torch.Tensor:
    """uint8 (N, C, H, W) images of G in eval mode for the given seeds (and labels if G is conditional)."""
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    if G.c_dim > 0 and labels is None:
        raise ValueError(f"the generator is class-conditional ({G.c_dim} classes): give a label per seed")
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.shape != (len(seeds),):
            raise ValueError(f"need one label per seed ({len(seeds)}), got {tuple(labels.shape)}")
    chunks = []
    for start in range(0, len(seeds), batch):
        z = latents_for_seeds(G.z_dim, seeds[start:start + batch], device)
        y = None if labels is None else labels[start:start + batch].to(device)
        with per_sample_noise(G, seeds[start:start + batch], device):        # noise inputs: each seed its own
            chunks.append(to_uint8(G(z, y)))
    G.train(was_training)
    height, width = getattr(G, "image_size", (G.resolution, G.resolution))   # (H, W); square before aspects
    return torch.cat(chunks) if chunks else torch.empty(0, G.channels, height, width,
                                                        dtype=torch.uint8)
