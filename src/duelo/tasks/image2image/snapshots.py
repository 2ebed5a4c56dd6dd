"""A paired image-to-image run's snapshots (duelo.tasks.snapshots.TranslatorSnapshots):

    model/              the (EMA) translator, with task.json (what `duelo translate|inpaint|restore` need)
    samples/grid-*.png  rows of held-out examples: input | output | target
"""

from __future__ import annotations

from typing import Any

import torch

from duelo.io.images import spread, to_uint8
from duelo.tasks.snapshots import TranslatorSnapshots

GRID_EXAMPLES = 8


class PairedSnapshots(TranslatorSnapshots):
    def description(self) -> dict[str, Any]:
        """task.json: enough to turn a user's image into the model's input, and to say what the model does."""
        session, objective = self.session, self.session.parts.objective
        d, data = objective.degradation, session.data
        return {"task": session.config.task, "resolution": data.resolution, "target_channels": data.channels,
                "source_channels": data.source_channels if d is None else d.source_channels(data.channels),
                "degradation": None if d is None else {"name": d.name, "settings": d.settings},
                "paste_back": objective.paste_back, "residual": objective.residual, "hole_fill": objective.hole_fill,
                "dataset": session.config.data.dataset,
                "source": session.config.image2image.source if session.task.spec.from_files else None}

    def models(self) -> dict[str, tuple[torch.nn.Module, dict[str, Any]]]:
        return {"model": (self.session.trainer.ema["G"], self.description())}

    def examples(self) -> list[torch.Tensor]:
        from duelo.evaluation.translation import run_translator, to_float
        from duelo.tasks.image2image.evaluate import degraded_eval_inputs, finisher

        session, objective = self.session, self.session.parts.objective
        data, device, G = session.data, session.trainer.runtime.device, session.trainer.ema["G"]
        pick = spread(len(data.eval_b), GRID_EXAMPLES)           # test sets are often sorted by class
        target = data.eval_b[pick]
        settings = {"residual": objective.residual, "paste_back": objective.paste_back}
        if objective.degradation is None:
            source = data.eval_a[pick]
            base = to_float(source)
            return [source, run_translator(G, base, device, finisher(settings, base, None)), target]
        condition, base, degraded = degraded_eval_inputs(objective.degradation, target, objective.hole_fill)
        return [to_uint8(degraded.source), run_translator(G, condition, device, finisher(settings, base, degraded)),
                target]

    def evaluate(self) -> dict[str, Any]:
        from duelo.tasks.image2image.evaluate import evaluate_task

        return evaluate_task(self.session, self.session.trainer.ema["G"])
