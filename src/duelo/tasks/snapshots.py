"""What every task's snapshots share: committing the training state, and the common part of summary.json."""

from __future__ import annotations

import time
from typing import Any

import torch

from duelo import __version__


def write_checkpoint(session, trainer):
    """Commit the full training state of any task's session; returns the checkpoint's path."""
    from duelo.training.checkpoint import save_checkpoint

    tensors, meta = trainer.state({"config": session.config.to_dict()})   # every process: gathers the streams
    path = session.run_dir.checkpoints
    if trainer.runtime.is_main:
        path = save_checkpoint(session.run_dir.checkpoints, trainer.counters.nimg, tensors, meta,
                               keep=session.config.run.keep_checkpoints)
    trainer.runtime.barrier()             # nobody reads or resumes from a checkpoint still being written
    return path


def run_summary(session, last_metrics: dict[str, Any], figures: dict[str, Any], eval_started: float,
                **extra: Any) -> dict[str, Any]:
    """summary.json of any task: counters, speed, the last metrics line, the task's `figures`, provenance."""
    from duelo.io.pretrained import model_sha256

    trainer = session.trainer
    counters = trainer.counters
    return {
        "run": session.run_dir.path.name,
        "task": session.config.task,
        **extra,
        "kimg": round(counters.nimg / 1000, 3),
        "iterations": counters.iteration,
        "train_time_s": round(counters.elapsed_s, 1),
        "img_per_s": round(counters.nimg / counters.elapsed_s, 1) if counters.elapsed_s else None,
        "eval_time_s": round(time.perf_counter() - eval_started, 1),
        "final_metrics": {k: v for k, v in last_metrics.items() if k not in ("nimg", "kimg", "iteration")},
        **figures,
        "model": str(session.run_dir.model),
        "model_sha256": model_sha256(session.run_dir.model),
        "device": trainer.runtime.describe(),
        "step": trainer.step_mode(),
        "duelo_version": __version__,
        "torch_version": torch.__version__,
    }


class TranslatorSnapshots:
    """Snapshots of an image-to-image task: checkpoint, its translator model folder(s) with task.json (what
    `duelo translate|inpaint|restore` need, duelo.sampling.image2image), a grid of held-out examples, and the
    summary with the task's figures. A task says which folders hold which translator (`models`), what a grid
    row shows (`examples`, `columns`) and how the model is scored (`evaluate`)."""

    columns = "input | output | target"

    def __init__(self, session):
        self.session = session
        self.written_nimg: int | None = None

    # -- the task's part -------------------------------------------------------------------------
    def models(self) -> dict[str, tuple[torch.nn.Module, dict[str, Any]]]:
        """{folder under the run folder: (EMA translator, task.json contents)}."""
        raise NotImplementedError

    def examples(self) -> list[torch.Tensor]:
        """uint8 columns of the grid, one row per held-out example."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def ensure_model(self) -> None:
        from duelo.sampling.image2image import TASK_FILE

        path = self.session.run_dir.path
        needed = [path / folder / name for folder in self.models() for name in ("model.safetensors", TASK_FILE)]
        if not all(p.exists() for p in needed):
            self.write_model()

    def write_model(self) -> None:
        from duelo.io.pretrained import save_pretrained
        from duelo.sampling.image2image import write_task_file

        for folder, (module, description) in self.models().items():
            save_pretrained(module, self.session.run_dir.path / folder)
            write_task_file(self.session.run_dir.path / folder, description)

    def checkpoint(self, trainer):
        return write_checkpoint(self.session, trainer)

    def __call__(self, trainer) -> None:
        from duelo.io.images import interleave_columns, save_grid

        session = self.session
        path = self.checkpoint(trainer)          # first: it refuses a non-finite state before anything is written
        self.write_model()
        columns = self.examples()
        kimg = trainer.counters.nimg / 1000
        grid = session.run_dir.samples / f"grid-{trainer.counters.nimg:09d}.png"
        save_grid(interleave_columns(columns), grid, len(columns),
                  text={"duelo:kimg": f"{kimg:.3f}", "duelo:version": __version__, "duelo:columns": self.columns})
        session.log(f"snapshot at {kimg:.1f} kimg: {path.name}, samples/{grid.name}")
        self.written_nimg = trainer.counters.nimg

    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        session = self.session
        started = time.perf_counter()
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):      # evaluating never changes the training streams
            figures = self.evaluate()
        session.log(describe_figures(figures))
        return run_summary(session, last_metrics, figures, started)


def describe_figures(figures: dict[str, Any]) -> str:
    """One log line: the model's figures, then each baseline's."""
    def flat(scores: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {flat(v)}" if isinstance(v, dict) else f"{k} {v}" for k, v in scores.items())

    parts = [f"model: {flat(figures['metrics'])}"]
    parts += [f"{name}: {flat(scores)}" for name, scores in figures.get("baselines", {}).items()]
    return " | ".join(parts)
