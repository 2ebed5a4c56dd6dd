"""A CycleGAN run's snapshots (duelo.tasks.snapshots.TranslatorSnapshots) and its evaluation:

    model/              the (EMA) A -> B translator, with task.json (`duelo translate`)
    model-reverse/      the B -> A translator (`duelo translate --reverse`)
    samples/grid-*.png  rows of held-out examples: a | a->b | a->b->a | b | b->a | b->a->b

The summary scores both directions: cycle reconstruction (L1 in [0, 1] units, PSNR) and, when
image2image.fid allows it, the Fréchet distance to the other domain's real images, next to the identity's.
"""

from __future__ import annotations

from typing import Any

import torch

from duelo.evaluation.translation import Distances, domain_judge, run_translator, to_float
from duelo.io.images import spread
from duelo.tasks.snapshots import TranslatorSnapshots

GRID_EXAMPLES = 8


class CycleSnapshots(TranslatorSnapshots):
    columns = "a | a->b | a->b->a | b | b->a | b->a->b"

    def models(self) -> dict[str, tuple[torch.nn.Module, dict[str, Any]]]:
        session = self.session
        data, ema = session.data, session.trainer.ema
        common = {"task": session.config.task, "resolution": data.resolution, "degradation": None, "paste_back": False,
                  "residual": False, "hole_fill": "grey", "dataset": session.config.data.dataset,
                  "source": session.config.image2image.source}
        a_to_b = {**common, "source_channels": data.source_channels, "target_channels": data.channels,
                  "direction": "a_to_b"}
        b_to_a = {**common, "source_channels": data.channels, "target_channels": data.source_channels,
                  "direction": "b_to_a"}
        return {"model": (ema["G_ab"], a_to_b), "model-reverse": (ema["G_ba"], b_to_a)}

    def examples(self) -> list[torch.Tensor]:
        session = self.session
        data, device, ema = session.data, session.trainer.runtime.device, session.trainer.ema
        a = data.eval_a[spread(len(data.eval_a), GRID_EXAMPLES)]
        b = data.eval_b[spread(len(data.eval_b), GRID_EXAMPLES)]
        ab, ba = run_translator(ema["G_ab"], to_float(a), device), run_translator(ema["G_ba"], to_float(b), device)
        return [a, ab, run_translator(ema["G_ba"], to_float(ab), device),
                b, ba, run_translator(ema["G_ab"], to_float(ba), device)]

    def evaluate(self) -> dict[str, Any]:
        session = self.session
        config, data, device = session.config, session.data, session.trainer.runtime.device
        from duelo.tasks.translators import fid_enabled

        with_fid = fid_enabled(config, device)
        distances_b = Distances(data.eval_b, device, domain_judge(data.target, session.log)) if with_fid else None
        distances_a = Distances(data.eval_a, device) if with_fid else None
        return evaluate_unpaired(session.trainer.ema["G_ab"], session.trainer.ema["G_ba"], data, device,
                                 distances_b, distances_a)


def evaluate_unpaired(G_ab, G_ba, data, device: torch.device, distances_b=None, distances_a=None) -> dict[str, Any]:
    """Both directions: cycle reconstruction (L1 in [0, 1] units, PSNR) and, when given, distances to the
    other domain's real images, for the model and for the identity."""
    from duelo.evaluation.restoration import mean_psnr, psnr

    a, b = data.eval_a, data.eval_b
    fake_b = run_translator(G_ab, to_float(a), device)
    fake_a = run_translator(G_ba, to_float(b), device)
    back_a = run_translator(G_ba, to_float(fake_b), device)
    back_b = run_translator(G_ab, to_float(fake_a), device)
    metrics: dict[str, Any] = {}
    for name, back, real in (("a", back_a, a), ("b", back_b, b)):
        metrics[f"cycle_l1_{name}"] = round(float((back.float() - real.float()).abs().mean() / 255), 5)
        metrics[f"cycle_psnr_{name}"] = round(mean_psnr(psnr(back, real)), 3)
    result: dict[str, Any] = {"eval_images": {"a": len(a), "b": len(b)}, "metrics": metrics, "baselines": {}}
    identity: dict[str, Any] = {}
    for key, distances, outputs, inputs in (("a_to_b", distances_b, fake_b, a), ("b_to_a", distances_a, fake_a, b)):
        if distances is None:
            continue
        metrics[key] = distances(outputs)
        if inputs.shape[1:] == outputs.shape[1:]:
            identity[key] = distances(inputs)
    if identity:
        result["baselines"]["identity"] = identity
    return result
