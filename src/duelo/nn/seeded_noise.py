"""Each sampled image's own noise maps, drawn from its seed, for generators with noise inputs (NoiseInput:
`stylegan2`, `fastgan`).

In eval mode a noise input adds one fixed map, the same for every sample: a generator that leans on its noise
then draws the same speckles at the same place in every image (issue 17's "white dot near the centre"), and the
samples a metric judges are not independent draws of the generator (the papers' metrics draw fresh noise per
image). Sampling (duelo.sampling.generate, steered, mixing) therefore gives every image maps of its own. Sample
i's maps continue the random stream of its latent: torch.Generator seeded with seeds[i], after the z_dim normals
of the latent (duelo.sampling.generate.latents_for_seeds), one draw split into the layers' maps in module order.
So an image depends on its seed alone, and no seed's noise repeats another seed's latent.

A model whose noise_mode is not "auto" keeps what it asks for ("const": the fixed maps it was trained with). The
maps live on the layers (NoiseInput.given) for the duration of a `given_noise` block, which holds a process-wide
lock: the studio samples from one model on several threads. Blocks do not nest.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Sequence

import torch
from torch import nn

from duelo.nn.modulated import NoiseInput

_LOCK = threading.RLock()


def sampled_noise_layers(model: nn.Module) -> list[NoiseInput]:
    """The noise inputs that sampling fills per seed, in module order (StyleGAN2: layer k reads ws[:, k]): all of
    them when the model's noise_mode is "auto", none otherwise."""
    if getattr(model, "noise_mode", "auto") != "auto":
        return []
    return [module for module in model.modules() if isinstance(module, NoiseInput)]


def draw_noise(layers: Sequence[NoiseInput], seeds: Sequence[int], z_dim: int) -> list[torch.Tensor]:
    """Per layer, (len(seeds), 1, H, W) noise on the CPU, each sample's from its seed (the module docstring)."""
    if not layers:
        return []
    sizes = [int(layer.const_noise[0].numel()) for layer in layers]
    rows = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(int(seed))
        torch.randn(z_dim, generator=generator)                       # the latent's draws come first
        rows.append(torch.randn(sum(sizes), generator=generator))
    flat = torch.stack(rows) if rows else torch.zeros(0, sum(sizes))
    return [part.reshape(len(rows), *layer.const_noise.shape[1:]) for part, layer in zip(flat.split(sizes, 1), layers)]


@contextmanager
def given_noise(layers: Sequence[NoiseInput], maps: Sequence[torch.Tensor], device: torch.device | str):
    """While inside, each of `layers` in "const" mode adds its map of `maps` ((N, 1, H, W)) instead of its fixed
    one."""
    with _LOCK:
        try:
            for layer, noise in zip(layers, maps, strict=True):
                layer.given = noise.to(device)
            yield
        finally:
            for layer in layers:
                layer.given = None


@contextmanager
def per_sample_noise(model: nn.Module, seeds: Sequence[int], device: torch.device | str):
    """While inside, sample i of a call to `model` gets the noise maps of seeds[i] (nothing changes for a model
    without noise inputs or whose noise_mode is not "auto")."""
    layers = sampled_noise_layers(model)
    if not layers:
        yield
        return
    with given_noise(layers, draw_noise(layers, seeds, model.z_dim), device):
        yield
