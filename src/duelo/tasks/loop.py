"""The training loop around the trainer, shared by every task: resume from the latest checkpoint, periodic
hooks (metrics lines, the task's health checks and evaluation, snapshots), Ctrl-C and time-budget stops,
divergence rollback, and the final summary. What a snapshot and a summary hold is the task's (its
Snapshots, duelo.training.protocols); the loop reads a session (duelo.tasks.base.Session) and knows no task.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from typing import Any

from duelo.errors import Interrupted
from duelo.training.signals import interrupt_long_work


def run_loop(session, snapshots, hooks=(), interim=None) -> dict[str, Any]:
    """Train the session's run to its end (or a stop) and write summary.json; `hooks` are the task's extra
    periodic work (duelo.training.protocols.Hook), run before the snapshot when both are due; `interim`
    (duelo.tasks.interim.InterimSummaries) computes summaries at marks before the end, after the snapshot. The
    run's loggers (run.loggers) mirror what the run folder records, from the main process only."""
    mirror = open_mirror(session)
    try:
        summary = _train(session, snapshots, hooks, mirror, interim)
        mirror.summary(session.trainer.counters.nimg, summary)
        return summary
    finally:
        mirror.close()
        if mirror in session.run_dir.watchers:
            session.run_dir.watchers.remove(mirror)


def open_mirror(session):
    """The loggers of run.loggers (duelo.training.loggers), told of every record and snapshot file the run
    folder gets; none on the other processes of a data-parallel run."""
    from duelo.training.loggers.mirror import RunMirror

    run = session.config.run
    mirror = RunMirror.open(session.run_dir.path, run.loggers if session.trainer.runtime.is_main else (),
                            session.config.to_dict(), session.log, players=session.parts.players,
                            histograms=run.log_histograms)
    if mirror:
        session.run_dir.watchers.append(mirror)
    return mirror


def _train(session, snapshots, hooks, mirror, interim=None) -> dict[str, Any]:
    from duelo.errors import NonFiniteError
    from duelo.health.rollback import Rollback
    from duelo.training.checkpoint import load_latest, remove_stale_temp
    from duelo.training.metrics_log import MetricsLogger

    config = session.config
    run_dir, trainer, log, health_log = session.run_dir, session.trainer, session.log, session.health_log
    for schedule in trainer.schedules:
        log(schedule.describe())

    if trainer.runtime.is_main:
        remove_stale_temp(run_dir.checkpoints)
        run_dir.clean_leftovers()
    trainer.runtime.barrier()                 # the other processes read what the main one prepared

    def resume(checkpoint) -> None:
        check_belongs(session, checkpoint)
        trainer.load_state(checkpoint.tensors, checkpoint.meta)

    checkpoint = load_latest(run_dir.checkpoints, resume, warn=log)
    if checkpoint is not None:
        log(f"resuming from {checkpoint.path.name} at {trainer.counters.nimg / 1000:.1f} kimg")
        if trainer.runtime.is_main:
            snapshots.restore(trainer, checkpoint)   # the model and samples of this state, if missing or stale

    total_nimg = int(round(config.train.total_kimg * 1000))
    logger = MetricsLogger(session)
    periodic = [logger, *hooks]
    every = [(hook.period_nimg, hook) for hook in periodic]
    # the checkpoint comes last among hooks due together: a crash after it never skips their work on resume
    every.append((int(round(config.run.snapshot_kimg * 1000)), snapshots))
    if interim is not None:                    # after the snapshot: a mark that coincides with one reads it
        periodic.append(interim.attach(snapshots, logger, run_dir, total_nimg))
        every.append((interim.period_nimg, interim))

    def restored(nimg: int) -> None:           # files cut back to the state training continues from
        run_dir.truncate_metrics(nimg)
        health_log.truncate(nimg)
        for hook in periodic:
            hook.restart(nimg)
        mirror.restart(nimg)                   # last: the hooks cut their own files (eval.jsonl) first

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
                        config.health.rollback_lr_factor, log,
                        advice=session.task.advise("gave_up", config).text)
    try:
        if trainer.counters.nimg < total_nimg and not budget.spent():
            # under torchrun a SIGTERM means another process failed: no checkpoint can be gathered then, so it
            # ends the process at once and the restarted processes resume from the last checkpoint
            polite = (signal.SIGINT,) if trainer.runtime.world_size > 1 else (signal.SIGINT, signal.SIGTERM)
            with stop_on_signals(polite) as signal_stop:
                budget.start()
                while True:
                    try:
                        trainer.fit(total_nimg, every=every, on_stop=stopped,
                                    stop_requested=lambda: signal_stop() or budget.spent())
                        break
                    except NonFiniteError as error:
                        rollback(error)            # restores a good state, or raises when out of attempts
                        # the deadline stays: the time lost to the divergence is not given back
        else:
            log(f"training already reached {'its time budget' if budget.spent() else 'total_kimg'}; "
                f"writing the summary")
            # stopped by Ctrl-C past the new end (a shorter --kimg, a spent budget): the final state's model and
            # samples were never written
            ctrl_c = checkpoint is not None and not checkpoint.meta.get("snapshot")
            missing = ctrl_c and not snapshots.derived_from(checkpoint)
            trainer.runtime.barrier()          # every process decides before the main one writes anything
            if missing:
                snapshots(trainer)
    finally:
        session.progress.close()
    if trainer.counters.iteration:
        log(f"step: {trainer.step_mode()}")
    summary = snapshots.summary(logger.last)
    if trainer.first_step_at is not None and session.started:
        # time to the first iteration: loading the data, building, warming up (and restoring, on a resume)
        summary["startup_s"] = round(trainer.first_step_at - session.started, 2)
        log(f"the first iteration ended {summary['startup_s']:.1f} s after the start (data, models, warm-up)")
    if budget.spent() and trainer.counters.nimg < total_nimg:
        summary["stopped_by"] = f"time budget ({config.train.max_minutes:g} min)"
    run_dir.write_summary(summary)
    return summary


def check_belongs(session, checkpoint) -> None:
    """An intact checkpoint of another run (copied in, another seed) is refused, never resumed silently."""
    from duelo.errors import CheckpointError

    saved = checkpoint.meta.get("config")
    if not isinstance(saved, dict):
        return                                 # written without its configuration (older duelo): nothing to compare
    task = session.task
    changes = session.config.differences(task.upgrade_previous(saved), task.default_config())
    if changes:
        raise CheckpointError(f"{checkpoint.path} was written by a run with another configuration "
                              f"({'; '.join(changes[:3])}{' ...' if len(changes) > 3 else ''}): it does not belong "
                              f"to this run folder. Move it away (the run then resumes from an older checkpoint "
                              f"or starts over), or train in a new run folder (--name NEW_NAME or another --out)")


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
        interrupt_long_work()          # an evaluation in progress stops at once

    for number in signals:
        signal.signal(number, handle)
    try:
        yield requested.is_set
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
