"""`duelo augment-gain RUN --real SMALL --test TEST`: what a classifier gains on real test data when a GAN's
labelled samples are added to the small real set the GAN was trained on (duelo.evaluation.augment_gain), for
every kind of run that draws labelled samples: class-conditional images and time series, and tables (rows of
one class of a target column). KINDS finds the kind of RUN; each kind's measurement lives with its task."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from duelo.errors import ConfigError
from duelo.registry import Registry


@dataclass(frozen=True)
class Kind:
    unit: str                                           # what the items are, for the printed line
    accepts: Callable[[Path], bool]                     # is RUN_OR_MODEL of this kind?
    measure: Callable[..., dict[str, Any]]              # (run, options, log) -> result
    default_per_class: int | None = 100                 # synthetic items per class when --per-class is not given
    selects: bool = False                               # takes --filter, --balance, --pretrain and --soft


def _tables(run: Path, o: dict, log) -> dict:
    from duelo.tasks.tabular.augment import augment_tables

    return augment_tables(run, Path(o["real_spec"]), Path(o["test_spec"]), o["target"], o["label"],
                          o["per_class"], o["repeats"], o["seed"], log)


def _series(run: Path, o: dict, log) -> dict:
    from duelo.tasks.timeseries.augment import augment_series

    return augment_series(run, o["real_spec"], o["test_spec"], o["per_class"], o["repeats"], o["seed"], log,
                          threshold=o["filter"], balance=o["balance"], pretrain=o["pretrain"], soft=o["soft"])


def _images(run: Path, o: dict, log) -> dict:
    import torch

    from duelo.cli.model_args import load_generator
    from duelo.data.loading import load_dataset
    from duelo.evaluation.augment_gain import FILTER_DRAWS, augment_gain
    from duelo.sampling.generate import generate

    G, model_dir = load_generator(run, "cpu", "draw synthetic images from")
    if G.c_dim == 0:
        raise ConfigError(f"{model_dir} is unconditional; the gain needs labelled synthetic images: train with "
                          f"--conditional")
    sets = []
    for flag, spec in (("--real", o["real_spec"]), ("--test", o["test_spec"])):
        data = load_dataset(spec, resolution=G.resolution, channels=G.channels)
        if data.labels is None:
            raise ConfigError(f"{flag} {spec}: the images are unlabelled; give a labelled set")
        if data.num_classes > G.c_dim:
            raise ConfigError(f"{flag} {spec}: {data.num_classes} classes, the model has {G.c_dim}")
        sets.append(data)
    real, test = sets
    drawn = o["per_class"] * (FILTER_DRAWS if o["filter"] else 1)          # candidates per class
    labels = torch.arange(G.c_dim).repeat_interleave(drawn)
    synthetic = generate(G, [o["seed"] * 1_000_003 + i for i in range(len(labels))], labels)
    kept = (f"at most {o['per_class']:,} per class of {len(synthetic):,} drawn, kept where the real-only classifier "
            f"gives their class >= {o['filter']:g}") if o["filter"] else f"{len(synthetic):,}"
    log(f"{len(real):,} real + {kept} synthetic training images, {len(test):,} test images, "
        f"{o['repeats']} repeat(s) ...")
    result = augment_gain(real.images, real.labels, test.images, test.labels, synthetic, labels, G.c_dim,
                          o["repeats"], o["seed"], log=log, per_class=o["per_class"], threshold=o["filter"],
                          balance=o["balance"], pretrain=o["pretrain"], soft=o["soft"])
    return {"model": str(model_dir), **result}


def _is_tables(run: Path) -> bool:
    from duelo.cli.tabular import is_tabular_output

    return is_tabular_output(run)


def _is_series(run: Path) -> bool:
    from duelo.tasks.timeseries.model_io import is_series_model

    return is_series_model(run)


def _is_images(run: Path) -> bool:
    """A duelo image model folder (format duelo-model), or a run folder holding one."""
    from duelo.errors import DueloError
    from duelo.io.pretrained import read_config, resolve_model_dir

    try:
        read_config(resolve_model_dir(run))
    except DueloError:
        return False
    return True


KINDS: Registry[Kind] = Registry("augment-gain kind")      # each accepts only its own folders' format
KINDS.add("tables", Kind("rows", _is_tables, _tables, default_per_class=None))
KINDS.add("series", Kind("windows", _is_series, _series, selects=True))
KINDS.add("images", Kind("images", _is_images, _images, selects=True))


@click.command("augment-gain", context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.argument("run_or_model", type=click.Path(path_type=Path))
@click.option("--real", "real_spec", required=True, help="The small labelled real set (the GAN's training data).")
@click.option("--test", "test_spec", required=True, help="Labelled real test data the GAN never saw.")
@click.option("--per-class", "--rows", "per_class", type=int, default=None,
              help="Synthetic items added per class (images, windows: 100); tables: rows of --class added "
                   "(default: enough to make it as frequent as the most frequent class).")
@click.option("--target", default=None, help="Tables: the categorical column the classifier predicts.")
@click.option("--class", "label", default=None, help="Tables: the class to add rows of (default: the rarest).")
@click.option("--filter", "threshold", type=float, default=0.0,
              help="Images and windows: keep only synthetic items that a classifier trained on the real set alone "
                   "gives their asked class with at least this probability (up to 4x --per-class drawn per class); "
                   "0 = keep all.")
@click.option("--balance", is_flag=True,
              help="Images and windows: repeat the real items in the mixed set until they are at least as many as "
                   "the synthetic ones.")
@click.option("--pretrain", is_flag=True,
              help="Images and windows: also train a classifier on the synthetic items alone and then on the real "
                   "set (pre-training, then fine-tuning), reported as a third arm beside the mixed set.")
@click.option("--soft", is_flag=True,
              help="Images and windows: label the synthetic items with the real-only classifier's class "
                   "probabilities (a teacher's soft labels) instead of the class asked of G, and add a control arm "
                   "of teacher-labelled blends of two real items, the same distillation without the GAN.")
@click.option("--repeats", type=int, default=3, help="Paired repeats (classifier seeds) behind the interval.")
@click.option("--seed", type=int, default=0)
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write the result as JSON.")
def augment_gain_command(run_or_model: Path, real_spec: str, test_spec: str, per_class: int | None,
                         target: str | None, label: str | None, threshold: float, balance: bool, pretrain: bool,
                         soft: bool, repeats: int, seed: int, out_file: Path | None) -> None:
    """Train a classifier on the real set alone and on it plus synthetic samples of every class from the
    conditional GAN in RUN_OR_MODEL (a table model: rows of one class of --target); print the test accuracy (tables:
    the F1 score of that class) of both and the gain with a 95 % confidence interval.

    \b
      duelo augment-gain runs/small --real small.npz --test rest.npz --per-class 200 --repeats 5
      duelo augment-gain runs/small --real small.npz --test rest.npz --filter 0.9 --balance --pretrain
      duelo augment-gain runs/small --real small.npz --test rest.npz --soft --balance --repeats 5
      duelo augment-gain runs/gunpoint --real small.npz --test rest.npz
      duelo augment-gain runs/adult --real train.csv --test test.csv --target income --class '>50K'
    """
    from duelo.evaluation.augment_gain import describe
    from duelo.io.atomic import atomic_write_json

    if (per_class is not None and per_class < 1) or repeats < 1:
        raise ConfigError("--per-class and --repeats must be at least 1")
    if not 0 <= threshold < 1:
        raise ConfigError(f"--filter {threshold:g}: give a probability in [0, 1) (0 keeps every synthetic image)")
    if not run_or_model.exists():
        raise ConfigError(f"{run_or_model}: no such run or model folder")
    name = next((name for name in KINDS.names() if KINDS.get(name).accepts(run_or_model)), None)
    if name is None:
        raise ConfigError(f"{run_or_model} holds no model that draws labelled samples ({', '.join(KINDS.names())}); "
                          f"give the run folder of a class-conditional image or time-series GAN, or of a table "
                          f"model (or its model/ folder)")
    kind = KINDS.get(name)
    if name != "tables" and (target or label):
        raise ConfigError(f"--target and --class are for table models; {run_or_model} holds {kind.unit}")
    if not kind.selects and (threshold or balance or pretrain or soft):
        raise ConfigError(f"--filter, --balance, --pretrain and --soft are for image and time-series models; "
                          f"{run_or_model} holds {kind.unit}")
    options = {"real_spec": real_spec, "test_spec": test_spec, "target": target, "label": label,
               "per_class": kind.default_per_class if per_class is None else per_class, "repeats": repeats,
               "seed": seed, "filter": threshold, "balance": balance, "pretrain": pretrain,
               "soft": soft}
    result = kind.measure(run_or_model, options, lambda text: click.echo(text, err=True))
    result = {"kind": name, "run": str(run_or_model), "real": real_spec, "test": test_spec,
              "per_class": options["per_class"], **result}
    click.echo(describe(result, kind.unit))
    if out_file is not None:
        atomic_write_json(out_file, result)
