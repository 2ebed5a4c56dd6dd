"""JPEG-like compression artefacts (`jpeg`): 8 x 8 block DCT, quantisation, inverse DCT.

The lossy core of baseline JPEG (ITU-T T.81, sections A.3.3 and A.3.4): each 8 x 8 block of each channel is
level-shifted, transformed by the 2-D DCT-II, divided by a quantisation table, rounded, multiplied back and
transformed back. Simplifications, documented because they differ from a real encoder: every channel uses the
luminance table (no YCbCr conversion, no chroma subsampling), pixels are not rounded to 8-bit first, and no
entropy coding happens (it is lossless anyway). Sides that are not multiples of 8 are padded by repeating the
last row/column, as encoders do, and the result is cropped back, so 28 x 28 digits work.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from duelo.degrade.base import DEGRADATIONS, Degradation, Degraded, check_images
from duelo.errors import ConfigError

Tensor = torch.Tensor

BLOCK = 8

# ITU-T T.81 Annex K, Table K.1: the example luminance quantisation table (the IJG quality-50 table).
LUMINANCE_TABLE = (
    (16, 11, 10, 16, 24, 40, 51, 61),
    (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56),
    (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77),
    (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101),
    (72, 92, 95, 98, 112, 100, 103, 99),
)


def dct_matrix(size: int = BLOCK, dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """Orthonormal DCT-II matrix D (size, size): coefficients = D @ block @ D.T, block = D.T @ coeffs @ D.
    For size 8 this is T.81's FDCT, F(u, v) = C(u) C(v) / 4 * sum f(x, y) cos(..) cos(..). Built on the
    device from arange (no host-to-device copy, which would synchronise and break CUDA-graph capture)."""
    k = torch.arange(size, dtype=torch.float64, device=device).view(-1, 1)
    i = torch.arange(size, dtype=torch.float64, device=device).view(1, -1)
    d = torch.cos((2 * i + 1) * k * (math.pi / (2 * size))) * math.sqrt(2.0 / size)
    d = d * torch.where(k == 0, math.sqrt(0.5), 1.0)
    return d.to(dtype=dtype)


_TABLES: dict[torch.device, Tensor] = {}   # the luminance table per device, copied there once


def _luminance_table(device: torch.device) -> Tensor:
    """LUMINANCE_TABLE as int64 (8, 8) on `device`. The first use on a CUDA device copies it from pinned
    memory without blocking; later uses (and CUDA-graph captures, which run after a warm-up) reuse it."""
    if device not in _TABLES:
        table = torch.tensor(LUMINANCE_TABLE, dtype=torch.int64)
        if device.type == "cuda":
            table = table.pin_memory().to(device, non_blocking=True)
        _TABLES[device] = table.to(device)
    return _TABLES[device]


def quality_tables(quality: Tensor) -> Tensor:
    """IJG scaling of the luminance table (libjpeg jcparam.c, jpeg_quality_scaling): q < 50 -> 5000 // q,
    else 200 - 2 q percent, entries floor((T s + 50) / 100) clamped to [1, 255]. quality (N,) int64 in
    1..100 -> (N, 8, 8) int64. Quality 100 gives all ones; quality 50 the table itself."""
    table = _luminance_table(quality.device)
    q = quality.view(-1, 1, 1)
    percent = torch.where(q < 50, 5000 // q, 200 - 2 * q)
    return ((table * percent + 50) // 100).clamp(1, 255)


def jpeg_blocks(images: Tensor, quality: Tensor) -> Tensor:
    """DCT-quantise-IDCT every 8 x 8 block of (N, C, H, W) images in [-1, 1]; quality (N,) int64 per image."""
    n, c, height, width = images.shape
    work_dtype = torch.float64 if images.dtype == torch.float64 else torch.float32
    pad_h, pad_w = -height % BLOCK, -width % BLOCK
    x = images.to(work_dtype)
    if pad_h or pad_w:                                                   # static: the image size
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    bh, bw = x.shape[2] // BLOCK, x.shape[3] // BLOCK
    pixels = (x + 1.0) * 127.5 - 128.0                                   # T.81 level shift of 8-bit samples
    blocks = pixels.view(n, c, bh, BLOCK, bw, BLOCK).permute(0, 1, 2, 4, 3, 5)   # (N, C, bh, bw, 8, 8)
    d = dct_matrix(dtype=work_dtype, device=images.device)
    table = quality_tables(quality).to(work_dtype).view(n, 1, 1, 1, BLOCK, BLOCK)
    coefficients = d @ blocks @ d.T
    restored = d.T @ (torch.round(coefficients / table) * table) @ d
    pixels = restored.permute(0, 1, 2, 4, 3, 5).reshape(n, c, bh * BLOCK, bw * BLOCK)
    out = ((pixels + 128.0) / 127.5 - 1.0)[:, :, :height, :width]
    return out.clamp(-1.0, 1.0).to(images.dtype)


def _check_quality(quality) -> list[int]:
    value = [quality, quality] if isinstance(quality, int) and not isinstance(quality, bool) else quality
    if not (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1] <= 100):
        raise ConfigError("jpeg: quality must be an integer 1..100 or a pair (lo, hi) with "
                          "1 <= lo <= hi <= 100 "
                          f"(got {quality!r}; 100 = almost lossless, 10 = heavy blocking)")
    return [int(value[0]), int(value[1])]


@DEGRADATIONS.register("jpeg")
class Jpeg(Degradation):
    """JPEG-like blocking and ringing at IJG `quality` (a pair draws an integer quality per image)."""

    name = "jpeg"
    baselines = ("identity",)

    def __init__(self,
        quality: int | tuple[int, int] = 30,     # IJG quality 1..100; a pair (lo, hi): drawn per image
    ):
        super().__init__()
        self.settings = {"quality": _check_quality(quality)}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("jpeg", images)
        lo, hi = self.settings["quality"]
        n = images.shape[0]
        if lo == hi:                                                       # static: a setting
            quality = torch.full((n,), lo, dtype=torch.int64, device=images.device)
        else:
            quality = torch.randint(lo, hi + 1, (n,), generator=generator, device=images.device)
        return Degraded(source=jpeg_blocks(images, quality))
