"""Frames -> animations: GIF through Pillow, MP4 through imageio + imageio-ffmpeg when installed.

Frames are uint8 (T, C, H, W) tensors with C in {1, 3}, the layout `duelo.io.images` uses.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from duelo.errors import ConfigError

VIDEO_SUFFIXES = (".gif", ".mp4")


def _check_frames(frames: torch.Tensor) -> torch.Tensor:
    frames = torch.as_tensor(frames)
    if frames.dim() != 4 or frames.shape[1] not in (1, 3) or frames.shape[0] < 1:
        raise ConfigError(f"frames must be (T, C, H, W) with C 1 or 3 and T >= 1, got {tuple(frames.shape)}")
    if frames.dtype != torch.uint8:
        raise ConfigError(f"frames must be uint8 (see duelo.io.images.to_uint8), got {frames.dtype}")
    return frames.detach().cpu()


def _check_fps_scale(fps: int, scale: int) -> None:
    if not 1 <= int(fps) <= 100:
        raise ConfigError(f"fps {fps}: use a value from 1 to 100")
    if not 1 <= int(scale) <= 64:
        raise ConfigError(f"scale {scale}: use an integer from 1 to 64")


def _upscale(frames: torch.Tensor, scale: int) -> torch.Tensor:
    """Nearest-neighbour upscale: every pixel becomes a scale x scale block."""
    if scale == 1:
        return frames
    return frames.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)


def save_gif(frames: torch.Tensor, path: Path | str, fps: int = 20, loop: bool = True, scale: int = 1) -> Path:
    """Write uint8 (T, C, H, W) frames as an animated GIF (grey or RGB), written atomically.

    fps sets the frame duration (GIF stores it in 10 ms steps); loop=True repeats forever, False plays
    once; scale > 1 enlarges each frame by nearest-neighbour (small GAN images are otherwise tiny).
    """
    from PIL import Image

    from duelo.io.atomic import atomic_write_bytes

    frames = _check_frames(frames)
    _check_fps_scale(fps, scale)
    frames = _upscale(frames, int(scale))
    arrays = frames.permute(0, 2, 3, 1).numpy()                  # (T, H, W, C)
    images = [Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a) for a in arrays]
    options = {"save_all": True, "append_images": images[1:], "duration": max(10, round(1000 / int(fps))),
               "disposal": 1}
    if loop:
        options["loop"] = 0                                      # 0 = forever; no loop key = play once
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", **options)
    return atomic_write_bytes(path, buffer.getvalue())


def _import_imageio():
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (imageio's ffmpeg plugin needs it)
    except ImportError:
        raise ConfigError("writing .mp4 needs imageio and an ffmpeg binary: pip install imageio imageio-ffmpeg "
                          "(or write a .gif)") from None
    return imageio


def save_mp4(frames: torch.Tensor, path: Path | str, fps: int = 20, scale: int = 1) -> Path:
    """Write uint8 (T, C, H, W) frames as an H.264 MP4 through imageio + imageio-ffmpeg."""
    imageio = _import_imageio()
    frames = _check_frames(frames)
    _check_fps_scale(fps, scale)
    frames = _upscale(frames, int(scale))
    if frames.shape[1] == 1:
        frames = frames.expand(-1, 3, -1, -1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # macro_block_size=1: keep small GAN resolutions as they are instead of resizing to multiples of 16
    imageio.mimwrite(str(path), list(frames.permute(0, 2, 3, 1).contiguous().numpy()), fps=int(fps),
                     macro_block_size=1)
    return path


def save_video(frames: torch.Tensor, path: Path | str, fps: int = 20, loop: bool = True, scale: int = 1) -> Path:
    """Dispatch on the suffix: .gif -> save_gif (Pillow), .mp4 -> save_mp4 (needs imageio + imageio-ffmpeg)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return save_gif(frames, path, fps=fps, loop=loop, scale=scale)
    if suffix == ".mp4":
        return save_mp4(frames, path, fps=fps, scale=scale)
    raise ConfigError(f"cannot write {Path(path).name!r}: use a .gif or .mp4 file name")
