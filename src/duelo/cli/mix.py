"""`duelo mix`: a style-mixing grid from a style-based generator (StyleGAN 2019, figure 3)."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError

MAX_SEEDS = 64                 # per axis: a 65 x 65 grid is already larger than anyone can look at


@click.command(context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--rows", "rows_text", default="0-3", help="Seeds of the rows (they give the layers not copied).")
@click.option("--cols", "cols_text", default="10-13", help="Seeds of the columns (they give the copied layers).")
@click.option("--layers", "layers_text", default="coarse",
              help="ws copied from the column seed: coarse, middle, fine, or indices like 0-3.")
@click.option("--label", type=int, default=None, help="Class of every cell (needed by conditional models).")
@click.option("--truncation", "psi", type=float, default=None, metavar="PSI",
              help="Truncation trick: pull w towards its mean by PSI in [0, 1] (1 = off).")
@click.option("--scale", type=int, default=1, help="Nearest-neighbour upscale factor of the grid.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=Path("mix.png"), help="Output PNG.")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def mix(run_or_model: Path, rows_text: str, cols_text: str, layers_text: str, label: int | None,
        psi: float | None, scale: int, out_path: Path, device: str, force: bool) -> None:
    """Write a style-mixing grid: column seeds on top, row seeds on the left, and in each cell the row
    image with the --layers of its w taken from the column image.

    Coarse layers carry pose and shape, middle ones features, fine ones colour and texture. Needs a
    style-based generator (stylegan2). The PNG carries the model's sha256, the seeds and the layers.

    \b
    Examples:
      duelo mix runs/faces --rows 0-3 --cols 10-13 --layers coarse --out coarse.png
      duelo mix runs/faces/model --rows 0-5 --cols 20-25 --layers 4-7 --scale 2
      duelo mix runs/digits --label 3 --layers fine --truncation 0.7
    """
    from duelo.cli.model_args import check_label, load_generator
    from duelo.cli.sample import parse_int_list

    row_seeds = parse_int_list(rows_text, "--rows")
    col_seeds = parse_int_list(cols_text, "--cols")
    for what, seeds in (("--rows", row_seeds), ("--cols", col_seeds)):
        if len(seeds) > MAX_SEEDS:
            raise ConfigError(f"{what} gives {len(seeds)} seeds; use at most {MAX_SEEDS}")
    if not 1 <= scale <= 16:
        raise ConfigError(f"--scale {scale}: use an integer from 1 to 16")
    if psi is not None and not 0.0 <= psi <= 2.0:
        raise ConfigError(f"--truncation {psi}: use a value in [0, 1] (at most 2 to exaggerate)")
    if out_path.suffix.lower() != ".png":
        raise ConfigError(f"--out {out_path}: use a .png file name")
    from duelo.io.outputs import output_file

    out_path = output_file(out_path, force=force)

    from duelo import __version__
    from duelo.io.images import save_grid
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.mixing import LAYER_GROUPS, layer_group, require_style_based, style_mixing_grid

    G, model_dir = load_generator(run_or_model, device, "mix styles with")
    require_style_based(G, "duelo mix")
    check_label(G, model_dir, label)
    if layers_text.strip().lower() in LAYER_GROUPS:
        layers = layer_group(G.num_ws, layers_text.strip().lower())
        if not layers:
            raise ConfigError(f"--layers {layers_text}: this generator has no such layers; give indices "
                              f"0..{G.num_ws - 1}")
    else:
        layers = parse_int_list(layers_text, "--layers")
        if max(layers) >= G.num_ws:
            raise ConfigError(f"--layers {layers_text}: this generator has ws 0..{G.num_ws - 1} "
                              f"(coarse {_span(layer_group(G.num_ws, 'coarse'))}, middle "
                              f"{_span(layer_group(G.num_ws, 'middle'))}, fine {_span(layer_group(G.num_ws, 'fine'))})")

    cells = style_mixing_grid(G, row_seeds, col_seeds, layers, label=label, psi=1.0 if psi is None else psi)
    n_rows, n_cols = cells.shape[:2]
    images = cells.flatten(0, 1)
    if scale > 1:
        images = images.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
    save_grid(images, out_path, n_cols, text={
        "duelo:model_sha256": model_sha256(model_dir), "duelo:version": __version__,
        "duelo:rows": ",".join(map(str, row_seeds)), "duelo:cols": ",".join(map(str, col_seeds)),
        "duelo:layers": ",".join(map(str, layers)), "duelo:label": "" if label is None else str(label),
        "duelo:truncation": "" if psi is None else str(psi)})
    click.echo(f"wrote a {n_rows - 1} x {n_cols - 1} style-mixing grid (ws {_span(layers)} from the columns) "
               f"to {out_path}")


def _span(indices: list[int]) -> str:
    if not indices:
        return "none"
    if indices == list(range(indices[0], indices[-1] + 1)):
        return f"{indices[0]}-{indices[-1]}" if len(indices) > 1 else str(indices[0])
    return ",".join(map(str, indices))
