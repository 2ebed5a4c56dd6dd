"""Hook: one metrics.jsonl line per log interval (kimg, samples per second, every reported loss and statistic)
and the progress line. Reading the device-side statistics is this interval's one host synchronisation."""

from __future__ import annotations

import time
from typing import Any


class MetricsLogger:
    def __init__(self, session):
        self.session = session
        self.period_nimg = int(round(session.config.run.log_kimg * 1000))
        self.last: dict[str, Any] = {}
        self._time = time.perf_counter()
        self._nimg = session.trainer.counters.nimg

    def restart(self, nimg: int) -> None:
        """Measure speed from here (after a resume or a rollback); the last line logged so far is the one a
        summary written before the next line quotes (a re-run of a finished run)."""
        from duelo.io.json_files import json_lines

        self._time, self._nimg = time.perf_counter(), nimg
        self.last = {}
        for record in json_lines(self.session.run_dir.metrics_path):
            if isinstance(record.get("nimg"), int) and record["nimg"] <= nimg:
                self.last = record

    def __call__(self, trainer) -> None:
        values = trainer.stats.read()                       # the one host read of this interval
        now = time.perf_counter()
        counters = trainer.counters
        seconds = now - self._time
        img_per_s = (counters.nimg - self._nimg) / seconds if seconds > 0 else 0.0
        self._time, self._nimg = now, counters.nimg
        record = {"nimg": counters.nimg, "kimg": round(counters.nimg / 1000, 3), "iteration": counters.iteration,
                  "img_per_s": round(img_per_s, 1), "time_s": round(counters.elapsed_s, 2),
                  **{k: round(v, 5) for k, v in sorted(values.items())}}
        self.last = record
        self.session.run_dir.append_metrics(record)
        self.session.progress.update(counters.nimg / 1000, img_per_s, values)
