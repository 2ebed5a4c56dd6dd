"""Style mixing: the grid figure of StyleGAN (Karras, Laine & Aila 2019, "A Style-Based Generator
Architecture for GANs", figure 3 and section 3.1).

A style-based generator maps a latent z to w and feeds one copy of w to each synthesis layer (`num_ws`
copies). Taking some of those copies from a second latent mixes the two images: the layers copied decide
what is transferred. Early (coarse, low-resolution) layers carry pose and overall shape, middle layers
finer features, the last (fine) layers mostly colour and texture.

Grid layout, as returned by `style_mixing_grid` (rows + 1, cols + 1, C, R, R):

    blank       col seed 0   col seed 1   ...
    row seed 0  mix(0, 0)    mix(0, 1)
    row seed 1  mix(1, 0)    ...

where mix(r, c) is the row seed's ws with the layers in `layers` replaced by the column seed's ws.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.io.images import to_uint8
from duelo.nn.seeded_noise import draw_noise, given_noise, sampled_noise_layers
from duelo.sampling.generate import latents_for_seeds

LAYER_GROUPS = ("coarse", "middle", "fine")


def is_style_based(G: nn.Module) -> bool:
    """True for generators with a separate mapping (z -> ws) and synthesis (ws -> image) network."""
    return hasattr(G, "mapping") and hasattr(G, "synthesis") and hasattr(G, "num_ws")


def require_style_based(G: nn.Module, what: str) -> None:
    """ConfigError naming the architecture when G has no w space."""
    if not is_style_based(G):
        name = getattr(G, "duelo_spec", {}).get("name", type(G).__name__)
        raise ConfigError(f"{what} needs a style-based generator (with a mapping and a synthesis network); "
                          f"this model is {name!r}. Train one with --model stylegan2")


def _resolution_of_ws(index: int) -> int:
    """The synthesis block a w index feeds: indices 0-1 the 4x4 block, 2-3 the 8x8 one, and so on (the
    toRGB of each block shares its w with the first conv of the next, as in StyleGAN2)."""
    return 4 * 2 ** (index // 2)


def layer_group(num_ws: int, group: str) -> list[int]:
    """The w indices of a named group: "coarse", "middle" or "fine".

    With at least 10 ws (resolution >= 64) the split is the paper's, by the resolution each w feeds:
    coarse = 4x4 to 8x8, middle = 16x16 to 32x32, fine = 64x64 and up (at 1024x1024: 0-3, 4-7, 8-17).
    Smaller generators would have an empty fine group that way, so below 10 ws the ws are cut into
    three contiguous groups as equal as possible, earlier groups taking the remainder: 4 ws (8x8) ->
    [0, 1], [2], [3]; 6 ws (16x16) -> 2/2/2; 8 ws (32x32) -> 3/3/2.
    """
    if group not in LAYER_GROUPS:
        raise ConfigError(f"layer group {group!r}: use one of {', '.join(LAYER_GROUPS)}, or indices like 0-3")
    if num_ws >= 10:
        bounds = {"coarse": (4, 8), "middle": (16, 32), "fine": (64, 2**30)}[group]
        return [i for i in range(num_ws) if bounds[0] <= _resolution_of_ws(i) <= bounds[1]]
    size, extra = divmod(num_ws, 3)
    sizes = [size + (1 if k < extra else 0) for k in range(3)]
    start = sum(sizes[:LAYER_GROUPS.index(group)])
    return list(range(start, start + sizes[LAYER_GROUPS.index(group)]))


def _check_label(G: nn.Module, label: int | None) -> None:
    if G.c_dim == 0 and label is not None:
        raise ConfigError("the generator is unconditional: give no label")
    if G.c_dim > 0:
        if label is None:
            raise ConfigError(f"the generator is class-conditional ({G.c_dim} classes): give one label "
                              f"0..{G.c_dim - 1} for the whole grid")
        if not 0 <= int(label) < G.c_dim:
            raise ConfigError(f"label {label} is out of range: this model has classes 0..{G.c_dim - 1}")


@torch.no_grad()
def style_mixing_grid(G: nn.Module, row_seeds: Sequence[int], col_seeds: Sequence[int], layers: Sequence[int],
                      label: int | None = None, psi: float = 1.0) -> torch.Tensor:
    """uint8 (len(row_seeds) + 1, len(col_seeds) + 1, C, R, R) cells of a style-mixing figure.

    Cell [0, 0] is blank (zeros); [0, c + 1] is the plain image of col_seeds[c], [r + 1, 0] that of
    row_seeds[r]; [r + 1, c + 1] synthesises row_seeds[r]'s ws with the w indices in `layers` taken from
    col_seeds[c] (all layers: the column image; none: the row image). Seeds give the same latents as
    `duelo sample`; psi truncates towards w_avg; conditional generators draw every cell with `label`.
    G runs in eval mode (no random mixing) and is put back in its previous mode. Noise maps come from the seeds as
    in `duelo sample` (duelo.nn.seeded_noise), each layer's from the seed whose w that layer reads.
    """
    require_style_based(G, "style mixing")
    _check_label(G, label)
    if not row_seeds or not col_seeds:
        raise ConfigError("style mixing needs at least one row seed and one column seed")
    layer_list = sorted({int(i) for i in layers})
    bad = [i for i in layer_list if not 0 <= i < G.num_ws]
    if bad:
        raise ConfigError(f"layer {bad[0]} is out of range: this generator has ws 0..{G.num_ws - 1}")
    if not 0.0 <= float(psi) <= 2.0:
        raise ConfigError(f"truncation psi {psi}: use a value in [0, 1] (at most 2 to exaggerate)")

    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    try:
        seeds = list(row_seeds) + list(col_seeds)
        z = latents_for_seeds(G.z_dim, seeds, device)
        y = None if label is None else torch.full((len(seeds),), int(label), dtype=torch.long, device=device)
        ws = G.mapping(z, y, psi=float(psi))                                  # (R + C, num_ws, w_dim)
        row_ws, col_ws = ws[:len(row_seeds)], ws[len(row_seeds):]
        noise = sampled_noise_layers(G)                                       # layer k reads ws[:, k]
        drawn = draw_noise(noise, seeds, G.z_dim)                             # rows' seeds, then columns'
        with given_noise(noise, drawn, device):
            plain = to_uint8(G.synthesis(ws))
        take = torch.zeros(G.num_ws, dtype=torch.bool, device=device)
        take[layer_list] = True
        n_rows, n_cols = len(row_seeds), len(col_seeds)
        rows = []
        for r in range(n_rows):
            mixed = torch.where(take[None, :, None], col_ws, row_ws[r:r + 1].expand_as(col_ws))
            # each noise map follows its layer's w: the column's where the column's w is taken, else the row's
            maps = [m[n_rows:] if k in layer_list else m[r:r + 1].expand(n_cols, *m.shape[1:])
                    for k, m in enumerate(drawn)]
            with given_noise(noise, maps, device):
                rows.append(to_uint8(G.synthesis(mixed)))                     # (cols, C, R, R)
    finally:
        G.train(was_training)

    grid = torch.zeros(n_rows + 1, n_cols + 1, *plain.shape[1:], dtype=torch.uint8)
    grid[0, 1:] = plain[n_rows:]
    grid[1:, 0] = plain[:n_rows]
    grid[1:, 1:] = torch.stack(rows)
    return grid
