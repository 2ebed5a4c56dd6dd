"""Images from given latents, with the truncation trick applied the way each generator supports it: what
`duelo studio` draws for a seed, a truncation and an interpolation (docs/studio.md).

A style-based generator truncates in w space towards its tracked mean (its `psi` argument: its mapping network
normalises z, which would undo a scaled z); any other generator truncates z towards 0 (duelo.sampling.latent).
With psi None or 1 the images equal duelo.sampling.generate's for the same seeds.
"""

from __future__ import annotations

import inspect
from typing import Callable

import torch
from torch import nn

from duelo.io.images import to_uint8
from duelo.nn.seeded_noise import draw_noise, given_noise, sampled_noise_layers
from duelo.sampling.generate import latents_for_seeds
from duelo.sampling.latent import interpolation_path, lerp, slerp, truncate

CHUNK = 256


def truncates_in_w(G: nn.Module) -> bool:
    return "psi" in inspect.signature(G.forward).parameters


NoiseFrames = Callable[[int, int], list]      # (start, stop) -> per noise layer, (stop - start, 1, H, W)


def seed_noise(G: nn.Module, seeds: list[int]) -> NoiseFrames | None:
    """The noise maps `duelo sample` gives these seeds, by rows; None for a generator without sampled noise."""
    layers = sampled_noise_layers(G)
    if not layers:
        return None
    maps = draw_noise(layers, seeds, G.z_dim)
    return lambda start, stop: [m[start:stop] for m in maps]


def noise_path(G: nn.Module, seeds: list[int], frames_per_segment: int, mode: str, loop: bool) -> NoiseFrames | None:
    """The seeds' noise maps walked as interpolation_path walks their latents (every layer's maps as one vector,
    so slerp keeps the noise at unit variance; each keyframe lands on its seed's maps exactly). Frames are made
    when asked for, a chunk at a time: a long walk at 256 px would not fit in memory at once."""
    layers = sampled_noise_layers(G)
    if not layers:
        return None
    maps = draw_noise(layers, seeds, G.z_dim)
    flat = torch.cat([m.flatten(1) for m in maps], dim=1)                         # (K, all pixels of all maps)
    keys, per = flat.shape[0], int(frames_per_segment)
    total = keys * per if loop else (keys - 1) * per + 1
    blend = slerp if mode == "slerp" else lerp
    sizes = [m[0].numel() for m in maps]

    def frames(start: int, stop: int) -> list:
        rows = []
        for frame in range(start, min(stop, total)):
            segment, step = divmod(frame, per)
            if step == 0 or (segment == keys - 1 and not loop):
                rows.append(flat[segment % keys])                                  # a keyframe, exactly
            else:
                t = torch.tensor([step / per], dtype=flat.dtype)
                rows.append(blend(flat[segment], flat[(segment + 1) % keys], t)[0])
        path = torch.stack(rows)
        return [part.reshape(-1, *m.shape[1:]) for part, m in zip(path.split(sizes, dim=1), maps)]
    return frames


@torch.no_grad()
def images_from_latents(G: nn.Module, z: torch.Tensor, label: int | None = None, psi: float | None = None,
                        noise: NoiseFrames | None = None) -> torch.Tensor:
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
    layers = sampled_noise_layers(G) if noise is not None else []
    for start in range(0, z.shape[0], CHUNK):
        part = z[start:start + CHUNK].to(device)                                # (n, z_dim)
        y = None if label is None else torch.full((part.shape[0],), label, dtype=torch.long, device=device)
        maps = noise(start, start + part.shape[0]) if noise is not None else []
        with given_noise(layers, maps, device):
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
