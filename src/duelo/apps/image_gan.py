"""Image synthesis, unconditional or class-conditional: composes a dataset, registered models, an
objective and the trainer, and writes the run folder. No training mechanics live here."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from duelo.apps import TASKS
from duelo.config import Config
from duelo.errors import ConfigError, Interrupted


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
    runtime = Runtime.create(config.train.device, config.train.precision)
    dataset = load_dataset(config.data.dataset, resolution=config.data.resolution, channels=config.data.channels,
                           resize=config.data.resize, bad_files=config.data.bad_files)
    if config.model.conditional and dataset.labels is None:
        raise ConfigError(f"--conditional needs labels, but {config.data.dataset} has none; put images in one "
                          f"sub-folder per class (or add 'labels' to the .npz), or train unconditionally")
    health = config.health
    per_round = config.train.batch // config.train.accum_rounds
    split = split_heldout(dataset.images, dataset.labels, health.heldout_fraction if health.enabled else 0.0,
                          health.heldout_max, batch=per_round)
    feed = BatchFeed(split.train_images, split.train_labels, per_round, config.train.seed, runtime.device)
    seed_everything(config.train.seed)                       # deterministic initial weights; every RNG seeded
    parts = assemble(config, len(split.train_images), dataset.resolution, dataset.channels, dataset.num_classes,
                     feed.labels, runtime.device)
    settings = TrainerSettings(batch=config.train.batch, accum_rounds=config.train.accum_rounds,
                               ema_halflife_kimg=config.train.ema_halflife_kimg,
                               ema_rampup=config.train.ema_rampup)
    trainer = Trainer(parts.objective, parts.G, parts.D, parts.optimizers, feed, runtime, settings,
                      seed=config.train.seed)
    trainer.schedules.extend(parts.schedules)
    run_dir = RunDir(Path(config.run.out) / config.run_name)   # written only by train(): bad input writes nothing
    progress = Progress(config.train.total_kimg, stream=stream, live=live_progress)
    return Session(config, run_dir, trainer, dataset, progress, progress.message, split, parts.augment)


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
    from duelo.apps.snapshots import MetricsLogger, SnapshotWriter
    from duelo.errors import NonFiniteError
    from duelo.health.monitor import HealthLog
    from duelo.health.rollback import Rollback
    from duelo.io.atomic import atomic_write_json
    from duelo.training.checkpoint import latest_checkpoint, remove_stale_temp

    config = session.config
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
    for schedule in trainer.schedules:
        if hasattr(schedule, "describe"):
            log(schedule.describe(session.dataset.resolution))

    remove_stale_temp(run_dir.checkpoints)
    checkpoint = latest_checkpoint(run_dir.checkpoints, warn=log)
    if checkpoint is not None:
        trainer.load_state(checkpoint.tensors, checkpoint.meta)
        log(f"resuming from {checkpoint.path.name} at {trainer.counters.nimg / 1000:.1f} kimg")

    total_nimg = int(round(config.train.total_kimg * 1000))
    snapshots = SnapshotWriter(session)
    logger = MetricsLogger(session)
    monitor = _health_monitor(session, health_log)
    hooks = [(int(config.run.log_kimg * 1000), logger)]
    if periodic is not None:
        hooks.append((int(config.run.eval_kimg * 1000), periodic))
    if monitor is not None:
        hooks.append((int((config.health.every_kimg or config.run.snapshot_kimg) * 1000), monitor))
    # the checkpoint comes last among hooks due together: a crash after it never skips their work on resume
    hooks.append((int(config.run.snapshot_kimg * 1000), snapshots))

    def restored(nimg: int) -> None:           # files cut back to the state training continues from
        run_dir.truncate_metrics(nimg)
        logger.restart(nimg)
        if periodic is not None:
            periodic.truncate(nimg)
        if monitor is not None:
            monitor.resume(nimg)
        else:
            health_log.truncate(nimg)

    budget = TimeBudget(config.train.max_minutes, trainer)

    def stopped(trainer) -> None:
        if budget.spent() and not signal_stop():
            log(f"time budget of {config.train.max_minutes:g} min reached at {trainer.counters.nimg / 1000:.1f} "
                f"kimg; writing the final snapshot")
            logger(trainer)                    # the summary's final metrics are this interval's
            if snapshots.written_nimg != trainer.counters.nimg:    # unless the due snapshot just ran
                snapshots(trainer)             # checkpoint, model and grid; then the run finishes normally
            return
        path = snapshots.checkpoint(trainer)
        raise Interrupted(f"stopped at {trainer.counters.nimg / 1000:.1f} kimg; wrote {path.name}. "
                          f"Re-run the same command to resume.")

    restored(trainer.counters.nimg)
    rollback = Rollback(trainer, run_dir.checkpoints, health_log, restored, config.health.max_rollbacks,
                        config.health.rollback_lr_factor, log)
    try:
        if trainer.counters.nimg < total_nimg and not budget.spent():
            with stop_on_signals() as signal_stop:
                budget.start()
                while True:
                    try:
                        trainer.fit(total_nimg, every=hooks, on_stop=stopped,
                                    stop_requested=lambda: signal_stop() or budget.spent())
                        break
                    except NonFiniteError as error:
                        rollback(error)            # restores a good state, or raises when out of attempts
                        # the deadline stays: the time lost to the divergence is not given back
        else:
            log(f"training already reached {'its time budget' if budget.spent() else 'total_kimg'}; "
                f"writing the summary")
            snapshots.ensure_model()
    finally:
        session.progress.close()
    summary = snapshots.summary(logger.last)
    if budget.spent() and trainer.counters.nimg < total_nimg:
        summary["stopped_by"] = f"time budget ({config.train.max_minutes:g} min)"
    run_dir.write_summary(summary)
    return summary


class TimeBudget:
    """train.max_minutes: training time (the run's elapsed_s, summed over resumes) after which the run stops
    and finishes normally. Checked between iterations with the host clock alone (no device sync)."""

    def __init__(self, minutes: float | None, trainer):
        self.seconds = None if minutes is None else minutes * 60.0
        self.trainer = trainer
        self.deadline = float("inf")

    def start(self) -> None:
        if self.seconds is not None:
            self.deadline = time.perf_counter() + self.seconds - self.trainer.counters.elapsed_s

    def spent(self) -> bool:
        if self.seconds is None:
            return False
        return self.trainer.counters.elapsed_s >= self.seconds or time.perf_counter() >= self.deadline


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


@contextlib.contextmanager
def stop_on_signals(signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)):
    """Turn the first Ctrl-C / SIGTERM into a polite request (checkpoint at the next iteration boundary);
    a second one interrupts at once. Yields the flag's reader. Outside the main thread it does nothing."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return
    previous = {number: signal.getsignal(number) for number in signals}

    def handle(number, frame):
        requested.set()
        for other, handler in previous.items():   # the next signal acts at once
            signal.signal(other, handler)
        print(f"\n{signal.Signals(number).name}: finishing this iteration and writing a checkpoint "
              f"(send it again to stop at once)", file=sys.stderr, flush=True)

    for number in signals:
        signal.signal(number, handle)
    try:
        yield requested.is_set
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
