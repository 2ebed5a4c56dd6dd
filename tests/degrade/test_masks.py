"""Hole masks: known pixels copied exactly, holes at 0, hole areas within the requested bounds."""

import pytest
import torch

from duelo.degrade import build_degradation
from duelo.degrade.masks import area_bounds_px


def _images(n=64, c=3, h=32, w=32, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("name", ["boxes", "strokes"])
def test_known_pixels_are_the_input_exactly_and_holes_are_grey(name):
    x = _images(n=16)
    out = build_degradation(name)(x, torch.Generator().manual_seed(1))
    known = out.mask == 0
    assert torch.equal(torch.where(known, out.source, x), x)       # bit-exact where known
    assert (out.source[(out.mask > 0).expand_as(x)] == 0).all()
    assert (out.mask == 0).any() and (out.mask == 1).any()


@pytest.mark.parametrize("name", ["boxes", "strokes"])
@pytest.mark.parametrize("area, size", [((0.1, 0.3), (32, 32)), ((0.05, 0.1), (28, 28)),
                                        ((0.4, 0.5), (16, 24))])
def test_every_hole_area_lies_within_the_requested_bounds(name, area, size):
    """Boxes (count = 1) and strokes both hit the whole-pixel bounds exactly (see their docstrings)."""
    h, w = size
    out = build_degradation(name, area=area)(_images(n=200, c=1, h=h, w=w), torch.Generator().manual_seed(2))
    fraction = out.mask.mean(dim=(1, 2, 3))
    assert fraction.min() >= area[0] - 1e-6 and fraction.max() <= area[1] + 1e-6
    low, high = area_bounds_px(list(area), h, w)
    pixels = out.mask.sum(dim=(1, 2, 3))
    assert pixels.min() >= low and pixels.max() <= high
    # the area is drawn uniformly: the mean sits near the middle and the spread covers the interval
    assert abs(fraction.mean().item() - sum(area) / 2) < 0.1 * (area[1] - area[0]) + 2 / (h * w)
    assert fraction.max() - fraction.min() > 0.7 * (area[1] - area[0])


def test_fixed_stroke_area_is_exact():
    out = build_degradation("strokes", area=0.25)(_images(n=8, c=1), torch.Generator().manual_seed(3))
    assert torch.equal(out.mask.sum(dim=(1, 2, 3)), torch.full((8,), 256.0))


def test_boxes_are_rectangles_inside_the_image():
    out = build_degradation("boxes", max_aspect=1.5)(_images(n=32, c=1), torch.Generator().manual_seed(4))
    for m in out.mask[:, 0]:
        rows = m.any(dim=1).nonzero().flatten()
        cols = m.any(dim=0).nonzero().flatten()
        box = m[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        assert box.all() and m.sum() == box.numel()                # one solid rectangle, nothing else
        ratio = len(rows) / len(cols)
        assert 1 / 1.5 - 0.15 <= ratio <= 1.5 + 0.15               # aspect bound, up to whole-pixel rounding


def test_box_positions_cover_the_image():
    out = build_degradation("boxes", area=(0.05, 0.05))(_images(n=256, c=1), torch.Generator().manual_seed(5))
    coverage = out.mask.mean(dim=0)[0]                               # how often each pixel is a hole
    assert coverage[0].max() > 0 and coverage[-1].max() > 0             # first and last rows reached
    assert coverage[:, 0].max() > 0 and coverage[:, -1].max() > 0       # first and last columns reached
    middle = coverage[8:24, 8:24].mean()
    assert 0.03 < middle < 0.12                                          # no position strongly favoured


def test_several_boxes_cover_more():
    x = _images(n=64, c=1)
    one = build_degradation("boxes", area=0.05)(x, torch.Generator().manual_seed(6)).mask.mean()
    three = build_degradation("boxes", area=0.05, count=3)(x, torch.Generator().manual_seed(6)).mask.mean()
    assert three > 2 * one


def test_strokes_are_thin_shapes_not_one_blob():
    """Free-form strokes: at 10 % area the hole touches many rows and columns, unlike a compact box."""
    out = build_degradation("strokes", area=0.1)(_images(n=32, c=1), torch.Generator().manual_seed(7))
    m = out.mask[:, 0] > 0
    spread = (m.any(dim=2).sum(dim=1) + m.any(dim=1).sum(dim=1)).float().mean()
    boxes = build_degradation("boxes", area=0.1)(_images(n=32, c=1), torch.Generator().manual_seed(7))
    box = boxes.mask[:, 0] > 0
    box_spread = (box.any(dim=2).sum(dim=1) + box.any(dim=1).sum(dim=1)).float().mean()
    assert spread > 1.5 * box_spread
