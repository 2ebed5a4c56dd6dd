"""A tabular run's snapshots and summary:

    model/              model.json + model.safetensors: the averaged generator (batch norm recalibrated), the
                        fitted transformer, the condition counts (`duelo tabular sample RUN`, TabularGAN.load)
    samples/rows-*.csv  a preview of 100 generated rows (fixed seed) at each snapshot
    summary.json        column shapes and pair trends of SUMMARY_ROWS generated rows against the real table
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duelo.tasks.snapshots import Snapshots, privacy_figures, run_summary
from duelo.tasks.tabular.params import history, params_of

RECALIBRATION_BATCHES = 20            # batches of training conditions that re-estimate the EMA G's batch norms
PREVIEW_ROWS = 100
PREVIEW_SEED = 0
SUMMARY_ROWS = 5000


class TableSnapshots(Snapshots):

    def _generator(self, trainer) -> torch.nn.Module:
        """The EMA generator with batch-norm statistics re-estimated under training conditions (its averaged
        weights never ran a forward pass of their own)."""
        from duelo.training.ema import recalibrate_batchnorm

        G = trainer.ema["G"]
        recalibrate_batchnorm(G, trainer.objective.sample_generator_inputs, RECALIBRATION_BATCHES,
                              self.session.config.train.batch, seed=trainer.counters.nimg)
        return G.eval()

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.atomic import atomic_write_text
        from duelo.tasks.tabular.persistence import save_model_folder

        session = self.session
        extras = session.parts.extras
        model = save_model_folder(session.run_dir.model, self._generator(trainer),
                                  params_of(session.config, session.data.rows), session.data.transformer,
                                  extras["sampler"], history=history(session.run_dir.metrics_path, session.config,
                                                                     session.data.rows),
                                  fit_seconds=trainer.counters.elapsed_s)
        preview = session.run_dir.samples / f"rows-{trainer.counters.nimg:09d}.csv"
        atomic_write_text(preview, self.rows(PREVIEW_ROWS, PREVIEW_SEED).to_csv(index=False))
        return [model, preview]

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
        private = "privacy" in session.parts.extras
        real = session.data.evaluation if private else session.data.frame      # private: the split never trained on
        real = real.sample(min(len(real), SUMMARY_ROWS), random_state=0) if len(real) > SUMMARY_ROWS else real
        synthetic = self.rows(len(real), seed=1)
        discrete = session.data.transformer.discrete_columns             # the column labels themselves
        prepared = prepare({"real": real, "synthetic": synthetic}, list(discrete) if discrete else None)
        column_shapes, _ = shapes.column_shapes(prepared)
        pair_trends, _, _ = trends.pair_trends(prepared, np.random.default_rng(0))
        figures = {"column_shapes": _rounded(column_shapes), "column_pair_trends": _rounded(pair_trends),
                   "summary_rows": len(real)}
        figures.update(privacy_figures(session, f"the {len(real):,} rows kept out of training"))
        session.log(f"column_shapes {figures['column_shapes']}, column_pair_trends {figures['column_pair_trends']} "
                    f"({len(real)} generated rows against the table; `duelo tabular report` for the full report)")
        return run_summary(session, last_metrics, figures, started)


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)
