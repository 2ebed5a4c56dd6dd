"""A tabular run's snapshots and summary:

    model/              model.json + model.safetensors: the averaged generator (batch norm recalibrated), the
                        fitted transformer, the condition counts (`duelo tabular sample RUN`, TabularGAN.load)
    samples/rows-*.csv  a preview of 100 generated rows (fixed seed) at each snapshot
    summary.json        column shapes and pair trends of SUMMARY_ROWS generated rows against the real table
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from duelo.tasks.snapshots import run_summary, write_checkpoint
from duelo.tasks.tabular.params import history, params_of

RECALIBRATION_BATCHES = 20            # batches of training conditions that re-estimate the EMA G's batch norms
PREVIEW_ROWS = 100
PREVIEW_SEED = 0
SUMMARY_ROWS = 5000


class TableSnapshots:
    def __init__(self, session):
        self.session = session
        self.written_nimg: int | None = None

    def _generator(self, trainer) -> torch.nn.Module:
        """The EMA generator with batch-norm statistics re-estimated under training conditions (its averaged
        weights never ran a forward pass of their own)."""
        from duelo.training.ema import recalibrate_batchnorm

        G = trainer.ema["G"]
        recalibrate_batchnorm(G, trainer.objective.sample_generator_inputs, RECALIBRATION_BATCHES,
                              self.session.config.train.batch, seed=trainer.counters.nimg)
        return G.eval()

    def write_model(self, trainer=None) -> None:
        from duelo.tasks.tabular.persistence import save_model_folder

        session = self.session
        trainer = trainer or session.trainer
        extras = session.parts.extras
        save_model_folder(session.run_dir.model, self._generator(trainer),
                          params_of(session.config, len(session.data.matrix)), session.data.transformer,
                          extras["sampler"], history=history(session.run_dir.metrics_path, session.config,
                                                             len(session.data.matrix)),
                          fit_seconds=trainer.counters.elapsed_s)

    def ensure_model(self) -> None:
        if not (self.session.run_dir.model / "model.json").exists():
            self.write_model()

    def checkpoint(self, trainer):
        return write_checkpoint(self.session, trainer)

    def __call__(self, trainer) -> None:
        from duelo.io.atomic import atomic_write_text

        session = self.session
        path = self.checkpoint(trainer)          # first: it refuses a non-finite state before anything is written
        self.write_model(trainer)
        preview = self.rows(PREVIEW_ROWS, PREVIEW_SEED)
        name = f"rows-{trainer.counters.nimg:09d}.csv"
        atomic_write_text(session.run_dir.samples / name, preview.to_csv(index=False))
        session.log(f"snapshot at {trainer.counters.nimg / 1000:.1f} kimg: {path.name}, samples/{name}")
        self.written_nimg = trainer.counters.nimg

    def rows(self, n: int, seed: int):
        """n rows from the model folder just written (the model users get), seeded. Loading builds networks,
        which draws from torch's global generator: forked, so training continues exactly as it would without
        the preview (a resumed run restores that generator from the checkpoint)."""
        from duelo.tasks.tabular.gan import TabularGAN

        device = self.session.trainer.runtime.device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            model = TabularGAN.load(self.session.run_dir.model, device=str(device))
            return model.sample(n, random_state=seed)

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.tasks.tabular.report import shapes, trends
        from duelo.tasks.tabular.report.frames import prepare

        session = self.session
        started = time.perf_counter()
        real = session.data.frame
        real = real.sample(min(len(real), SUMMARY_ROWS), random_state=0) if len(real) > SUMMARY_ROWS else real
        synthetic = self.rows(len(real), seed=1)
        discrete = session.data.transformer.discrete_columns             # the column labels themselves
        prepared = prepare({"real": real, "synthetic": synthetic}, list(discrete) if discrete else None)
        column_shapes, _ = shapes.column_shapes(prepared)
        pair_trends, _, _ = trends.pair_trends(prepared, np.random.default_rng(0))
        figures = {"column_shapes": _rounded(column_shapes), "column_pair_trends": _rounded(pair_trends),
                   "summary_rows": len(real)}
        session.log(f"column_shapes {figures['column_shapes']}, column_pair_trends {figures['column_pair_trends']} "
                    f"({len(real)} generated rows against the table; `duelo tabular report` for the full report)")
        return run_summary(session, last_metrics, figures, started)


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)
