"""`duelo project`: find the latent from which a trained generator best reproduces a real image."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError

MAX_STEPS = 100_000
OUTPUT_NAMES = ("target.png", "projected.png", "latent.safetensors", "projection.json")


@click.command(context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--label", type=int, default=None, help="Class of the image (needed by conditional models).")
@click.option("--steps", type=int, default=500, help="Optimisation steps.")
@click.option("--space", type=click.Choice(["auto", "z", "w", "w+"]), default="auto",
              help="Latent optimised: auto = w for style-based generators (stylegan2), z for the others.")
@click.option("--lr", type=float, default=0.1, help="Peak Adam learning rate.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("projection"), help="Output folder.")
@click.option("--seed", type=int, default=0, help="Seed of the random draws (starting latents, w statistics).")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")
@click.option("--force", is_flag=True, help="Replace the files of an earlier projection in --out.")
def project(run_or_model: Path, image: Path, label: int | None, steps: int, space: str, lr: float, out_dir: Path,
            seed: int, device: str, force: bool) -> None:
    """Project IMAGE (PNG or JPEG) into the latent space of a run folder's or saved model's generator.

    The image is converted to the model's channels and, if its size differs, centre-cropped to a square
    and resized to the model's resolution. Writes OUT/target.png (the image as compared), OUT/projected.png
    (the generator's reproduction), OUT/latent.safetensors and OUT/projection.json (space, steps, final
    MSE and PSNR, model sha256, label).

    \b
    Examples:
      duelo project runs/faces photo.jpg --out photo-proj/
      duelo project runs/digits/model seven.png --label 7 --steps 1000 --space w+
    """
    if not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"--steps {steps}: use a value from 1 to {MAX_STEPS:,}")
    if not lr > 0:
        raise ConfigError(f"--lr {lr}: use a value greater than 0 (0.1 is usual)")
    if seed < 0:
        raise ConfigError(f"--seed {seed}: use a value >= 0")
    if not image.is_file():
        raise ConfigError(f"no such image file: {image}")
    from duelo.io.outputs import output_folder

    output_folder(out_dir, force=force, names=OUTPUT_NAMES, create=False)   # made once the input is checked

    import torch

    from duelo import __version__
    from duelo.cli.model_args import check_label, load_generator
    from duelo.io.atomic import atomic_write_bytes, atomic_write_json
    from duelo.io.images import save_png, to_uint8
    from duelo.io.pretrained import model_sha256
    from duelo.sampling.projection import project as run_projection, psnr, resolve_space
    from safetensors.torch import save as safetensors_bytes

    G, model_dir = load_generator(run_or_model, device, "project with")
    check_label(G, model_dir, label, which="the image's ")
    resolved = resolve_space(G, space)
    target_uint8, note = read_target(image, G.channels, getattr(G, "image_size", G.resolution))
    if note:
        click.echo(f"note: {note}")
    output_folder(out_dir, force=force, names=OUTPUT_NAMES)

    def report(step: int, total: int, mse: float) -> None:
        click.echo(f"step {step:>{len(str(total))}}/{total}  mse {mse:.5f}  psnr {float(psnr(mse)):.2f} dB")

    target = target_uint8.unsqueeze(0).float() / 127.5 - 1.0
    labels = None if label is None else torch.tensor([label], dtype=torch.long)
    result = run_projection(G, target.to(next(G.parameters()).device), labels=labels, steps=steps, lr=lr,
                            space=resolved,
                            generator=torch.Generator().manual_seed(seed), progress=report)
    digest = model_sha256(model_dir)
    mse = float(result.mse[0])
    text = {"duelo:model_sha256": digest, "duelo:version": __version__,
            "duelo:label": "" if label is None else str(label)}
    save_png(target_uint8, out_dir / "target.png", text={**text, "duelo:source": image.name})
    save_png(to_uint8(result.images)[0], out_dir / "projected.png", text={**text, "duelo:space": resolved})
    atomic_write_bytes(out_dir / "latent.safetensors", safetensors_bytes(
        {"latent": result.latent.detach().cpu().contiguous()},
        metadata={"space": resolved, "model_sha256": digest, "label": "" if label is None else str(label)}))
    atomic_write_json(out_dir / "projection.json", {
        "image": str(image), "space": resolved, "steps": steps, "lr": lr, "seed": seed,
        "mse": mse, "psnr_db": round(float(psnr(mse)), 4), "model_sha256": digest, "label": label,
        "latent_shape": list(result.latent.shape), "note": note, "duelo_version": __version__})
    click.echo(f"projected {image} into {resolved} space: PSNR {float(psnr(mse)):.2f} dB (mse {mse:.5f}); "
               f"wrote {out_dir}/projected.png")


def read_target(path: Path, channels: int, resolution: int | tuple[int, int]):
    """A PNG/JPEG as uint8 (C, H, W) in the model's channels and size (a side R, or (H, W) for a non-square model),
    and a note of what was changed."""
    import numpy as np
    import torch
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            opened.load()
            picture = opened.copy()
    except (UnidentifiedImageError, OSError) as error:
        raise ConfigError(f"cannot read {path} as an image ({error}); give a PNG or JPEG file") from None
    notes = []
    mode = "L" if channels == 1 else "RGB"
    if picture.mode != mode:
        if picture.mode in ("RGBA", "LA", "P") and mode == "RGB":
            picture = picture.convert("RGBA")
            background = Image.new("RGBA", picture.size, (255, 255, 255, 255))
            picture = Image.alpha_composite(background, picture)
        picture = picture.convert(mode)
        if channels == 1:
            notes.append("converted to greyscale")
    width, height = picture.size
    target_height, target_width = (resolution, resolution) if isinstance(resolution, int) else resolution
    if (width, height) != (target_width, target_height):
        if width * target_height != height * target_width:        # another shape: the largest centred crop of ours
            if width * target_height > height * target_width:
                crop_width, crop_height = round(height * target_width / target_height), height
            else:
                crop_width, crop_height = width, round(width * target_height / target_width)
            left, top = (width - crop_width) // 2, (height - crop_height) // 2
            picture = picture.crop((left, top, left + crop_width, top + crop_height))
            notes.append(f"centre-cropped {width}x{height} to {crop_width}x{crop_height}")
        picture = picture.resize((target_width, target_height), Image.Resampling.LANCZOS)
        notes.append(f"resized to the model's {target_width}x{target_height}")
    array = np.asarray(picture, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous(), "; ".join(notes)
