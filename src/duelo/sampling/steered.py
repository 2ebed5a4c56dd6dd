"""Images from given latents, with the truncation trick applied the way each generator supports it: what
`duelo studio` draws for a seed, a truncation and an interpolation (docs/studio.md).

A style-based generator truncates in w space towards its tracked mean (its `psi` argument: its mapping network
normalises z, which would undo a scaled z); any other generator truncates z towards 0 (duelo.sampling.latent).
With psi None or 1 the images equal duelo.sampling.generate's for the same seeds.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from duelo.io.images import to_uint8
from duelo.nn.modulated import draw_noise, given_noise, noise_inputs
from duelo.sampling.generate import latents_for_seeds
from duelo.sampling.latent import interpolation_path, truncate

CHUNK = 256


def truncates_in_w(G: nn.Module) -> bool:
    return "psi" in inspect.signature(G.forward).parameters


def seed_noise(G: nn.Module, seeds: list[int]) -> list[torch.Tensor] | None:
    """The noise maps `duelo sample` gives these seeds (per noise layer, (N, 1, H, W)); None without noise inputs."""
    layers = noise_inputs(G)
    return draw_noise(layers, seeds) if layers else None


def noise_path(G: nn.Module, seeds: list[int], frames_per_segment: int, mode: str, loop: bool) -> list | None:
    """The seeds' noise maps walked like their latents (interpolation_path over every layer's maps at once, so
    slerp keeps the noise at unit variance between keyframes, which land on their own seed's maps exactly)."""
    maps = seed_noise(G, seeds)
    if maps is None:
        return None
    flat = torch.cat([m.flatten(1) for m in maps], dim=1)                         # (K, all pixels of all maps)
    path = interpolation_path(flat, frames_per_segment, mode=mode, loop=loop)      # (T, ...)
    sizes = [m[0].numel() for m in maps]
    return [part.reshape(-1, *m.shape[1:]) for part, m in zip(path.split(sizes, dim=1), maps)]


@torch.no_grad()
def images_from_latents(G: nn.Module, z: torch.Tensor, label: int | None = None, psi: float | None = None,
                        noise: list[torch.Tensor] | None = None) -> torch.Tensor:
    """uint8 (N, C, H, W) of G in eval mode for latents z (N, z_dim), one class for all (conditional G). `noise`
    (seed_noise, noise_path): each image's noise maps; None: the layers' fixed maps, shared by every image."""
    extra = {}
    if psi is not None and psi != 1.0:
        if truncates_in_w(G):
            extra = {"psi": psi}
        else:
            z = truncate(z, psi)
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    chunks = []
    layers = noise_inputs(G) if noise is not None else []
    for start in range(0, z.shape[0], CHUNK):
        part = z[start:start + CHUNK].to(device)                                # (n, z_dim)
        y = None if label is None else torch.full((part.shape[0],), label, dtype=torch.long, device=device)
        with given_noise(layers, [m[start:start + CHUNK] for m in noise or []], device):
            chunks.append(to_uint8(G(part, y, **extra)))
    G.train(was_training)
    return torch.cat(chunks)


def seed_images(G: nn.Module, seeds: list[int], label: int | None = None, psi: float | None = None) -> torch.Tensor:
    """uint8 (N, C, H, W): one image per seed, each seed owning its latent and noise (as `duelo sample`)."""
    return images_from_latents(G, latents_for_seeds(G.z_dim, seeds), label, psi, seed_noise(G, seeds))


def walk_images(G: nn.Module, seed_a: int, seed_b: int, frames: int, label: int | None = None,
                psi: float | None = None, spherical: bool = True) -> torch.Tensor:
    """uint8 (frames, C, H, W) from seed_a's latent to seed_b's (both ends exact; slerp unless told otherwise)."""
    keyframes = latents_for_seeds(G.z_dim, [seed_a, seed_b])                   # (2, z_dim)
    mode = "slerp" if spherical else "lerp"
    path = interpolation_path(keyframes, frames - 1, mode=mode, loop=False)
    return images_from_latents(G, path, label, psi, noise_path(G, [seed_a, seed_b], frames - 1, mode, False))
