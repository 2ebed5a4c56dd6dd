"""A trained audio generator as a folder (config.json + model.safetensors; no pickle) and clips drawn from it:
G's samples decoded to waves by its model's representation (models.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch

from duelo.io.model_folders import find_model_folder, load_model_folder, save_model_folder

FORMAT = "duelo-audio-generator"
FORMAT_VERSION = 1


def save_audio_model(folder: Path, G, kwargs: dict, data) -> None:
    save_model_folder(folder, G, {"format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs,
                                  "rate": data.rate, "length": data.length, "dataset": data.source,
                                  "factor_names": list(data.train.factors) if kwargs["factors"] else [],
                                  "class_names": data.train.class_names if kwargs["factors"] else []})


def is_audio_model(folder: Path) -> bool:
    return find_model_folder(folder, FORMAT) is not None


def load_audio_model(folder: Path, device: str = "cpu"):
    from duelo.tasks.audio.parts import build_generator

    G, meta = load_model_folder(folder, FORMAT, FORMAT_VERSION, "audio generator",
                                lambda meta: build_generator(meta["kwargs"]))
    return G.to(device).eval(), meta


@torch.no_grad()
def generate_samples(G, n: int, labels: torch.Tensor | None, seed: int, device) -> Iterator[torch.Tensor]:
    """G's samples as drawn (waves or spectral pictures) from a seeded stream, in chunks of 128, on `device`."""
    generator = torch.Generator(device=device).manual_seed(seed)
    for chunk in torch.arange(n).split(128):
        z = G.sample_latents(len(chunk), generator=generator, device=device)
        yield G(z, None if labels is None else labels[chunk].to(device), generator=generator)


@torch.no_grad()
def generate_waves(G, kwargs: dict, length: int, n: int, labels: torch.Tensor | None, seed: int,
                   device, refine: int | None = None, as_drawn: bool = False) -> torch.Tensor:
    """(n, length) waves on the CPU from a seeded stream (generate_samples). kwargs: the generator's recorded
    arguments (parts.generator_kwargs: its model, the Griffin-Lim rounds spectral pictures are decoded with, which
    `refine` overrides, and the peak level every clip is brought to (levels.py), which `as_drawn` leaves out)."""
    from duelo.tasks.audio.levels import to_peak
    from duelo.tasks.audio.models import AUDIO_MODELS

    decode = AUDIO_MODELS.get(kwargs["model"]).decode
    refine = kwargs.get("refine", 0) if refine is None else refine
    peak = None if as_drawn else kwargs.get("peak")           # models saved before audio.peak: as drawn
    parts = [to_peak(decode(samples.float(), length, refine=refine), peak).cpu()
             for samples in generate_samples(G, n, labels, seed, device)]
    return torch.cat(parts) if parts else torch.empty(0, length)


def labels_like(G, n: int, pool: torch.Tensor | None, seed: int) -> torch.Tensor | None:
    """n labels drawn from the training clips' (conditional models), seeded."""
    if not G.c_dim or pool is None:
        return None
    generator = torch.Generator().manual_seed(seed + 1)
    return pool[torch.randint(0, len(pool), (n,), generator=generator)]


def hub_format():
    """The Hub entry of audio generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat, licence_in
    from duelo.tasks.audio.sources import named_sources

    def load(folder: Path, device: str):
        G, meta = load_audio_model(folder, device)
        return G, {"config": meta}

    def sample(loaded, n: int, seed: int) -> torch.Tensor:
        """(n, length) waves as `duelo sample -n N --seeds SEED` draws them (classes at random, seeded)."""
        G, meta = loaded.model, loaded.extras["config"]
        labels = torch.randint(0, G.c_dim, (n,), generator=torch.Generator().manual_seed(seed)) if G.c_dim else None
        device = next(G.parameters()).device
        return generate_waves(G, meta["kwargs"], meta["length"], n, labels, seed, device)

    return HubFormat(what="audio generator", modality="audio", load=load, sample=sample,
                     how_to_sample="duelo sample {folder} -n 8 --out clips/",
                     previews=("samples/spectrograms-*.png", "samples/clips-*.wav"), docs="docs/audio.md",
                     dataset_licence=lambda name: licence_in(named_sources(), name))
