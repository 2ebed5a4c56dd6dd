"""An image-to-image run's snapshots: checkpoint, model folder(s) with task.json, a grid of held-out
examples, and the final summary with its metrics next to the baselines'.

    model/              the (EMA) translator; for cyclegan the A -> B one
    model/task.json     what `duelo translate|inpaint|restore` need to prepare an input (task, degradation, ...)
    model-reverse/      cyclegan only: the B -> A translator
    samples/grid-*.png  rows of held-out examples: input | output | target (cyclegan: a | a->b | a->b->a |
                        b | b->a | b->a->b)
"""

from __future__ import annotations

import time
from typing import Any

import torch

from duelo import __version__
from duelo.io.images import to_uint8

GRID_EXAMPLES = 8
TASK_FILE = "task.json"


def task_description(session) -> dict[str, Any]:
    """task.json: enough to turn a user's image into the model's input, and to say what the model does."""
    d = session.degradation
    data = session.data
    return {"format": "duelo-image2image", "format_version": 1, "task": session.spec.name,
            "resolution": data.resolution, "target_channels": data.channels,
            "source_channels": data.source_channels if d is None else d.source_channels(data.channels),
            "degradation": None if d is None else {"name": d.name, "settings": d.settings},
            "paste_back": bool(session.spec.paste_back and session.config.image2image.paste_back),
            "residual": bool(session.config.image2image.residual), "hole_fill": session.config.image2image.hole_fill,
            "dataset": session.config.data.dataset, "source": session.config.image2image.source}


def _spread(count: int) -> torch.Tensor:
    """GRID_EXAMPLES indices evenly spread over range(count) (fewer when count is smaller)."""
    return torch.linspace(0, count - 1, min(GRID_EXAMPLES, count)).round().long()


def _rgb(images: torch.Tensor, channels: int) -> torch.Tensor:
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 and channels == 3 else images


def _grid_columns(columns: list[torch.Tensor]) -> torch.Tensor:
    """Interleave equal-length uint8 batches into rows (one row per example), channels made to agree."""
    channels = max(c.shape[1] for c in columns)
    columns = [_rgb(c, channels) for c in columns]
    return torch.stack(columns, 1).flatten(0, 1)                       # (N * len(columns), C, H, W)


class TranslationSnapshots:
    def __init__(self, session):
        self.session = session
        self.written_nimg: int | None = None

    # -- model folder(s) -------------------------------------------------------------------------
    def ensure_model(self) -> None:
        run_dir = self.session.run_dir
        needed = [run_dir.model / "model.safetensors", run_dir.model / TASK_FILE]
        if self.session.spec.unpaired:
            needed += [run_dir.path / "model-reverse" / "model.safetensors", run_dir.path / "model-reverse" / TASK_FILE]
        if not all(path.exists() for path in needed):
            self.write_model()

    def write_model(self) -> None:
        from duelo.io.atomic import atomic_write_json
        from duelo.io.pretrained import save_pretrained

        run_dir, G = self.session.run_dir, self.session.trainer.G_ema
        description = task_description(self.session)
        if self.session.spec.unpaired:
            save_pretrained(G.ab, run_dir.model)
            save_pretrained(G.ba, run_dir.path / "model-reverse")
            atomic_write_json(run_dir.path / "model-reverse" / TASK_FILE, {**description, "direction": "b_to_a"})
            description["direction"] = "a_to_b"
        else:
            save_pretrained(G, run_dir.model)
        atomic_write_json(run_dir.model / TASK_FILE, description)

    # -- periodic --------------------------------------------------------------------------------
    def __call__(self, trainer) -> None:
        from duelo.io.images import save_grid

        session = self.session
        path = self.checkpoint(trainer)          # first: it refuses a non-finite state before anything is written
        self.write_model()
        columns = self._examples(trainer.G_ema)
        kimg = trainer.counters.nimg / 1000
        grid = session.run_dir.samples / f"grid-{trainer.counters.nimg:09d}.png"
        save_grid(_grid_columns(columns), grid, len(columns),
                  text={"duelo:kimg": f"{kimg:.3f}", "duelo:version": __version__,
                        "duelo:columns": self._column_names()})
        session.log(f"snapshot at {kimg:.1f} kimg: {path.name}, samples/{grid.name}")
        self.written_nimg = trainer.counters.nimg

    def _column_names(self) -> str:
        if self.session.spec.unpaired:
            return "a | a->b | a->b->a | b | b->a | b->a->b"
        return "input | output | target"

    def _examples(self, G) -> list[torch.Tensor]:
        from duelo.apps.image2image_eval import _float, degraded_eval_inputs, finisher, output_settings, run_translator

        data, device = self.session.data, self.session.trainer.runtime.device
        # examples spread over the held-out set (test sets are often sorted by class)
        pick_b = _spread(len(data.eval_b))
        if self.session.spec.unpaired:
            a, b = data.eval_a[_spread(len(data.eval_a))], data.eval_b[pick_b]
            ab, ba = run_translator(G.ab, _float(a), device), run_translator(G.ba, _float(b), device)
            return [a, ab, run_translator(G.ba, _float(ab), device),
                    b, ba, run_translator(G.ab, _float(ba), device)]
        target = data.eval_b[pick_b]
        settings = output_settings(self.session.config, self.session.spec)
        if self.session.degradation is None:
            source = data.eval_a[pick_b]
            base = _float(source)
            return [source, run_translator(G, base, device, finisher(settings, base, None)), target]
        condition, base, degraded = degraded_eval_inputs(self.session.degradation, target,
                                                         self.session.config.image2image.hole_fill)
        return [to_uint8(degraded.source), run_translator(G, condition, device, finisher(settings, base, degraded)),
                target]

    def checkpoint(self, trainer):
        from duelo.apps.snapshots import write_checkpoint

        return write_checkpoint(self.session, trainer)

    # -- the end ---------------------------------------------------------------------------------
    def summary(self, last_metrics: dict[str, Any]) -> dict[str, Any]:
        from duelo.apps.image2image_eval import evaluate_task
        from duelo.apps.snapshots import run_summary

        session = self.session
        started = time.perf_counter()
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):      # evaluating never changes the training streams
            figures = evaluate_task(session, session.trainer.G_ema)
        session.log(describe_figures(figures))
        return run_summary(session, last_metrics, figures, started, task=session.spec.name)


def describe_figures(figures: dict[str, Any]) -> str:
    """One log line: the model's figures, then each baseline's."""
    def flat(scores: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {flat(v)}" if isinstance(v, dict) else f"{k} {v}" for k, v in scores.items())

    parts = [f"model: {flat(figures['metrics'])}"]
    parts += [f"{name}: {flat(scores)}" for name, scores in figures.get("baselines", {}).items()]
    return " | ".join(parts)
