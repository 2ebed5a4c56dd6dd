"""Image synthesis, unconditional or class-conditional: composes a dataset, registered models, an
objective and the trainer, and writes the run folder. No training mechanics live here."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
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


def model_kwargs(config: Config, dataset) -> tuple[dict[str, Any], dict[str, Any]]:
    common = {"resolution": dataset.resolution, "channels": dataset.channels,
              "c_dim": dataset.num_classes if config.model.conditional else 0}
    if config.model.width is not None:
        common["width"] = config.model.width
    g_kwargs = {**common, **({"z_dim": config.model.z_dim} if config.model.z_dim else {}), **config.model.g_kwargs}
    d_kwargs = {**common, **config.model.d_kwargs}
    return g_kwargs, d_kwargs


def seed_everything(seed: int) -> None:
    """Seed torch, NumPy and Python's global generators: a run is a function of its config alone."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_session(config: Config, stream=None, live_progress: bool | None = None) -> Session:
    from duelo.data import load_dataset
    from duelo.losses import LOSSES
    from duelo.losses.objective import ImageGANObjective
    from duelo.models import build_discriminator, build_generator
    from duelo.training.feed import BatchFeed
    from duelo.training.progress import Progress
    from duelo.training.run_dir import RunDir
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    stream = stream or sys.stderr
    loss = LOSSES.get(config.loss.name)                      # fail fast on names before any work
    runtime = Runtime.create(config.train.device, config.train.precision)
    dataset = load_dataset(config.data.dataset, resolution=config.data.resolution, channels=config.data.channels,
                           resize=config.data.resize, bad_files=config.data.bad_files)
    if config.model.conditional and dataset.labels is None:
        raise ConfigError(f"--conditional needs labels, but {config.data.dataset} has none; put images in one "
                          f"sub-folder per class (or add 'labels' to the .npz), or train unconditionally")
    seed_everything(config.train.seed)                       # deterministic initial weights; every RNG seeded
    g_kwargs, d_kwargs = model_kwargs(config, dataset)
    G = build_generator(config.model.name, **g_kwargs).to(runtime.device)
    D = build_discriminator(config.model.name, **d_kwargs).to(runtime.device)
    betas = (config.optim.beta1, config.optim.beta2)
    optimizers = {"G": torch.optim.Adam(G.parameters(), lr=config.optim.g_lr, betas=betas),
                  "D": torch.optim.Adam(D.parameters(), lr=config.optim.d_lr, betas=betas)}
    per_round = config.train.batch // config.train.accum_rounds
    feed = BatchFeed(dataset.images, dataset.labels, per_round, config.train.seed, runtime.device)
    gp_weight = loss.gp_weight if config.loss.gp_weight is None else config.loss.gp_weight
    objective = ImageGANObjective(G, D, loss, gp_weight=gp_weight, d_steps=config.train.d_steps,
                                  label_pool=feed.labels)
    settings = TrainerSettings(batch=config.train.batch, accum_rounds=config.train.accum_rounds,
                               ema_halflife_kimg=config.train.ema_halflife_kimg,
                               ema_rampup=config.train.ema_rampup)
    trainer = Trainer(objective, G, D, optimizers, feed, runtime, settings, seed=config.train.seed)
    check_pairing(G, D, objective)
    run_dir = RunDir(Path(config.run.out) / config.run_name)   # written only by train(): bad input writes nothing
    progress = Progress(config.train.total_kimg, stream=stream, live=live_progress)
    return Session(config, run_dir, trainer, dataset, progress, progress.message)


def check_pairing(G: torch.nn.Module, D: torch.nn.Module, objective) -> None:
    """Refuse configurations that would fail or silently mislead at step 1, before anything is written."""
    from torch.nn.modules.batchnorm import _BatchNorm

    if objective.gp_weight > 0 and any(isinstance(m, _BatchNorm) for m in D.modules()):
        raise ConfigError("the gradient penalty (WGAN-GP) needs a discriminator without batch norm, which mixes "
                          "the samples of a batch; add --set model.d_kwargs='{\"norm\": \"none\"}' or use "
                          "--preset wgan-gp")
    generator = torch.Generator(device=next(G.parameters()).device).manual_seed(0)
    z, labels = objective.sample_generator_inputs(2, generator)
    was = G.training, D.training
    G.eval(), D.eval()
    with torch.no_grad():
        images = G(z, labels)
        logits = D(images, labels)
    G.train(was[0]), D.train(was[1])
    if logits.shape != (2,):
        raise ConfigError(f"the discriminator returned logits of shape {tuple(logits.shape)} for 2 images of "
                          f"shape {tuple(images.shape[1:])}; G and D do not fit together")


@TASKS.register("image-gan")
def train(config: Config, stream=None, live_progress: bool | None = None) -> dict[str, Any]:
    """Train (or resume) the run described by `config`; return the summary written to summary.json."""
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
    from duelo.io.atomic import atomic_write_json
    from duelo.training.checkpoint import latest_checkpoint, remove_stale_temp

    config = session.config
    run_dir, trainer, log = session.run_dir, session.trainer, session.log
    atomic_write_json(run_dir.data_report_path, session.dataset.report.to_dict())
    skipped = len(session.dataset.report.skipped)
    if skipped:
        log(f"note: {skipped} unreadable file(s) skipped; see {run_dir.data_report_path}")
    log(f"run folder {run_dir.path} | {len(session.dataset)} images "
        f"{session.dataset.channels}x{session.dataset.resolution}x{session.dataset.resolution} | "
        f"{trainer.runtime.describe()}")

    remove_stale_temp(run_dir.checkpoints)
    checkpoint = latest_checkpoint(run_dir.checkpoints, warn=log)
    if checkpoint is not None:
        trainer.load_state(checkpoint.tensors, checkpoint.meta)
        run_dir.truncate_metrics(trainer.counters.nimg)
        log(f"resuming from {checkpoint.path.name} at {trainer.counters.nimg / 1000:.1f} kimg")

    total_nimg = int(round(config.train.total_kimg * 1000))
    snapshots = SnapshotWriter(session)
    logger = MetricsLogger(session)
    hooks = [(int(config.run.log_kimg * 1000), logger)]
    if periodic is not None:
        periodic.truncate(trainer.counters.nimg)
        hooks.append((int(config.run.eval_kimg * 1000), periodic))
    # the checkpoint comes last among hooks due together: a crash after it never skips their work on resume
    hooks.append((int(config.run.snapshot_kimg * 1000), snapshots))
    def stopped(trainer) -> None:
        path = snapshots.checkpoint(trainer)
        raise Interrupted(f"stopped at {trainer.counters.nimg / 1000:.1f} kimg; wrote {path.name}. "
                          f"Re-run the same command to resume.")

    try:
        if trainer.counters.nimg < total_nimg:
            with stop_on_signals() as stop_requested:
                trainer.fit(total_nimg, every=hooks, stop_requested=stop_requested, on_stop=stopped)
        else:
            log("training already reached total_kimg; writing the summary")
            snapshots.ensure_model()
    finally:
        session.progress.close()
    summary = snapshots.summary(logger.last)
    run_dir.write_summary(summary)
    return summary


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
