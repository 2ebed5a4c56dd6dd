"""`duelo interpolate`: an animated walk through the latent space of a trained generator."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError

MAX_FRAMES = 10_000


@click.command(context_settings={"show_default": True})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--seeds", required=True, help="Keyframe seeds in walking order, e.g. 0,5,9 (at least 2).")
@click.option("--frames", type=int, default=30, help="Frames from one keyframe to the next.")
@click.option("--slerp/--lerp", "use_slerp", default=True,
              help="Spherical interpolation (keeps latents at their typical norm) or straight lines.")
@click.option("--loop/--no-loop", default=True, help="Walk back to the first keyframe and repeat the animation.")
@click.option("--label", type=int, default=None, help="Class of every frame (needed by conditional models).")
@click.option("--truncation", "psi", type=float, default=None, metavar="PSI",
              help="Truncation trick: pull latents towards the centre by PSI in [0, 1] (1 = off).")
@click.option("--fps", type=int, default=20, help="Frames per second.")
@click.option("--scale", type=int, default=4, help="Nearest-neighbour upscale factor of each frame.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=Path("walk.gif"),
              help="Output file: .gif, or .mp4 (needs imageio + imageio-ffmpeg).")
@click.option("--device", default="cpu", help="cpu, cuda or cuda:N.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def interpolate(run_or_model: Path, seeds: str, frames: int, use_slerp: bool, loop: bool, label: int | None,
                psi: float | None, fps: int, scale: int, out_path: Path, device: str, force: bool) -> None:
    """Animate a walk through the latents of the given seeds, from a run folder or a saved model.

    Each seed is the same latent `duelo sample` draws, so keyframes match its images (with --truncation
    off). The walk is spherical (slerp, White 2016) unless --lerp is given.

    \b
    Examples:
      duelo interpolate runs/demo --seeds 0,5,9 --out walk.gif
      duelo interpolate runs/demo/model --seeds 1-4 --label 3 --frames 60 --no-loop --out threes.gif
      duelo interpolate runs/demo --seeds 0,1 --truncation 0.7 --fps 30 --out walk.mp4
    """
    from duelo.cli.model_args import check_label, load_generator
    from duelo.cli.sample import parse_int_list

    seed_list = parse_int_list(seeds, "--seeds")
    if len(seed_list) < 2:
        raise ConfigError(f"--seeds {seeds!r} gives {len(seed_list)} keyframe; an interpolation needs at least 2, "
                          f"e.g. --seeds 0,5,9")
    if frames < 2:
        raise ConfigError(f"--frames {frames}: need at least 2 frames between keyframes")
    suffix = out_path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ConfigError(f"--out {out_path}: use a .gif or .mp4 file name")
    from duelo.io.outputs import output_file

    out_path = output_file(out_path, force=force)
    segments = len(seed_list) if loop else len(seed_list) - 1
    total = segments * frames + (0 if loop else 1)
    if total > MAX_FRAMES:
        raise ConfigError(f"{total:,} frames is more than {MAX_FRAMES:,}; use fewer --seeds or --frames")
    if not 1 <= fps <= 100:
        raise ConfigError(f"--fps {fps}: use a value from 1 to 100")
    if not 1 <= scale <= 64:
        raise ConfigError(f"--scale {scale}: use an integer from 1 to 64")
    if psi is not None and not 0.0 <= psi <= 2.0:
        raise ConfigError(f"--truncation {psi}: use a value in [0, 1] (at most 2 to exaggerate)")

    from duelo.sampling.animation import _import_imageio
    if suffix == ".mp4":
        _import_imageio()                                 # fail before any work if imageio is missing

    from duelo.sampling.animation import save_video
    from duelo.sampling.generate import latents_for_seeds
    from duelo.sampling.latent import interpolation_path
    from duelo.sampling.steered import images_from_latents, noise_path

    G, model_dir = load_generator(run_or_model, device, "interpolate with")
    check_label(G, model_dir, label)

    keyframes = latents_for_seeds(G.z_dim, seed_list)                       # (K, D) on the CPU
    mode = "slerp" if use_slerp else "lerp"
    path = interpolation_path(keyframes, frames, mode=mode, loop=loop)
    # noise inputs walk with the latents, so every keyframe is its seed's `duelo sample` image
    images = images_from_latents(G, path, label, psi, noise_path(G, seed_list, frames, mode, loop))
    save_video(images, out_path, fps=fps, loop=loop, scale=scale)
    click.echo(f"wrote {images.shape[0]} frame(s) through {len(seed_list)} keyframes to {out_path}")
