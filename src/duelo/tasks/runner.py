"""Train any task: the one composition of a task's parts with the shared trainer, run folder and loop.

    summary = train(task_config("toy", {"toy.mixture": "grid"}))

Order matters and is the same for every task: the configuration is checked, the data loaded (bad input
fails here, before anything is written), every random generator seeded, the task's parts built, the trainer
made; only then is the run folder locked and prepared, and the loop resumes from the newest checkpoint.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from duelo.config import Config
from duelo.errors import ConfigError
from duelo.tasks.base import Session, Task, run_folder
from duelo.tasks.registry import TASKS


def seed_everything(seed: int) -> None:
    """Seed torch, NumPy and Python's global generators: a run is a function of its config alone."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def process_batch(config: Config, world_size: int) -> int:
    """Samples per step in this process: train.batch is the global batch, split over the processes."""
    batch, rounds = config.train.batch, config.train.accum_rounds
    if batch % (world_size * rounds):
        raise ConfigError(f"train.batch {batch} must split evenly over {world_size} process(es) x {rounds} "
                          f"accumulation round(s); use a multiple of {world_size * rounds}")
    return batch // world_size


def build_session(config: Config, stream=None, live_progress: bool | None = None, data: Any = None) -> Session:
    """Everything one run needs, nothing written yet. `data` skips loading (a caller that has it in memory,
    e.g. TabularGAN.fit with a DataFrame)."""
    from duelo.health.monitor import HealthLog
    from duelo.training.progress import Progress
    from duelo.training.run_dir import RunDir
    from duelo.training.runtime import Runtime
    from duelo.training.trainer import Trainer, TrainerSettings

    started = time.perf_counter()
    task: Task = TASKS.get(config.task)
    config = task.check(config)
    if config.run.loggers:
        from duelo.training.loggers import check_available

        check_available(config.run.loggers)                  # a missing package stops the run before any work
    stream = stream or sys.stderr
    runtime = Runtime.create(config.train.device, config.train.precision, config.train.cuda_graph,
                             auto_precision=task.auto_precision)
    task.check_runtime(config, runtime)
    run_dir = RunDir(run_folder(config, task))               # written only by train(): bad input writes nothing
    if runtime.is_main:
        run_dir.check_target()                  # a folder that is no run's is refused before any work
    batch = process_batch(config, runtime.world_size)
    progress = Progress(config.train.total_kimg, stream=stream if runtime.is_main else open(os.devnull, "w"),
                        live=live_progress, unit=task.sample_unit)
    log = progress.message
    if data is None:
        data = task.load_data(config, runtime, log)
    seed_everything(config.train.seed)                       # deterministic initial weights; every RNG seeded
    parts = task.build(config, data, runtime)
    if runtime.world_size > 1:
        from duelo.training.distributed import check_replicas

        check_replicas({name: p.module for name, p in parts.players.items()}, runtime.device)
    settings = TrainerSettings(batch=batch, accum_rounds=config.train.accum_rounds,
                               ema_halflife_kimg=config.train.ema_halflife_kimg, ema_rampup=config.train.ema_rampup)
    trainer = Trainer(parts.objective, parts.players, parts.feed, runtime, settings, seed=config.train.seed)
    trainer.schedules.extend(parts.schedules)
    if not runtime.is_main:
        run_dir = worker_run_dir(run_dir, runtime.rank)
    return Session(config, task, data, parts, trainer, run_dir, progress, HealthLog(run_dir), log, started)


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


def train(config: Config, stream=None, live_progress: bool | None = None, data: Any = None,
          interim: Any = None) -> dict[str, Any]:
    """Train (or resume) the run `config` describes; return the summary written to summary.json. `interim`:
    summaries at marks before the end (duelo.tasks.interim.InterimSummaries)."""
    from duelo.tasks.loop import run_loop

    session = build_session(config, stream, live_progress, data)
    hooks = session.task.hooks(session)          # built before anything is written: they may refuse the config
    with session.run_dir.lock():
        session.run_dir.prepare(session.config, upgrade=session.task.upgrade_previous,
                                baseline=session.task.default_config())
        session.task.start(session)
        _note_capacity(session)
        return run_loop(session, session.task.snapshots(session), hooks, interim)


def _note_capacity(session: Session) -> None:
    """Log G's and D's sizes (a G/D pair's, where the task has one) and record them once in health.jsonl."""
    players = session.parts.players
    if "G" not in players or "D" not in players:
        return
    from duelo.health.detectors import capacity_event

    counts = [sum(p.numel() for p in players[name].module.parameters()) for name in ("G", "D")]
    event = capacity_event(*counts)
    session.log(("warning: " if event.severity == "warning" else "") + event.message +
                (f". Try: {event.remedy}" if event.remedy else ""))
    if session.config.health.enabled and session.trainer.runtime.is_main \
            and not session.health_log.has_event("capacity"):
        session.health_log.event(event, 0)
