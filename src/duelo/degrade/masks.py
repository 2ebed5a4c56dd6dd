"""Hole masks for inpainting: `boxes` (rectangles) and `strokes` (free-form brush strokes).

Both return Degraded(source, mask): mask (N, 1, H, W) is 1 on missing pixels, and the source is the image
with its holes set to 0 (mid-grey in [-1, 1]) by torch.where, so known pixels equal the input bit for bit.
Each image gets its own mask; the hole area (as a fraction of H * W) is drawn uniformly from `area`.
"""

from __future__ import annotations

import math

import torch

from duelo.degrade.base import (DEGRADATIONS, Degradation, Degraded, check_images, check_int, check_range,
                                uniform_per_image)
from duelo.errors import ConfigError

Tensor = torch.Tensor


def area_bounds_px(area: list[float], height: int, width: int) -> tuple[int, int]:
    """Whole-pixel hole areas allowed by `area` on an H x W image: [ceil(lo HW), floor(hi HW)], at least 1.
    The 1e-9 slack keeps 0.25 * 64 from becoming 17 through float rounding."""
    pixels = height * width
    low = max(1, math.ceil(area[0] * pixels - 1e-9))
    high = max(low, math.floor(area[1] * pixels + 1e-9))
    return low, min(high, pixels)


def fill_holes(images: Tensor, holes: Tensor) -> Degraded:
    """Source = images with holes (bool (N, 1, H, W)) set to 0; known pixels are copied, not recomputed."""
    source = torch.where(holes, torch.zeros((), dtype=images.dtype, device=images.device), images)
    return Degraded(source=source, mask=holes.to(images.dtype))


# --- boxes --------------------------------------------------------------------------------------------------

def box_holes(images: Tensor, generator: torch.Generator, area: list[float], max_aspect: float,
              count: int) -> Tensor:
    """`count` random rectangles per image, bool (N, 1, H, W) (their union).

    Each box: area fraction a ~ U[lo, hi], aspect ratio rows/cols log-uniform in [1/max_aspect, max_aspect],
    rows = round(sqrt(a H W * aspect)) clamped so that a whole-pixel width can reach the area bounds, then
    cols = round(a H W / rows) clamped to [ceil(lo H W / rows), floor(hi H W / rows)] (and to W). Integer
    arithmetic, so a box's area lies in [lo, hi] exactly whenever the interval holds a whole-pixel width
    (always when (hi - lo) * W >= 1; otherwise the smallest area >= lo is used). The clamps can push the
    aspect ratio beyond its bounds for boxes as large as the image. The position is uniform among those
    that keep the box fully inside the image.
    """
    n, _, height, width = images.shape
    low_px, high_px = area_bounds_px(area, height, width)
    rows_min = max(1, -(-low_px // width))                    # fewer rows cannot reach low_px within W
    rows_max = max(rows_min, min(height, high_px))            # more rows cannot stay below high_px
    u = torch.rand((5, n, count, 1, 1), generator=generator, device=images.device, dtype=torch.float32)
    target_px = (area[0] + u[0] * (area[1] - area[0])) * (height * width)            # (N, count, 1, 1)
    aspect = torch.exp((2 * u[1] - 1) * math.log(max_aspect))                        # rows / cols
    rows = torch.sqrt(target_px * aspect).round().clamp(rows_min, rows_max).long()
    cols_low = (low_px + rows - 1) // rows                                           # ceil(low_px / rows)
    cols_high = torch.maximum((high_px // rows).clamp(max=width), cols_low)
    cols = torch.minimum(torch.maximum((target_px / rows).round().long(), cols_low), cols_high)
    top = (u[2] * (height - rows + 1)).long().clamp(max=height - rows)               # (N, count, 1, 1)
    left = (u[3] * (width - cols + 1)).long().clamp(max=width - cols)
    r = torch.arange(height, device=images.device).view(1, 1, height, 1)
    c = torch.arange(width, device=images.device).view(1, 1, 1, width)
    inside = (r >= top) & (r < top + rows) & (c >= left) & (c < left + cols)        # (N, count, H, W)
    return inside.any(dim=1, keepdim=True)                                           # (N, 1, H, W)


@DEGRADATIONS.register("boxes", holes=True)
class Boxes(Degradation):
    """Rectangular holes (the "centre/random box" masks of Pathak et al. 2016, "Context Encoders", at random
    sizes and positions). `area` applies to each box; with count > 1 the boxes may overlap, so the hole is
    their union (between one box's area and count times it)."""

    name = "boxes"
    baselines = ("mean-fill", "blur-fill")

    def __init__(self,
        area:       tuple[float, float] = (0.1, 0.3),   # hole area fraction of each box, drawn uniformly
        max_aspect: float = 2.0,                        # rows/cols ratio drawn log-uniformly in [1/a, a]
        count:      int = 1,                            # boxes per image (their union is the hole)
    ):
        super().__init__()
        area = check_range("boxes", "area", area, 0.0, 1.0, low_open=True)
        if not isinstance(max_aspect, (int, float)) or isinstance(max_aspect, bool) or not max_aspect >= 1:
            raise ConfigError(f"boxes: max_aspect must be a number >= 1 (1 = squares; got {max_aspect!r})")
        count = check_int("boxes", "count", count, 1, 64)
        self.settings = {"area": area, "max_aspect": float(max_aspect), "count": count}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("boxes", images)
        s = self.settings
        return fill_holes(images, box_holes(images, generator, s["area"], s["max_aspect"], s["count"]))


# --- strokes ------------------------------------------------------------------------------------------------

def _fold(coord: Tensor, size: int) -> Tensor:
    """Coordinates mirrored back into [0, size - 1] (a random walk bouncing off the image border)."""
    period = 2 * (size - 1)
    t = torch.remainder(coord, period)
    return torch.where(t > size - 1, period - t, t)


def stroke_field(images: Tensor, generator: torch.Generator, strokes: int, vertices: int,
                 length: list[float], max_turn_degrees: float, width_spread: float) -> Tensor:
    """Distance from every pixel to the nearest stroke, in units of that stroke's relative width, (N, H*W).

    Each stroke is a random walk of `vertices` points: a uniform start, a uniform heading, at each vertex a
    turn in [-max_turn, max_turn] and a step of length in `length` (fractions of the longer side), bouncing
    off the border. Each stroke has a relative width w ~ U[1, width_spread]; a pixel's value is
    min over strokes of dist(pixel, polyline) / w, so thresholding it draws strokes of different thickness.
    """
    n, _, height, width = images.shape
    device = images.device
    f32 = dict(device=device, dtype=torch.float32)
    side = max(height, width)
    start = torch.rand((2, n, strokes, 1), generator=generator, **f32)                # x, y in [0, 1)
    start_x, start_y = start[0] * (width - 1), start[1] * (height - 1)               # (N, S, 1) pixels
    heading = torch.rand((n, strokes, 1), generator=generator, **f32) * (2 * math.pi)
    turns = (torch.rand((n, strokes, vertices - 1), generator=generator, **f32) * 2 - 1) \
        * math.radians(max_turn_degrees)
    steps = (length[0] + torch.rand((n, strokes, vertices - 1), generator=generator, **f32)
             * (length[1] - length[0])) * side
    widths = 1 + torch.rand((n, strokes, 1), generator=generator, **f32) * (width_spread - 1)   # (N, S, 1)
    angle = heading + torch.cumsum(turns, dim=2)                                      # (N, S, V-1)
    walk_x = torch.cumsum(torch.cat([start_x, steps * torch.cos(angle)], dim=2), dim=2)
    walk_y = torch.cumsum(torch.cat([start_y, steps * torch.sin(angle)], dim=2), dim=2)
    xs, ys = _fold(walk_x, width), _fold(walk_y, height)                              # (N, S, V)

    py = torch.arange(height, **f32).repeat_interleave(width).view(1, 1, -1)          # (1, 1, H*W)
    px = torch.arange(width, **f32).repeat(height).view(1, 1, -1)
    nearest = torch.full((n, strokes, height * width), float("inf"), **f32)           # (N, S, H*W)
    for v in range(vertices - 1):                                                      # static: a setting
        ax, ay = xs[..., v:v + 1], ys[..., v:v + 1]                                    # (N, S, 1)
        dx, dy = xs[..., v + 1:v + 2] - ax, ys[..., v + 1:v + 2] - ay
        t = (((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy + 1e-12)).clamp(0, 1)
        distance = torch.hypot(px - ax - t * dx, py - ay - t * dy)
        nearest = torch.minimum(nearest, distance)
    return (nearest / widths).amin(dim=1)                                             # (N, H*W)


def lowest_k(field: Tensor, k: Tensor, generator: torch.Generator) -> Tensor:
    """Bool mask of the k[n] smallest entries of field[n] (N, P): exactly k[n] ones per row.

    Ties (all pixels of a row lie at the same distance from a horizontal segment) are broken by a tiny
    random jitter, so the ragged end of the last row is random rather than always on the left."""
    jitter = torch.rand(field.shape, generator=generator, device=field.device, dtype=field.dtype) * 1e-3
    order = torch.argsort(field + jitter, dim=1, stable=True)                         # (N, P)
    ranks = torch.arange(field.shape[1], device=field.device).view(1, -1)
    chosen = (ranks < k.view(-1, 1)).to(field.dtype)                                  # (N, P) by rank
    return torch.zeros_like(field).scatter(1, order, chosen) > 0.5


@DEGRADATIONS.register("strokes", holes=True)
class Strokes(Degradation):
    """Free-form brush-stroke holes in the spirit of Yu et al. 2019, "Free-Form Image Inpainting with Gated
    Convolution" (DeepFill v2), appendix: random polylines (random-walk vertices) drawn with a thick brush.

    Area control (exact, no host loop): the brush thickness is not drawn up front but solved per image. A
    distance field to the strokes (divided by each stroke's random relative width) is ranked and the k
    nearest pixels become the hole, with k = round(a H W), a ~ U[lo, hi] clamped to the whole-pixel bounds
    [ceil(lo H W), floor(hi H W)]. So every image's hole area is exactly k pixels, inside the bounds; only the
    thickness varies (short strokes at a large area become thick blobs, long ones thin lines). Cost: one
    sort of H * W values per image.
    """

    name = "strokes"
    baselines = ("mean-fill", "blur-fill")

    def __init__(self,
        area:             tuple[float, float] = (0.1, 0.3),   # hole area fraction, drawn uniformly per image
        strokes:          int = 4,                            # polylines per image
        vertices:         int = 5,                            # points per polyline (>= 2)
        length:           tuple[float, float] = (0.1, 0.3),   # segment length, fraction of the longer side
        max_turn_degrees: float = 60.0,                       # heading change at each vertex, +- this
        width_spread:     float = 3.0,                        # thickest / thinnest stroke of an image
    ):
        super().__init__()
        area = check_range("strokes", "area", area, 0.0, 1.0, low_open=True)
        strokes = check_int("strokes", "strokes", strokes, 1, 64)
        vertices = check_int("strokes", "vertices", vertices, 2, 64)
        length = check_range("strokes", "length", length, 0.0, 2.0)
        for arg, value, low in (("max_turn_degrees", max_turn_degrees, 0.0),
                                ("width_spread", width_spread, 1.0)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= low:
                raise ConfigError(f"strokes: {arg} must be a number >= {low} (got {value!r})")
        self.settings = {"area": area, "strokes": strokes, "vertices": vertices, "length": length,
                         "max_turn_degrees": float(max_turn_degrees), "width_spread": float(width_spread)}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("strokes", images)
        n, _, height, width = images.shape
        if min(height, width) < 2:
            raise ConfigError(f"strokes: images must be at least 2 x 2 (got {height} x {width})")
        s = self.settings
        field = stroke_field(images, generator, s["strokes"], s["vertices"], s["length"],
                             s["max_turn_degrees"], s["width_spread"])                # (N, H*W)
        low_px, high_px = area_bounds_px(s["area"], height, width)
        fraction = uniform_per_image(s["area"], field.view(n, 1, 1, -1), generator).view(n)
        k = (fraction * (height * width)).round().long().clamp(low_px, high_px)        # (N,)
        holes = lowest_k(field, k, generator).view(n, 1, height, width)
        return fill_holes(images, holes)
