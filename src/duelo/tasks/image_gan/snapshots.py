"""The image GAN's snapshots (sample grid, model folder, checkpoint) and its final summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from duelo import __version__
from duelo.tasks.snapshots import Snapshots, privacy_figures, run_summary

GRID_SEED_BASE = 0
RECALIBRATION_BATCHES = 8
RECALIBRATION_BATCH = 256


class SnapshotWriter(Snapshots):
    """Recalibrates G_ema (kept by the checkpoint), then writes the checkpoint, the model folder and a grid."""

    def _grid_inputs(self, G) -> tuple[list[int], list[int] | None, int]:
        n = self.session.config.run.grid_samples
        if G.c_dim == 0:
            columns = max(1, int(n ** 0.5))
            return [GRID_SEED_BASE + i for i in range(n)], None, columns
        columns = max(1, n // G.c_dim)
        # one row per class, the same seeds in every row: the label alone changes along a column
        seeds = [GRID_SEED_BASE + col for _ in range(G.c_dim) for col in range(columns)]
        labels = [row for row in range(G.c_dim) for _ in range(columns)]
        return seeds, labels, columns

    def prepare(self, trainer) -> None:
        from duelo.training.ema import recalibrate_batchnorm

        recalibrate_batchnorm(trainer.G_ema, trainer.objective.sample_generator_inputs,
                              RECALIBRATION_BATCHES, RECALIBRATION_BATCH, seed=trainer.counters.nimg)

    def write_files(self, trainer) -> list[Path]:
        from duelo.io.images import save_grid
        from duelo.io.pretrained import save_pretrained
        from duelo.sampling.generate import generate

        model = save_pretrained(trainer.G_ema, self.session.run_dir.model)
        seeds, labels, columns = self._grid_inputs(trainer.G_ema)
        grid = self.session.run_dir.samples / f"grid-{trainer.counters.nimg:09d}.png"
        save_grid(generate(trainer.G_ema, seeds, labels), grid, columns,
                  text={"duelo:kimg": f"{trainer.counters.nimg / 1000:.3f}", "duelo:version": __version__})
        return [model, grid]

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.evaluation.metrics import EvalContext, evaluate

        session = self.session
        trainer, dataset = session.trainer, session.data
        started = time.perf_counter()
        private = "privacy" in session.parts.extras
        scored = dataset.evaluation if private else dataset      # a private run: the split it never trained on
        context = EvalContext(G=trainer.G_ema, images=scored.images, labels=scored.labels,
                              fingerprint=scored.fingerprint(), per_class=session.config.run.eval_per_class,
                              log=session.log)
        figures = evaluate(context, ["class_accuracy"])
        figures.update(privacy_figures(session))
        summary = run_summary(session, last_metrics, figures, started)
        if "class_accuracy" in figures:
            session.log(f"class_accuracy {figures['class_accuracy']:.3f} (the judge scores "
                        f"{figures['classifier_real_accuracy']:.3f} on held-out real images)")
        return summary
