"""The image GAN's snapshots (sample grid, model folder, checkpoint) and its final summary."""

from __future__ import annotations

import time
from typing import Any

from duelo import __version__
from duelo.tasks.snapshots import run_summary, write_checkpoint

GRID_SEED_BASE = 0
RECALIBRATION_BATCHES = 8
RECALIBRATION_BATCH = 256


class SnapshotWriter:
    """Hook: recalibrates G_ema, writes a sample grid, the model folder and a checkpoint."""

    def __init__(self, session):
        self.session = session
        self.written_nimg: int | None = None      # image count of the last full snapshot

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

    def ensure_model(self) -> None:
        if not (self.session.run_dir.model / "model.safetensors").exists():
            self.write_model()

    def write_model(self) -> None:
        from duelo.io.pretrained import save_pretrained
        save_pretrained(self.session.trainer.G_ema, self.session.run_dir.model)

    def __call__(self, trainer) -> None:
        from duelo.io.images import save_grid
        from duelo.sampling.generate import generate
        from duelo.training.ema import recalibrate_batchnorm

        session = self.session     # the loop checked finiteness before calling hooks; state() checks again
        recalibrate_batchnorm(trainer.G_ema, trainer.objective.sample_generator_inputs,
                              RECALIBRATION_BATCHES, RECALIBRATION_BATCH, seed=trainer.counters.nimg)
        path = self.checkpoint(trainer)      # first: it refuses a non-finite state before anything is written
        self.write_model()
        seeds, labels, columns = self._grid_inputs(trainer.G_ema)
        kimg = trainer.counters.nimg / 1000
        images = generate(trainer.G_ema, seeds, labels)
        save_grid(images, session.run_dir.samples / f"grid-{trainer.counters.nimg:09d}.png", columns,
                  text={"duelo:kimg": f"{kimg:.3f}", "duelo:version": __version__})
        session.log(f"snapshot at {kimg:.1f} kimg: {path.name}, samples/grid-{trainer.counters.nimg:09d}.png")
        self.written_nimg = trainer.counters.nimg

    def checkpoint(self, trainer):
        """Commit the full training state (also used on Ctrl-C, between two snapshots)."""
        return write_checkpoint(self.session, trainer)

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.evaluation.metrics import EvalContext, evaluate

        session = self.session
        trainer, dataset = session.trainer, session.data
        started = time.perf_counter()
        context = EvalContext(G=trainer.G_ema, images=dataset.images, labels=dataset.labels,
                              fingerprint=dataset.fingerprint(), per_class=session.config.run.eval_per_class,
                              log=session.log)
        figures = evaluate(context, ["class_accuracy"])
        summary = run_summary(session, last_metrics, figures, started)
        if "class_accuracy" in figures:
            session.log(f"class_accuracy {figures['class_accuracy']:.3f} (the judge scores "
                        f"{figures['classifier_real_accuracy']:.3f} on held-out real images)")
        return summary
