"""Non-square images: the aspect ratio "W:H" and the image size it gives at a resolution.

The image families that take an aspect (ModelInfo.aspects) start from a base grid of h0 x w0 cells at their first
stage instead of 4 x 4, with max(h0, w0) = 4, and double both sides at every stage. At resolution R (the LONG
side, a power of two) the images are therefore

    (H, W) = (R * h0 / 4, R * w0 / 4)

so the supported ratios are those whose short side is 1/4, 1/2, 3/4 or all of the long side: 1:1, 4:3, 3:4, 2:1,
1:2, 4:1 and 1:4. "4:3" at resolution 64 is 64 px wide and 48 px high. A ratio is written width:height, as
screens and cameras write it; equal ratios are the same ("8:6" is "4:3").

Plain Python (no torch): the configuration checks it before anything heavy is imported.
"""

from __future__ import annotations

import math
import re

from duelo.errors import ConfigError

SQUARE = "1:1"
BASE_CELLS = 4          # cells of the long side at the first stage (the 4x4 grid of every image family)


def _supported() -> dict[str, tuple[int, int]]:
    """width:height -> base grid (h0, w0) for every grid with max(h0, w0) = 4, landscape before portrait."""
    aspects: dict[str, tuple[int, int]] = {}
    for short in range(BASE_CELLS, 0, -1):
        divisor = math.gcd(short, BASE_CELLS)
        aspects.setdefault(f"{BASE_CELLS // divisor}:{short // divisor}", (short, BASE_CELLS))
        aspects.setdefault(f"{short // divisor}:{BASE_CELLS // divisor}", (BASE_CELLS, short))
    return aspects


SUPPORTED_ASPECTS: dict[str, tuple[int, int]] = _supported()   # {"1:1": (4, 4), "4:3": (3, 4), "3:4": (4, 3), ...}

_PATTERN = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")


def parse_aspect(aspect: object, field: str = "aspect") -> tuple[int, int]:
    """"W:H" -> the base grid (h0, w0): "4:3" -> (3, 4), "1:2" -> (4, 2), "1:1" -> (4, 4).

    A ConfigError naming `field` for text that is no ratio, and for a ratio no grid gives (listing the supported
    ones and suggesting the nearest)."""
    supported = ", ".join(SUPPORTED_ASPECTS)
    match = _PATTERN.fullmatch(aspect) if isinstance(aspect, str) else None
    if match is None:
        raise ConfigError(f"{field} must be a ratio width:height such as 4:3 (got {aspect!r}); supported: "
                          f"{supported}")
    width, height = int(match.group(1)), int(match.group(2))
    if width == 0 or height == 0:
        raise ConfigError(f"{field} {aspect!r} has a zero side; both sides of width:height must be positive "
                          f"(supported: {supported})")
    divisor = math.gcd(width, height)
    name = f"{width // divisor}:{height // divisor}"
    if name not in SUPPORTED_ASPECTS:
        raise ConfigError(f"{field} {aspect!r} is not supported: images grow from a grid of at most 4x4 cells, so "
                          f"the short side must be 1/4, 1/2, 3/4 or all of the long side ({supported}); the "
                          f"nearest is {nearest_aspect(width / height)} (crop or pad the data to it with "
                          f"data.resize)")
    return SUPPORTED_ASPECTS[name]


def nearest_aspect(ratio: float) -> str:
    """The supported aspect closest to width / height `ratio` (on a log scale: 2:1 and 1:2 are as far from 1:1)."""
    return min(SUPPORTED_ASPECTS, key=lambda name: abs(math.log(ratio) - math.log(_ratio(name))))


def canonical_aspect(aspect: str, field: str = "aspect") -> str:
    """The supported name of an aspect: "8:6" -> "4:3" (ConfigError as parse_aspect)."""
    grid = parse_aspect(aspect, field)
    return next(name for name, cells in SUPPORTED_ASPECTS.items() if cells == grid)


def is_square(aspect: str) -> bool:
    return parse_aspect(aspect) == (BASE_CELLS, BASE_CELLS)


def image_size(resolution: int, aspect: str = SQUARE) -> tuple[int, int]:
    """(height, width) of the images at `resolution` (the long side) and `aspect`: image_size(64, "4:3") = (48, 64)."""
    h0, w0 = parse_aspect(aspect)
    if (resolution * h0) % BASE_CELLS or (resolution * w0) % BASE_CELLS:
        raise ConfigError(f"resolution {resolution} with aspect {aspect} gives a side of "
                          f"{resolution * min(h0, w0) / BASE_CELLS:g} px; use a multiple of 4 (a power of two)")
    return resolution * h0 // BASE_CELLS, resolution * w0 // BASE_CELLS


def stage_size(size: int, grid: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of the stage whose square equivalent is size x size, for base grid (h0, w0): the 4x4 stage is
    h0 x w0, the 8x8 stage 2h0 x 2w0, ... (size a multiple of 4)."""
    return size * grid[0] // BASE_CELLS, size * grid[1] // BASE_CELLS


def _ratio(name: str) -> float:
    width, height = name.split(":")
    return int(width) / int(height)
