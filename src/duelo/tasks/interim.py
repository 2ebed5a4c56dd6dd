"""Summaries before a run's end: at each of a list of kimg marks (a search's rungs, duelo.tasks.tuning) the run
writes its snapshot (unless one was just written), computes the summary it would write at its end and hands it
to a callback, which may stop the run by raising. One process trains through every mark, so a search pays for
loading the data, building the networks and warming up (CUDA graph capture) once per trial, not once per rung.

    def on_mark(summary, index): ...           # raise to stop the run here (its checkpoint is on disk)
    train(config, interim=InterimSummaries([20, 50], on_mark))     # config's total_kimg: the last rung
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import reduce
from typing import Any


class InterimSummaries:
    """A Hook (duelo.training.protocols) of the training loop, given the loop's snapshots and metrics logger by
    `attach`. Marks at or past the run's end are skipped: the run's own summary is the last one."""

    def __init__(self, kimg: list[float], on_mark: Callable[[dict[str, Any], int], None]):
        marks = sorted({int(round(k * 1000)) for k in kimg})
        if not marks or marks[0] <= 0:
            raise ValueError(f"interim summaries need positive kimg marks, got {kimg}")
        self.marks, self.on_mark = marks, on_mark
        self.period_nimg = reduce(math.gcd, marks)        # fires at every multiple; acts at the marks
        self.next = 0
        self.snapshots = self.logger = self.run_dir = None
        self.total_nimg = 0

    def attach(self, snapshots, logger, run_dir, total_nimg: int) -> InterimSummaries:
        self.snapshots, self.logger, self.run_dir, self.total_nimg = snapshots, logger, run_dir, total_nimg
        return self

    def restart(self, nimg: int) -> None:
        """A resume or rollback to `nimg`: the marks after it are still to come."""
        self.next = sum(mark <= nimg for mark in self.marks)

    def __call__(self, trainer) -> None:
        nimg = trainer.counters.nimg
        while self.next < len(self.marks) and self.marks[self.next] <= nimg < self.total_nimg:
            index = self.next
            self.next += 1
            if self.next < len(self.marks) and self.marks[self.next] <= nimg:
                continue                                   # a long step passed several marks: report the last
            if self.snapshots.written_nimg != nimg:
                self.snapshots(trainer)                    # the summary reads the saved model
            summary = self.snapshots.summary(self.logger.last)
            self.run_dir.write_summary(summary)            # a run stopped here keeps its figures
            self.on_mark(summary, index)
