"""`duelo translate`: run a paired (pix2pix) or unpaired (CycleGAN) translator on image files and folders."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.cli.image2image_args import device_option, force_option, model_option


@click.command(context_settings={"show_default": True})
@model_option
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--reverse", is_flag=True, help="cyclegan models: translate B -> A (the run's model-reverse/).")
@force_option
@device_option
def translate(run_or_model: Path, images: tuple[Path, ...], out_dir: Path, reverse: bool, force: bool,
              device: str) -> None:
    """Translate IMAGES (files, or folders searched recursively) with a translate or cyclegan model.

    RUN_OR_MODEL is a run folder or its model/ folder. Any image size works: images are padded by
    reflection to a size the network takes and cropped back, so each output has its input's size.
    Colour and grey inputs are converted to the model's channels. Outputs are PNGs under --out with the
    input's name (a folder's files keep their sub-folders), carrying the model's sha256, the task and the
    duelo version in PNG text chunks. Existing outputs are never overwritten without --force, and nothing is
    written when any input is unreadable. A model trained with --degrade edges takes edge maps: white edges on black.

    \b
    Examples:
      duelo translate runs/edges2digits sketch.png --out drawn/
      duelo translate runs/horse2zebra photos/ --out zebras/
      duelo translate runs/horse2zebra zebras/ --out horses/ --reverse
    """
    from duelo.cli.image2image_args import (check_inputs, check_task, collect_images, prepare_out_dir,
                                            provenance, read_image, refuse_overwrite)
    from duelo.io.images import save_png
    from duelo.sampling.image2image import load_translator, padded_size, translate_images

    inputs = collect_images(images)
    G, task, model_dir = load_translator(run_or_model, device, reverse=reverse)
    check_task(task, model_dir, "duelo translate", ("translate", "cyclegan"))
    targets = [out_dir / item.relative for item in inputs]
    refuse_overwrite(targets, force)
    check_inputs(inputs, lambda height, width: (padded_size(height, G.size_multiple, G.min_size),
                                                padded_size(width, G.size_multiple, G.min_size)))
    prepare_out_dir(out_dir)
    text = provenance(model_dir, task)
    for item, target in zip(inputs, targets):
        image = read_image(item.path)
        output = translate_images(G, image.unsqueeze(0))[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        save_png(output, target, text={**text, "duelo:source": item.path.name})
    direction = f" ({task['direction'].replace('_', ' ')})" if "direction" in task else ""
    click.echo(f"translated {len(inputs)} image(s) with {model_dir}{direction}; wrote them to {out_dir}")
