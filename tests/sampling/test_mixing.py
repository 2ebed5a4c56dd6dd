"""Style-mixing grids: layout, layer groups, refusal of generators without a w space."""

from __future__ import annotations

import pytest
import torch

from duelo.errors import ConfigError
from duelo.models import build_generator
from duelo.sampling.generate import generate
from duelo.sampling.mixing import layer_group, style_mixing_grid


def _style_g(c_dim: int = 0, resolution: int = 16):
    torch.manual_seed(0)
    G = build_generator("stylegan2", resolution=resolution, channels=3, c_dim=c_dim, z_dim=16, w_dim=16,
                        mapping_layers=2, channel_base=256, channel_max=16, embed_dim=8)
    with torch.no_grad():                         # noise strengths start at 0: make noise matter
        for name, p in G.named_parameters():
            if name.endswith("strength"):
                p.fill_(0.3)
    return G


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """uint8 images equal up to one step of rounding (batched vs single synthesis)."""
    return (a.int() - b.int()).abs().max().item() <= 1


def test_grid_layout_edges_are_plain_samples_and_corner_is_blank():
    G = _style_g()
    rows, cols = [0, 1, 2], [10, 11]
    grid = style_mixing_grid(G, rows, cols, layer_group(G.num_ws, "coarse"))
    assert grid.shape == (4, 3, 3, 16, 16) and grid.dtype == torch.uint8
    assert (grid[0, 0] == 0).all()
    assert _close(grid[0, 1:], generate(G, cols))
    assert _close(grid[1:, 0], generate(G, rows))
    # the mixed cells are neither the row nor the column image
    cell = grid[2, 2]
    assert not _close(cell, grid[2, 0]) and not _close(cell, grid[0, 2])


def test_all_layers_give_the_column_image_and_no_layers_the_row_image():
    G = _style_g()
    rows, cols = [3, 4], [7, 8, 9]
    everything = style_mixing_grid(G, rows, cols, range(G.num_ws))
    nothing = style_mixing_grid(G, rows, cols, [])
    for r in range(len(rows)):
        for c in range(len(cols)):
            assert _close(everything[r + 1, c + 1], everything[0, c + 1])
            assert _close(nothing[r + 1, c + 1], nothing[r + 1, 0])


def test_swapping_layers_changes_only_what_it_should():
    G = _style_g()
    coarse = style_mixing_grid(G, [0], [1], layer_group(G.num_ws, "coarse"))[1, 1]
    fine = style_mixing_grid(G, [0], [1], layer_group(G.num_ws, "fine"))[1, 1]
    row = style_mixing_grid(G, [0], [1], [])[1, 1]
    assert not _close(coarse, fine)
    # taking the coarse layers from the column moves the picture further from the row image than the fine
    assert (coarse.float() - row.float()).abs().mean() > (fine.float() - row.float()).abs().mean()


def test_mixing_leaves_the_generator_in_training_mode_and_untruncated_grid_differs_from_truncated():
    G = _style_g()
    G.train()
    plain = style_mixing_grid(G, [0], [1], [0, 1])
    assert G.training
    truncated = style_mixing_grid(G, [0], [1], [0, 1], psi=0.0)
    assert not _close(plain[1, 0], truncated[1, 0])
    # psi = 0 collapses every latent to w_avg: the cells differ by their seeds' noise alone, and without noise
    # inputs they are one image
    G.noise_mode = "none"
    still = style_mixing_grid(G, [0], [1], [0, 1], psi=0.0)
    assert _close(still[1, 0], still[0, 1]) and _close(still[1, 1], still[1, 0])


@pytest.mark.parametrize("num_ws, expected", [
    (4, ([0, 1], [2], [3])),
    (6, ([0, 1], [2, 3], [4, 5])),
    (8, ([0, 1, 2], [3, 4, 5], [6, 7])),
    (10, ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9])),
    (18, ([0, 1, 2, 3], [4, 5, 6, 7], list(range(8, 18)))),
])
def test_layer_groups_cover_every_w_once_in_order(num_ws, expected):
    groups = tuple(layer_group(num_ws, name) for name in ("coarse", "middle", "fine"))
    assert groups == expected
    assert sum(groups, []) == list(range(num_ws))


def test_conditional_grid_needs_a_label_in_range():
    G = _style_g(c_dim=3)
    with pytest.raises(ConfigError, match="give one label"):
        style_mixing_grid(G, [0], [1], [0])
    with pytest.raises(ConfigError, match="out of range"):
        style_mixing_grid(G, [0], [1], [0], label=3)
    a = style_mixing_grid(G, [0], [1], [0], label=0)
    b = style_mixing_grid(G, [0], [1], [0], label=2)
    assert _close(a[0, 1], generate(G, [1], [0]))
    assert not _close(a[0, 1], b[0, 1])


def test_refuses_generators_without_w_space_and_bad_layers():
    dcgan = build_generator("dcgan", resolution=8, channels=1, width=8, z_dim=8)
    with pytest.raises(ConfigError, match=r"'dcgan'.*stylegan2"):
        style_mixing_grid(dcgan, [0], [1], [0])
    G = _style_g()
    with pytest.raises(ConfigError, match="out of range"):
        style_mixing_grid(G, [0], [1], [G.num_ws])
    with pytest.raises(ConfigError, match="layer group"):
        layer_group(G.num_ws, "medium")


def test_seed_images_walks_and_mixing_edges_draw_each_seed_with_its_own_noise():
    """A generator with noise inputs: the studio's seed images, a walk's two ends and the mixing grid's edges are
    `duelo sample`'s images of those seeds (generate: each seed its latent and noise maps), and the frames between
    a walk's ends keep noise of unit variance (slerp)."""
    from duelo.sampling.steered import noise_path, seed_images, walk_images

    G = _style_g()
    expected = generate(G, [2, 7])
    assert torch.equal(seed_images(G, [2, 7]), expected)
    walk = walk_images(G, 2, 7, frames=5)
    assert _close(walk[0], expected[0]) and _close(walk[-1], expected[1])
    grid = style_mixing_grid(G, [2], [7], [0])
    assert _close(grid[1, 0], expected[0]) and _close(grid[0, 1], expected[1])
    frames = noise_path(G, [2, 7], 4, "slerp", False)                    # 5 frames, made a chunk at a time
    maps = frames(0, 10)
    assert len(maps) == G.num_ws - 1 and maps[0].shape[0] == 5
    assert all(torch.equal(m[1:3], part) for m, part in zip(maps, frames(1, 3)))
    middle = torch.cat([m[2].flatten() for m in maps])
    assert 0.8 < float(middle.std()) < 1.2                                # lerp's midpoint would be ~0.71
    lerped = torch.cat([m[2].flatten() for m in noise_path(G, [2, 7], 4, "lerp", False)(0, 5)])
    assert float(lerped.std()) < 0.8
    assert noise_path(build_generator("dcgan", resolution=16, channels=3), [1, 2], 4, "slerp", False) is None


def test_a_mixing_cell_takes_each_layers_noise_from_the_seed_whose_w_that_layer_reads():
    """psi = 0 (every w the same) and noise in one layer j only: the cell that takes w j from the column is the
    column image; the one that takes w j + 1 (a noiseless layer) is the row image."""
    G = _style_g()
    j = 2
    with torch.no_grad():
        for k, layer in enumerate(G.layers):
            layer.noise.strength.fill_(1.0 if k == j else 0.0)
    own = style_mixing_grid(G, [3], [8], [j], psi=0.0)
    assert _close(own[1, 1], own[0, 1]) and not _close(own[1, 1], own[1, 0])
    other = style_mixing_grid(G, [3], [8], [j + 1], psi=0.0)
    assert _close(other[1, 1], other[1, 0]) and not _close(other[1, 1], other[0, 1])
