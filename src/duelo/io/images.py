"""Writing images: PNGs with provenance text chunks, and grids of many images.

Image tensors here are uint8 (N, C, H, W) with C in {1, 3, 4}, the same layout datasets yield: gray, RGB, or
RGBA (data loaded with alpha "keep"), written as PNGs of mode L, RGB or RGBA.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from PIL import Image, PngImagePlugin

from duelo.io.atomic import atomic_write_bytes


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] (N, C, H, W) float -> uint8 with rounding and clamping."""
    return ((images.detach().float() + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).cpu()


def to_pil(image: torch.Tensor) -> Image.Image:
    """One uint8 (C, H, W) tensor -> a PIL image (mode L, RGB or RGBA for C = 1, 3, 4)."""
    array = image.permute(1, 2, 0).numpy()                            # (H, W, C)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array, mode=None)


def png_bytes(image: Image.Image, text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, str(value))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_png(image: torch.Tensor | Image.Image, path: Path | str, text: dict[str, str] | None = None) -> Path:
    """Write one image atomically; `text` becomes PNG tEXt chunks (provenance: model hash, seed, ...)."""
    pil = image if isinstance(image, Image.Image) else to_pil(image)
    return atomic_write_bytes(path, png_bytes(pil, text))


def make_grid(images: torch.Tensor, columns: int, padding: int = 2) -> torch.Tensor:
    """Tile uint8 (N, C, H, W) images into one (C, H', W') image, row-major, with dark padding (transparent for
    RGBA)."""
    n, c, h, w = images.shape
    columns = max(1, min(columns, n))
    rows = (n + columns - 1) // columns
    grid = torch.zeros(c, rows * (h + padding) + padding, columns * (w + padding) + padding, dtype=torch.uint8)
    for index in range(n):
        row, col = divmod(index, columns)
        top, left = padding + row * (h + padding), padding + col * (w + padding)
        grid[:, top:top + h, left:left + w] = images[index]
    return grid


def spread(count: int, n: int) -> torch.Tensor:
    """`n` indices evenly spread over range(count) (fewer when count is smaller): examples for a grid taken
    across a data set that is often sorted by class."""
    return torch.linspace(0, count - 1, min(n, count)).round().long()


def interleave_columns(columns: list[torch.Tensor]) -> torch.Tensor:
    """Equal-length uint8 batches as the rows of a grid (one row per example: input | output | target ...);
    grey columns are shown as RGB when another column is RGB. (N * len(columns), C, H, W)."""
    channels = max(c.shape[1] for c in columns)
    columns = [c.expand(-1, 3, -1, -1) if c.shape[1] == 1 and channels == 3 else c for c in columns]
    return torch.stack(columns, 1).flatten(0, 1)


def save_grid(images: torch.Tensor, path: Path | str, columns: int, text: dict[str, str] | None = None) -> Path:
    return save_png(make_grid(images, columns), path, text)


def read_png_text(path: Path | str) -> dict[str, str]:
    with Image.open(path) as image:
        return dict(getattr(image, "text", {}) or {})
