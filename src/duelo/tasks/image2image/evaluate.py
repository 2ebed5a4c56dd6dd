"""How good a paired image-to-image model is, next to the trivial baselines it must beat, on held-out images.

PSNR and SSIM against the ground truth (inpainting also inside the holes only), for the model and for each
baseline its degradation names (identity, bicubic, mean-fill, blur-fill, gaussian-blur, median3); with
image2image.fid allowing it, the Fréchet distance of the outputs to the target domain's real images (FID, and
in the domain classifier's feature space when the target has labels), next to the baselines'.

The damaged inputs are made on the CPU from a fixed seed, so the numbers do not depend on the device or on
the training seed, and two evaluations of one model agree.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from duelo.evaluation.translation import CHUNK, Distances, domain_judge, fidelity, run_translator, to_float
from duelo.io.images import to_uint8
from duelo.tasks.translators import fid_enabled

EVAL_DEGRADE_SEED = 5_000_000


def degraded_eval_inputs(degradation, targets: torch.Tensor, hole_fill: str = "grey"):
    """(G's inputs, the images a residual G corrects, Degraded) for uint8 targets, made on the CPU from a
    fixed seed."""
    from duelo.degrade import Degraded
    from duelo.degrade.model_io import network_input

    generator = torch.Generator().manual_seed(EVAL_DEGRADE_SEED)
    parts = [degradation(to_float(targets[i:i + CHUNK]), generator) for i in range(0, len(targets), CHUNK)]
    source = torch.cat([p.source for p in parts])
    mask = None if parts[0].mask is None else torch.cat([p.mask for p in parts])
    condition, base = network_input(source, mask, hole_fill)
    return condition, base, Degraded(source, mask)


def finisher(settings: dict, base: torch.Tensor, degraded) -> Callable:
    """run_translator's `finish` for a chunk starting at `start`: residual and paste-back as in training."""
    from duelo.degrade.model_io import finish_output

    source = base if degraded is None else degraded.source
    mask = None if degraded is None else degraded.mask

    def finish(out: torch.Tensor, start: int) -> torch.Tensor:
        part = slice(start, start + len(out))
        return finish_output(out, base[part], source[part], None if mask is None else mask[part], **settings)
    return finish


def evaluate_paired(G, data, degradation, settings: dict, device: torch.device, distances=None,
                    hole_fill: str = "grey") -> dict[str, Any]:
    """Model and baselines on the held-out targets (inputs from the data or from the degradation); `settings`
    are the residual / paste_back the objective applies."""
    from duelo.degrade.baselines import BASELINES

    targets = data.eval_b
    if degradation is None:
        condition = base = to_float(data.eval_a)
        degraded, baselines = None, []
    else:
        condition, base, degraded = degraded_eval_inputs(degradation, targets, hole_fill)
        baselines = list(degradation.baselines)
    source_channels = condition.shape[1] if degraded is None else degraded.source.shape[1]
    if not baselines and source_channels == targets.shape[1]:
        baselines = ["identity"]                 # the input itself, when nothing better is defined
    mask = None if degraded is None else degraded.mask
    outputs = run_translator(G, condition, device, finisher(settings, base, degraded))
    result: dict[str, Any] = {"eval_images": len(targets), "metrics": fidelity(outputs, targets, mask),
                              "baselines": {}}
    if distances is not None:
        result["metrics"].update(distances(outputs))
    for name in baselines:
        if degraded is None:
            prediction = data.eval_a
        else:
            prediction = torch.cat([to_uint8(BASELINES.get(name)(_slice(degraded, i)))
                                    for i in range(0, len(targets), CHUNK)])
        scores = fidelity(prediction, targets, mask)
        if distances is not None:
            scores.update(distances(prediction))
        result["baselines"][name] = scores
    return result


def _slice(degraded, start: int):
    from duelo.degrade import Degraded

    part = slice(start, start + CHUNK)
    return Degraded(degraded.source[part], None if degraded.mask is None else degraded.mask[part])


def evaluate_task(session, G) -> dict[str, Any]:
    """The figures of summary.json for translator G (the EMA one)."""
    config, data, device = session.config, session.data, session.trainer.runtime.device
    distances = Distances(data.eval_b, device, domain_judge(data.target, session.log)) \
        if fid_enabled(config, device) else None
    objective = session.parts.objective
    settings = {"residual": objective.residual, "paste_back": objective.paste_back}
    return evaluate_paired(G, data, objective.degradation, settings, device, distances, objective.hole_fill)
