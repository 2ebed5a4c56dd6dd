"""Sobel edge maps: binary {-1, 1}, one channel, edges only on boundaries."""

import torch
import torch.nn.functional as F

from duelo.degrade import build_degradation


def test_white_square_on_black_gives_edges_on_its_border_only():
    x = -torch.ones(1, 3, 32, 32)
    x[..., 8:24, 8:24] = 1.0
    edges = build_degradation("edges")(x, torch.Generator()).source
    assert edges.shape == (1, 1, 32, 32)
    assert set(edges.unique().tolist()) == {-1.0, 1.0}
    on = edges[0, 0] > 0
    square = torch.zeros(32, 32, dtype=torch.bool)
    square[8:24, 8:24] = True
    grown = F.max_pool2d(square[None, None].float(), 3, 1, 1)[0, 0] > 0
    shrunk = -F.max_pool2d(-square[None, None].float(), 3, 1, 1)[0, 0] > 0
    ring = grown & ~shrunk                                            # the pixels next to the boundary
    assert not (on & ~ring).any()                                     # nothing away from the border
    assert on[16, 7] and on[16, 8] and on[7, 16] and on[23, 16] and on[16, 24]   # every side found
    assert not on[0, 0] and not on[16, 16]                            # image frame and interior: no edge


def test_flat_image_has_no_edges_and_threshold_matters():
    assert (build_degradation("edges")(torch.zeros(2, 1, 16, 16), torch.Generator()).source == -1).all()
    x = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    low = build_degradation("edges", threshold=0.1)(x, torch.Generator()).source
    high = build_degradation("edges", threshold=0.6)(x, torch.Generator()).source
    assert (low > 0).sum() > (high > 0).sum() > 0
