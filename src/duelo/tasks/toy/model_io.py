"""A toy run's averaged generator as a folder (config.json + model.safetensors, written by snapshots.py), read back
for the Hub layer: points drawn from a seed, as the run's scatter plots draw them."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.io.model_folders import load_model_folder

FORMAT = "duelo-toy-generator"
FORMAT_VERSION = 1


def load_toy_model(folder: Path, device: str = "cpu"):
    """(PointGenerator in eval mode, config.json) from a run folder or its model/ folder."""
    from duelo.tasks.toy.networks import PointGenerator

    G, meta = load_model_folder(folder, FORMAT, FORMAT_VERSION, "toy generator",
                                lambda meta: PointGenerator(meta["z_dim"], meta["width"], meta["depth"]))
    return G.to(device).eval(), meta


@torch.no_grad()
def draw_points(G, n: int, seed: int) -> torch.Tensor:
    """(n, 2) points from latents of one generator seeded with `seed`."""
    generator = torch.Generator(device=next(G.parameters()).device).manual_seed(seed)
    return G(G.sample_latents(n, generator)).float().cpu()


def hub_format():
    """The Hub entry of toy generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat

    def load(folder: Path, device: str):
        G, meta = load_toy_model(folder, device)
        return G, {"config": meta}

    return HubFormat(what="2-D point generator (toy mixture)", modality="points", load=load,
                     sample=lambda loaded, n, seed: draw_points(loaded.model, n, seed), how_to_sample="",
                     previews=("samples/points-*.png",), docs="docs/design.md")
