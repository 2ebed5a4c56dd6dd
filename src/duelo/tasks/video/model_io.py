"""A trained video generator as a folder: config.json (the network's arguments, the data it learned) +
model.safetensors. No pickle. Clips are written as an animated grid (.gif, .mp4) or as uint8 arrays (.npz)."""

from __future__ import annotations

from pathlib import Path

import torch

from duelo.errors import ConfigError
from duelo.io.model_folders import find_model_folder, load_model_folder, save_model_folder

FORMAT = "duelo-video-generator"
FORMAT_VERSION = 1
CLIP_SUFFIXES = (".gif", ".mp4", ".npz")


def save_video_model(folder: Path, G, kwargs: dict, config) -> None:
    save_model_folder(folder, G, {"format": FORMAT, "format_version": FORMAT_VERSION, "kwargs": kwargs,
                                  "dataset": config.data.dataset,
                                  "class_names": [str(k) for k in range(kwargs["c_dim"])] or None})


def is_video_model(folder: Path) -> bool:
    return find_model_folder(folder, FORMAT) is not None


def load_video_model(folder: Path, device: str = "cpu"):
    """(G in eval mode, its config.json) from a run folder or its model/ folder."""
    from duelo.tasks.video.networks import VideoGenerator

    G, meta = load_model_folder(folder, FORMAT, FORMAT_VERSION, "video generator",
                                lambda meta: VideoGenerator(**meta["kwargs"]))
    return G.to(device).eval(), meta


def hub_format():
    """The Hub entry of video generators (duelo.io.hub_formats)."""
    from duelo.io.hub_formats import HubFormat

    def load(folder: Path, device: str):
        G, meta = load_video_model(folder, device)
        return G, {"config": meta}

    def sample(loaded, n: int, seed: int) -> torch.Tensor:
        """(n, T, C, H, W) clips in [-1, 1] as `duelo sample -n N --seeds SEED` draws them."""
        G = loaded.model
        return generate_clips(G, n, seed, None, str(next(G.parameters()).device))[0]

    return HubFormat(what="video generator", modality="video", load=load, sample=sample,
                     how_to_sample="duelo sample {folder} -n 16 --out clips.gif", previews=("samples/clips-*.gif",),
                     docs="docs/video.md")


def generate_clips(G, n: int, seed: int = 0, label: int | None = None, device: str = "cpu"):
    """n clips (n, T, C, H, W) in [-1, 1] from latents of `seed`, and their labels (conditional models)."""
    from duelo.sampling.labels import sampling_labels

    generator = torch.Generator(device=device).manual_seed(seed)
    labels = sampling_labels(G.c_dim, n, label, generator, device, "video model")
    with torch.no_grad():
        clips = torch.cat([G(G.sample_latents(len(chunk), generator), None if labels is None else labels[chunk])
                           for chunk in torch.arange(n, device=device).split(256)])
    return clips.float().cpu(), None if labels is None else labels.cpu()


def clips_like_training(G, n: int, label_pool: torch.Tensor | None, seed: int, device) -> tuple:
    """n clips from latents of `seed`, labels drawn from `label_pool` (the training digits' classes: the run's
    proportions) for a conditional G: what the run's summary and `duelo eval` score."""
    generator = torch.Generator(device=device).manual_seed(seed)
    labels = None
    if G.c_dim:
        labels = label_pool[torch.randint(0, len(label_pool), (n,), generator=generator, device=device)]
    with torch.no_grad():
        clips = torch.cat([G(G.sample_latents(len(part), generator), None if labels is None else labels[part])
                           for part in torch.arange(n, device=device).split(256)])
    return clips.float(), labels


def clip_grid(clips: torch.Tensor, columns: int | None = None, gap: int = 2) -> torch.Tensor:
    """uint8 frames (T, C, rows*H + gaps, columns*W + gaps): the clips side by side, playing together."""
    n, T, C, H, W = clips.shape
    columns = columns or max(1, round(n ** 0.5))
    rows = -(-n // columns)
    pixels = ((clips.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    grid = torch.full((T, C, rows * (H + gap) - gap, columns * (W + gap) - gap), 128, dtype=torch.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        grid[:, :, r * (H + gap):r * (H + gap) + H, c * (W + gap):c * (W + gap) + W] = pixels[i]
    return grid


def write_clips(path: Path, clips: torch.Tensor, labels: torch.Tensor | None, fps: int = 8, scale: int = 2,
                force: bool = False) -> Path:
    """.gif/.mp4: one animated grid of the clips; .npz: `clips` (N, T, C, H, W) uint8 [+ `labels`]."""
    import io

    import numpy as np

    from duelo.io.atomic import atomic_write_bytes
    from duelo.io.outputs import output_files
    from duelo.sampling.animation import save_video

    suffix = path.suffix.lower()
    if suffix not in CLIP_SUFFIXES:
        raise ConfigError(f"--out {path}: write clips to a .gif, .mp4 or .npz file")
    (path,) = output_files([path], force=force)
    if suffix == ".npz":
        arrays = {"clips": ((clips.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()}
        if labels is not None:
            arrays["labels"] = labels.numpy()
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())
        return path
    return save_video(clip_grid(clips), path, fps=fps, scale=scale)
