"""Divergence: when a loss or weight turns NaN/Inf, go back to the last good state with lower learning
rates and try again, a bounded number of times; then stop with a clear error. Nothing non-finite is
ever written (the trainer checks every state before a checkpoint), so "the last good state" is the
latest checkpoint, or the run's starting state kept in memory when none exists yet.
"""

from __future__ import annotations

from typing import Callable

from duelo.errors import NonFiniteError
from duelo.health.detectors import Event


class Rollback:
    def __init__(self, trainer, checkpoints_dir, health_log, after_restore: Callable[[int], None],
                 max_rollbacks: int, lr_factor: float, log: Callable[[str], None], advice: str = ""):
        from duelo.training.checkpoint import list_checkpoints

        self.trainer = trainer
        self.checkpoints_dir = checkpoints_dir
        self.health_log = health_log
        self.after_restore = after_restore        # cut metrics/eval/health files to the restored position
        self.max_rollbacks = max_rollbacks
        self.lr_factor = lr_factor
        self.log = log
        self.advice = advice                      # the task's suggestions for a set-up that keeps diverging
        self.attempts = 0
        # never goes back up, even when an older checkpoint had more (e.g. a re-run after giving up)
        earlier = [r["evidence"]["lr_scale"] for r in health_log.records()
                   if r.get("event") == "rollback" and "lr_scale" in r.get("evidence", {})]
        self.lr_scale = min([trainer.lr_scale, *earlier])
        if trainer.runtime.world_size > 1:       # only the main process keeps the health log: agree on its value
            self.lr_scale = trainer.runtime.min_across(self.lr_scale)
        if self.lr_scale < trainer.lr_scale:       # killed after a rollback, before its next checkpoint
            trainer.scale_learning_rates(self.lr_scale)
        self._start = None
        if not list_checkpoints(checkpoints_dir):         # a fresh run: keep where it started (on the host)
            tensors, meta = trainer.state({})
            self._start = ({k: v.detach().to("cpu", copy=True) for k, v in tensors.items()}, meta)

    def __call__(self, error: NonFiniteError) -> None:
        """Handle one divergence: restore and lower the rates, or raise when out of attempts."""
        from duelo.training.checkpoint import load_latest

        trainer = self.trainer
        failed_nimg = trainer.counters.nimg
        self.attempts += 1
        self.health_log.event(Event("divergence", "error", f"divergence: {error}",
                                    "roll back to the last good state with lower learning rates", applied=True,
                                    evidence={"attempt": self.attempts, "lr_scale": self.lr_scale}), failed_nimg)
        if self.attempts > self.max_rollbacks:
            advice = ", ".join([*([self.advice] if self.advice else []), "lower learning rates (--g-lr, --d-lr)",
                                "or --precision fp32"])
            message = (f"training diverged {self.attempts} times (the last at {failed_nimg / 1000:.1f} kimg: "
                       f"{error}); rolled back {self.max_rollbacks} times with learning rates down to "
                       f"x{self.lr_scale:g}, and gave up. Every checkpoint on disk is finite. Try a more stable "
                       f"set-up: {advice}")
            self.health_log.event(Event("gave_up", "error", message, "none left", evidence={
                "attempts": self.attempts}), failed_nimg)
            raise NonFiniteError(message) from None
        checkpoint = load_latest(self.checkpoints_dir, lambda found: trainer.load_state(found.tensors, found.meta),
                                 warn=self.log)
        if checkpoint is not None or self._start is None:
            if checkpoint is None:
                raise NonFiniteError(f"{error}; no good state to roll back to (no checkpoint)") from None
            source = checkpoint.path.name
        else:
            tensors, meta = self._start
            trainer.load_state({k: v.clone() for k, v in tensors.items()}, meta)
            source = "the starting state"
        self.lr_scale *= self.lr_factor
        trainer.scale_learning_rates(self.lr_scale)
        self.after_restore(trainer.counters.nimg)
        note = (f"rolled back to {source} ({trainer.counters.nimg / 1000:.1f} kimg) after divergence at "
                f"{failed_nimg / 1000:.1f} kimg; learning rates now x{self.lr_scale:g} of the configured ones "
                f"(attempt {self.attempts} of {self.max_rollbacks})")
        self.health_log.event(Event("rollback", "warning", note, "lower learning rates", applied=True,
                                    evidence={"attempt": self.attempts, "lr_scale": self.lr_scale,
                                              "restored_nimg": trainer.counters.nimg, "failed_nimg": failed_nimg}),
                              trainer.counters.nimg)
        self.log(f"health: {error}")
        self.log(f"health: {note}")
