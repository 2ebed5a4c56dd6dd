"""Image synthesis, unconditional or class-conditional: composes a dataset, registered models, an
objective and the trainer, and writes the run folder. No training mechanics live here."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from duelo.apps import TASKS
from duelo.config import Config
from duelo.errors import ConfigError


@dataclass
class Session:
    """What one call of `train` builds; tests and benchmarks reach into it."""

    config: Config
    run_dir: Any
    trainer: Any
    dataset: Any
    progress: Any
    log: Callable[[str], None]
    split: Any = None            # duelo.health.heldout.Split: training and held-out real images
    augment: Any = None          # duelo.augment.choice.AugmentChoice: the data-size check's outcome


def seed_everything(seed: int) -> None:
    """Seed torch, NumPy and Python's global generators: a run is a function of its config alone."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_session(config: Config, stream=None, live_progress: bool | None = None) -> Session:
    from duelo.apps.assemble import assemble
    from duelo.data import load_dataset
    from duelo.health.heldout import split_heldout
    from duelo.losses import LOSSES
    from duelo.training.feed import BatchFeed
    from duelo.training.progress import Progress
    from duelo.training.run_dir import RunDir
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    stream = stream or sys.stderr
    LOSSES.get(config.loss.name)                             # fail fast on names before any work
    from duelo.apps.image2image import changed_fields

    if changed_fields(config):
        raise ConfigError(f"{', '.join('image2image.' + f for f in changed_fields(config))} (--source, --degrade) "
                          f"belong to the image-to-image tasks; add --task translate|inpaint|denoise|superres|"
                          f"cyclegan, or leave them out")
    runtime = Runtime.create(config.train.device, config.train.precision, config.train.cuda_graph)
    dataset = load_dataset(config.data.dataset, resolution=config.data.resolution, channels=config.data.channels,
                           resize=config.data.resize, bad_files=config.data.bad_files)
    if config.model.conditional and dataset.labels is None:
        raise ConfigError(f"--conditional needs labels, but {config.data.dataset} has none; put images in one "
                          f"sub-folder per class (or add 'labels' to the .npz), or train unconditionally")
    health = config.health
    per_round = process_batch(config, runtime.world_size) // config.train.accum_rounds
    split = split_heldout(dataset.images, dataset.labels, health.heldout_fraction if health.enabled else 0.0,
                          health.heldout_max, batch=per_round * runtime.world_size)
    feed = BatchFeed(split.train_images, split.train_labels, per_round, config.train.seed, runtime.device,
                     rank=runtime.rank, world_size=runtime.world_size)
    seed_everything(config.train.seed)                       # deterministic initial weights; every RNG seeded
    parts = assemble(config, len(split.train_images), dataset.resolution, dataset.channels, dataset.num_classes,
                     feed.labels, runtime.device)
    if runtime.world_size > 1:
        from duelo.training.distributed import check_replicas

        check_replicas({"G": parts.G, "D": parts.D}, runtime.device)
    settings = TrainerSettings(batch=process_batch(config, runtime.world_size), accum_rounds=config.train.accum_rounds,
                               ema_halflife_kimg=config.train.ema_halflife_kimg,
                               ema_rampup=config.train.ema_rampup)
    trainer = Trainer(parts.objective, parts.G, parts.D, parts.optimizers, feed, runtime, settings,
                      seed=config.train.seed)
    trainer.schedules.extend(parts.schedules)
    run_dir = RunDir(Path(config.run.out) / config.run_name)   # written only by train(): bad input writes nothing
    if not runtime.is_main:
        run_dir, stream = worker_run_dir(run_dir, runtime.rank), open(os.devnull, "w")
    progress = Progress(config.train.total_kimg, stream=stream, live=live_progress)
    return Session(config, run_dir, trainer, dataset, progress, progress.message, split, parts.augment)


def process_batch(config: Config, world_size: int) -> int:
    """Images per step in this process: train.batch is the global batch, split over the processes."""
    batch, rounds = config.train.batch, config.train.accum_rounds
    if batch % (world_size * rounds):
        raise ConfigError(f"train.batch {batch} must split evenly over {world_size} process(es) x {rounds} "
                          f"accumulation round(s); use a multiple of {world_size * rounds}")
    return batch // world_size


def worker_run_dir(main: Any, rank: int) -> Any:
    """The run folder of a process other than the main one: its files (metrics, grids, logs) go to a scratch
    folder that nobody reads, while checkpoints are read from the main process's folder (only the main
    process writes them), so every process resumes and rolls back to the same state."""
    import atexit
    import shutil
    import tempfile

    from duelo.training.run_dir import RunDir

    scratch = Path(tempfile.mkdtemp(prefix=f"duelo-rank{rank}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return RunDir(scratch / main.path.name, checkpoints_from=main.checkpoints)


@TASKS.register("image-gan")
def train(config: Config, stream=None, live_progress: bool | None = None) -> dict[str, Any]:
    """Train (or resume) the run described by `config`; return the summary written to summary.json."""
    config = with_legacy_sections(config, Path(config.run.out) / config.run_name / "config.json")
    session = build_session(config, stream, live_progress)
    periodic = None
    if config.run.eval_kimg is not None:            # checked before anything is written
        from duelo.apps.periodic_eval import PeriodicEval

        periodic = PeriodicEval(session)
    with session.run_dir.lock():
        session.run_dir.prepare(config.to_dict())
        return _train_locked(session, periodic)


def _train_locked(session: Session, periodic=None) -> dict[str, Any]:
    from duelo.apps.loop import run_loop
    from duelo.apps.snapshots import SnapshotWriter
    from duelo.health.monitor import HealthLog
    from duelo.io.atomic import atomic_write_json

    run_dir, trainer, log = session.run_dir, session.trainer, session.log
    atomic_write_json(run_dir.data_report_path, session.dataset.report.to_dict())
    skipped = len(session.dataset.report.skipped)
    if skipped:
        log(f"note: {skipped} unreadable file(s) skipped; see {run_dir.data_report_path}")
    held = session.split.heldout_images
    log(f"run folder {run_dir.path} | {len(session.dataset)} images "
        f"{session.dataset.channels}x{session.dataset.resolution}x{session.dataset.resolution}"
        f"{f' ({len(held)} held out for the health monitor)' if held is not None else ''} | "
        f"{trainer.runtime.describe()}")
    health_log = HealthLog(run_dir)
    _announce_data_size(session, health_log)
    return run_loop(session, SnapshotWriter(session), health_log, periodic=periodic,
                    monitor=_health_monitor(session, health_log))


def with_legacy_sections(config: Config, previous_path: Path) -> Config:
    """A run folder written before the augmentation and health sections existed trained without augmentation
    and without a held-out split: resume it that way instead of refusing it as a changed experiment."""
    import json

    try:
        previous = json.loads(previous_path.read_text())
    except (OSError, ValueError):
        return config                      # no folder yet, or RunDir.prepare reports the damaged file
    overrides: dict[str, Any] = {}
    if "augment" not in previous and config.augment.name == "auto":
        overrides["augment.name"] = "none"
    if "health" not in previous and config.health.enabled:
        overrides["health.enabled"] = False
    return config.with_overrides(overrides) if overrides else config


def _announce_data_size(session: Session, health_log) -> None:
    """The data-size check's verdict: in the log every time, in health.jsonl once per run."""
    from duelo.health.detectors import Event

    choice = session.augment
    session.log(f"data: {choice.message}")
    if choice.small and not health_log.has_event("small_dataset"):
        health_log.event(Event("small_dataset", "info", choice.message,
                               f"augmentation {choice.name}", applied=choice.name != "none",
                               evidence={"images": len(session.split.train_images),
                                         "resolution": session.dataset.resolution}), 0)


def _health_monitor(session: Session, health_log):
    from duelo.health.monitor import HealthMonitor, probe_data

    if not session.config.health.enabled:
        return None
    return HealthMonitor(session.config, health_log, probe_data(session.dataset, session.split, session.log),
                         session.log)
