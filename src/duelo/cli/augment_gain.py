"""`duelo augment-gain RUN --real SMALL --test TEST`: the accuracy a classifier gains on real test images when a
conditional GAN's samples are added to the small real set it was trained on (duelo.evaluation.augment_gain)."""

from __future__ import annotations

from pathlib import Path

import click

from duelo.errors import ConfigError


@click.command("augment-gain", context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--real", "real_spec", required=True, help="The small labelled real set (the GAN's training data).")
@click.option("--test", "test_spec", required=True, help="Labelled real test images the GAN never saw.")
@click.option("--per-class", type=int, default=100, help="Synthetic images added per class.")
@click.option("--repeats", type=int, default=3, help="Paired repeats (classifier seeds) behind the interval.")
@click.option("--seed", type=int, default=0)
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write the result as JSON.")
def augment_gain_command(run_or_model: Path, real_spec: str, test_spec: str, per_class: int, repeats: int,
                         seed: int, out_file: Path | None) -> None:
    """Train a classifier on the real set alone and on it plus PER_CLASS synthetic images of every class from the
    conditional GAN in RUN_OR_MODEL; print the accuracy gain on the test images with a 95 % confidence interval.

    \b
      duelo augment-gain runs/small --real small.npz --test rest.npz --per-class 200 --repeats 5
    """
    import torch

    from duelo.data.loading import load_dataset
    from duelo.evaluation.augment_gain import augment_gain
    from duelo.io.atomic import atomic_write_json
    from duelo.sampling.generate import generate
    from duelo.cli.model_args import load_generator

    if per_class < 1 or repeats < 1:
        raise ConfigError("--per-class and --repeats must be at least 1")
    G, model_dir = load_generator(run_or_model, "cpu", "draw synthetic images from")
    if G.c_dim == 0:
        raise ConfigError(f"{model_dir} is unconditional; the gain needs labelled synthetic images: train with "
                          f"--conditional")
    sets = []
    for flag, spec in (("--real", real_spec), ("--test", test_spec)):
        data = load_dataset(spec, resolution=G.resolution, channels=G.channels)
        if data.labels is None:
            raise ConfigError(f"{flag} {spec}: the images are unlabelled; give a labelled set")
        if data.num_classes > G.c_dim:
            raise ConfigError(f"{flag} {spec}: {data.num_classes} classes, the model has {G.c_dim}")
        sets.append(data)
    real, test = sets
    labels = torch.arange(G.c_dim).repeat_interleave(per_class)
    synthetic = generate(G, [seed * 1_000_003 + i for i in range(len(labels))], labels)
    click.echo(f"{len(real):,} real + {len(synthetic):,} synthetic training images, {len(test):,} test images, "
               f"{repeats} repeat(s) ...", err=True)
    result = augment_gain(real.images, real.labels, test.images, test.labels, synthetic, labels, G.c_dim,
                          repeats, seed, log=lambda text: click.echo(text, err=True))
    result.update({"model": str(model_dir), "real": real_spec, "test": test_spec, "per_class": per_class})
    low, high = result["gain_ci95"]
    ci = "" if low != low else f" (95 % CI {100 * low:+.1f} to {100 * high:+.1f})"
    click.echo(f"test accuracy {100 * result['real_only']:.1f} % on the real images alone, "
               f"{100 * result['real_plus_synthetic']:.1f} % with the synthetic ones: "
               f"{100 * result['gain']:+.1f} points{ci} over {repeats} repeat(s)")
    if out_file is not None:
        atomic_write_json(out_file, result)
