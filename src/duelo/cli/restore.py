"""`duelo inpaint` (fill the holes of one image) and `duelo restore` (denoise, super-resolve, or translate
edge maps, for many images), with the model trained by `duelo train --task inpaint|denoise|superres|translate`."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.cli.options import RegistryChoice

from duelo.cli.image2image_args import device_option, force_option, model_option
from duelo.errors import ConfigError

MASK_THRESHOLD = 127      # mask pixels brighter than this are holes


def parse_area(text: str) -> tuple[float, float]:
    """'0.1,0.3' -> (0.1, 0.3); one number means a fixed area."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or not 0 < values[0] <= values[1] <= 1:
        raise ConfigError(f"--area {text!r}: give LO,HI with 0 < LO <= HI <= 1, the hole's fraction of the "
                          f"image, e.g. 0.1,0.3")
    return values[0], values[1]


@click.command(context_settings={"show_default": True})
@model_option
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--mask", "mask_path", type=click.Path(path_type=Path), default=None,
              help="Mask image of IMAGE's size: white pixels (> 127) are the holes to fill.")
@click.option("--generate-mask", type=RegistryChoice("duelo.degrade:DEGRADATIONS", "mask", holes=True), default=None,
              help="Draw a random mask instead of --mask; it is saved as OUT-mask.png.")
@click.option("--seed", type=int, default=None, help="Seed of --generate-mask.  [default: 0]")
@click.option("--area", "area_text", default=None, metavar="LO,HI",
              help="--generate-mask: hole area as a fraction of the image, drawn in [LO, HI] (default: the "
                   "model's training setting for its own mask kind, else the mask kind's default).")
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True, help="Output PNG file.")
@force_option
@device_option
def inpaint(run_or_model: Path, image: Path, mask_path: Path | None, generate_mask: str | None,
            seed: int | None, area_text: str | None, out_path: Path, force: bool, device: str) -> None:
    """Fill the holes of IMAGE with an inpaint model (a run folder or its model/ folder).

    Every pixel outside the holes is kept exactly as it is in IMAGE (in the model's channels: a colour image
    given to a grey model is converted to grey first); only the holes come from the model. Any image size
    works. The PNG carries the model's sha256, the task, the mask's origin and the duelo version.

    \b
    Examples:
      duelo inpaint runs/faces-inpaint photo.png --mask scratches.png --out fixed.png
      duelo inpaint runs/faces-inpaint photo.png --generate-mask strokes --seed 3 --out demo.png
    """
    import torch

    from duelo.cli.image2image_args import check_pixels, check_task, provenance, read_image, refuse_overwrite
    from duelo.io.images import save_png
    from duelo.sampling.image2image import generate_holes, inpaint_image, load_translator, padded_size, to_channels

    if (mask_path is None) == (generate_mask is None):
        raise ConfigError("give either --mask MASK.png (white = holes) or --generate-mask boxes|strokes")
    if generate_mask is None and (seed is not None or area_text is not None):
        raise ConfigError("--seed and --area choose a generated mask; use them with --generate-mask")
    if out_path.suffix.lower() != ".png":
        raise ConfigError(f"--out {out_path}: give a .png file name (the output is written losslessly)")
    if seed is not None and seed < 0:
        raise ConfigError(f"--seed {seed}: use a value >= 0")
    if not image.is_file():
        raise ConfigError(f"no such image file: {image}")
    if mask_path is not None and not mask_path.is_file():
        raise ConfigError(f"no such mask file: --mask {mask_path}")
    area = None if area_text is None else parse_area(area_text)
    mask_out = out_path.with_name(out_path.stem + "-mask.png")

    G, task, model_dir = load_translator(run_or_model, device)
    check_task(task, model_dir, "duelo inpaint", ("inpaint",))
    refuse_overwrite([out_path] + ([mask_out] if generate_mask else []), force)
    picture = read_image(image)                                                     # (C, H, W) uint8
    height, width = picture.shape[1:]
    check_pixels(image, padded_size(height, G.size_multiple, G.min_size),
                 padded_size(width, G.size_multiple, G.min_size))
    if mask_path is not None:
        mask_image = to_channels(read_image(mask_path).unsqueeze(0), 1)[0, 0]     # (H, W) uint8
        if tuple(mask_image.shape) != (height, width):
            raise ConfigError(f"--mask {mask_path} is {mask_image.shape[1]}x{mask_image.shape[0]} pixels but "
                              f"{image} is {width}x{height}; give a mask of the image's size")
        holes = mask_image > MASK_THRESHOLD
        origin = mask_path.name
    else:
        seed = 0 if seed is None else seed
        own = task.get("degradation") or {}
        settings = dict(own["settings"]) if own.get("name") == generate_mask else {}
        if area is not None:
            settings["area"] = area
        holes = generate_holes(generate_mask, height, width, seed, settings)
        origin = f"{generate_mask} seed {seed}" + ("" if area is None else f" area {area[0]},{area[1]}")
    filled = inpaint_image(G, task, picture, holes)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot write --out {out_path} ({error.strerror})") from None
    text = provenance(model_dir, task, source=image.name, mask=origin)
    if generate_mask is not None:
        save_png((holes.to(torch.uint8) * 255).unsqueeze(0), mask_out, text=text)
    save_png(filled, out_path, text=text)
    count = int(holes.sum())
    note = "; the mask has no holes, so the output is the input" if count == 0 else ""
    saved = f" and the mask to {mask_out}" if generate_mask else ""
    click.echo(f"filled {count} hole pixel(s) ({100 * count / (height * width):.1f}% of {image}){note}; "
               f"wrote {out_path}{saved}")


RESTORE_TASKS = ("denoise", "superres", "translate")


@click.command(context_settings={"show_default": True})
@model_option
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--degrade-first", is_flag=True,
              help="Treat IMAGES as clean: damage them with the model's own degradation first, then write "
                   "damaged | restored | original side by side (a demonstration).")
@click.option("--seed", type=int, default=None, help="Seed of --degrade-first's damage.  [default: 0]")
@force_option
@device_option
def restore(run_or_model: Path, images: tuple[Path, ...], out_dir: Path, degrade_first: bool, seed: int | None,
            force: bool, device: str) -> None:
    """Restore IMAGES (files, or folders searched recursively) with a denoise or superres model, or turn edge
    maps into images with a translate model trained with --degrade edges.

    denoise keeps the size. superres takes LOW-resolution images, up-samples them bicubically by the model's
    scale (as in training) and returns them scale times larger. Edge models take white edges on black.
    Outputs are PNGs under --out with the input's name (a folder's files keep their sub-folders), with the
    model's sha256, task and duelo version in PNG text chunks; existing outputs need --force, and
    nothing is written when any input is unreadable.

    With --degrade-first the images are clean ones: each gets the model's own damage (noise, down-sampling,
    edge extraction) from --seed, the same for the same image and seed, and the output shows
    damaged | restored | original (superres: the low-resolution input enlarged, and the original cropped to a
    multiple of the scale). For holes use `duelo inpaint`.

    \b
    Examples:
      duelo restore runs/denoise noisy/ --out clean/
      duelo restore runs/superres-x4 small.png --out big/
      duelo restore runs/superres-x4 photos/ --out demo/ --degrade-first --seed 1
    """
    from duelo.cli.image2image_args import (check_inputs, collect_images, prepare_out_dir, provenance,
                                            read_image, refuse_overwrite, side_by_side)
    from duelo.io.images import save_png
    from duelo.sampling.image2image import (degrade_for_demo, load_translator, padded_size, restore_images,
                                            superres_scale, to_channels)

    if seed is not None and not degrade_first:
        raise ConfigError("--seed chooses the damage of --degrade-first; use them together")
    if seed is not None and seed < 0:
        raise ConfigError(f"--seed {seed}: use a value >= 0")
    seed = 0 if seed is None else seed
    inputs = collect_images(images)
    G, task, model_dir = load_translator(run_or_model, device)
    _check_restorable(task, model_dir)
    targets = [out_dir / item.relative for item in inputs]
    refuse_overwrite(targets, force)
    scale = superres_scale(task) if task["task"] == "superres" and not degrade_first else 1
    check_inputs(inputs, lambda height, width: (padded_size(height * scale, G.size_multiple, G.min_size),
                                                padded_size(width * scale, G.size_multiple, G.min_size)))
    prepare_out_dir(out_dir)
    text = provenance(model_dir, task, **({"degrade_seed": seed} if degrade_first else {}))
    for item, target in zip(inputs, targets):
        clean = read_image(item.path).unsqueeze(0)                                 # (1, C, H, W) uint8
        damaged = degrade_for_demo(task, clean, seed)[0] if degrade_first else clean
        restored = restore_images(G, task, damaged)[0]                             # (C', H s, W s)
        if degrade_first:
            original = to_channels(clean, task["target_channels"])[0, :, :restored.shape[1], :restored.shape[2]]
            picture = side_by_side(damaged[0], restored, original)
        else:
            picture = restored
        target.parent.mkdir(parents=True, exist_ok=True)
        save_png(picture, target, text={**text, "duelo:source": item.path.name})
    layout = " (each: damaged | restored | original)" if degrade_first else ""
    click.echo(f"restored {len(inputs)} image(s) with {model_dir} ({task['task']}); wrote them to {out_dir}{layout}")


def _check_restorable(task: dict, model_dir: Path) -> None:
    name = task["task"]
    if name == "inpaint":
        raise ConfigError(f"{model_dir} is an inpaint model: it needs a mask; use `duelo inpaint MODEL IMAGE "
                          f"--mask MASK.png` (or --generate-mask boxes|strokes)")
    if name == "cyclegan" or (name == "translate" and task.get("degradation") is None):
        raise ConfigError(f"{model_dir} is a {name} model trained on real image pairs or domains, not on "
                          f"damage; use `duelo translate`")
    if name not in RESTORE_TASKS:
        raise ConfigError(f"{model_dir} is a {name} model; `duelo restore` runs {', '.join(RESTORE_TASKS)} models")
