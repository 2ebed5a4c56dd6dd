"""A trained music generator as a folder (config.json + model.safetensors; no pickle), samples drawn from it, and
piano rolls drawn as images (one colour per voice: soprano red, alto green, tenor blue, bass orange; high pitches
at the top)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from duelo.io.model_folders import find_model_folder, load_model_folder, save_model_folder
from duelo.tasks.music.data import LOW, unroll

FORMAT = "duelo-music-generator"
FORMAT_VERSION = 1
COLOURS = torch.tensor([[230, 60, 60], [60, 180, 75], [70, 110, 230], [245, 150, 30]], dtype=torch.float32)


def save_music_model(folder: Path, G, kwargs: dict, config) -> None:
    save_model_folder(folder, G, {"format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs,
                                  "class_names": ["major", "minor"] if kwargs["c_dim"] else None,
                                  "dataset": config.data.dataset, "transpose": config.data.transpose})


def is_music_model(folder: Path) -> bool:
    return find_model_folder(folder, FORMAT) is not None


def load_music_model(folder: Path, device: str = "cpu"):
    from duelo.tasks.music.networks import MusicGenerator

    G, meta = load_model_folder(folder, FORMAT, FORMAT_VERSION, "music generator",
                                lambda meta: MusicGenerator(**meta["kwargs"]))
    return G.to(device).eval(), meta


@torch.no_grad()
def generate_rolls(G, n: int, labels: torch.Tensor | None, seed: int, device) -> torch.Tensor:
    """(n, tracks, steps, pitches) rolls from a seeded stream, in chunks."""
    generator = torch.Generator(device=device).manual_seed(seed)
    parts = []
    for chunk in torch.arange(n, device=device).split(256):
        z = G.sample_latents(len(chunk), generator=generator, device=device)
        parts.append(G(z, None if labels is None else labels[chunk]).float().cpu())
    return torch.cat(parts) if parts else torch.empty(0)


def modes_like(G, n: int, pool: torch.Tensor | None, seed: int, device) -> torch.Tensor | None:
    if not G.c_dim or pool is None:
        return None
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    pool = pool.to(device)
    return pool[torch.randint(0, len(pool), (n,), generator=generator, device=device)]


SCORE_SEED = 1_000_000     # the latents (and modes) of the rolls a run's summary scores and its snapshots show


def rolls_for_scores(G, n: int, pool: torch.Tensor | None, device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The n rolls a run's summary scores (and the first of them its snapshots show), with their modes drawn from
    `pool` (the training windows' modes) for a conditional G; the modes on the CPU (None for an unconditional G)."""
    modes = modes_like(G, n, pool, SCORE_SEED, device)
    return generate_rolls(G, n, modes, SCORE_SEED, device), None if modes is None else modes.cpu()


def roll_images(rolls: torch.Tensor) -> torch.Tensor:
    """(N, tracks, T, P) rolls -> uint8 (N, 3, P, T) images: black background, a voice's colour where it sounds."""
    pitch = torch.from_numpy(unroll(rolls).astype(np.int64))                      # (N, T, tracks), 0 = rest
    n, steps, tracks = pitch.shape
    height = int(rolls.shape[3])
    image = torch.zeros(n, 3, height, steps)
    samples, times = torch.arange(n)[:, None].expand(n, steps), torch.arange(steps).expand(n, steps)
    for v in range(tracks):
        rows = height - 1 - (pitch[:, :, v] - LOW).clamp(0, height - 1)           # high pitches at the top
        sounding = pitch[:, :, v] > 0
        image[samples[sounding], :, rows[sounding], times[sounding]] = COLOURS[v % 4]
    return image.to(torch.uint8)


def hub_format():
    """The Hub entry of music generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat, licence_in
    from duelo.tasks.music.sources import named_sources

    def load(folder: Path, device: str):
        G, meta = load_music_model(folder, device)
        return G, {"config": meta}

    def sample(loaded, n: int, seed: int) -> torch.Tensor:
        """(n, tracks, steps, pitches) rolls as `duelo sample -n N --seeds SEED` draws them (modes in turn)."""
        G = loaded.model
        device = next(G.parameters()).device
        labels = (torch.arange(n) % G.c_dim).to(device) if G.c_dim else None
        return generate_rolls(G, n, labels, seed, device)

    return HubFormat(what="music generator", modality="music", load=load, sample=sample,
                     how_to_sample="duelo sample {folder} -n 8 --out pieces/",
                     previews=("samples/rolls-*.png", "samples/piece-*.wav", "samples/piece-*.mid"),
                     docs="docs/music.md", dataset_licence=lambda name: licence_in(named_sources(), name))
