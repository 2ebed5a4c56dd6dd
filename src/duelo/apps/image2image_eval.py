"""How good an image-to-image model is, next to the trivial baselines it must beat, on held-out images.

Restoration and paired translation: PSNR and SSIM against the ground truth (inpainting also inside the
holes only), for the model and for each baseline its degradation names (identity, bicubic, mean-fill,
blur-fill, gaussian-blur, median3). Unpaired translation: the cycle-reconstruction error of both
directions. All tasks, when image2image.fid allows it: the Fréchet distance of the outputs to the real
images of the target domain (FID with the standard Inception, and in the domain classifier's feature space
when the target has labels), next to that of the identity (the inputs themselves).

The damaged inputs are made on the CPU from a fixed seed, so the numbers do not depend on the device or on
the training seed, and two evaluations of one model agree.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from duelo.io.images import to_uint8

EVAL_DEGRADE_SEED = 5_000_000
CHUNK = 256


def _float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1.0)


@torch.no_grad()
def run_translator(net: torch.nn.Module, inputs: torch.Tensor, device: torch.device,
                   finish: Callable[[torch.Tensor, int], torch.Tensor] | None = None) -> torch.Tensor:
    """uint8 outputs of `net` (eval mode) for float inputs (N, C, H, W), in chunks; `finish(out, start)`
    post-processes a chunk (paste-back)."""
    was = net.training
    net.eval()
    chunks = []
    for start in range(0, len(inputs), CHUNK):
        out = net(inputs[start:start + CHUNK].to(device)).float().cpu()
        chunks.append(to_uint8(finish(out, start) if finish else out))
    net.train(was)
    return torch.cat(chunks)


def degraded_eval_inputs(degradation, targets: torch.Tensor, hole_fill: str = "grey"):
    """(G's inputs, the images a residual G corrects, Degraded) for uint8 targets, made on the CPU from a
    fixed seed."""
    from duelo.degrade import Degraded
    from duelo.losses.pix2pix import network_input

    generator = torch.Generator().manual_seed(EVAL_DEGRADE_SEED)
    parts = [degradation(_float(targets[i:i + CHUNK]), generator) for i in range(0, len(targets), CHUNK)]
    source = torch.cat([p.source for p in parts])
    mask = None if parts[0].mask is None else torch.cat([p.mask for p in parts])
    condition, base = network_input(source, mask, hole_fill)
    return condition, base, Degraded(source, mask)


def finisher(objective_settings: dict, base: torch.Tensor, degraded) -> Callable | None:
    """run_translator's `finish` for a chunk starting at `start`: residual and paste-back as in training."""
    from duelo.losses.pix2pix import finish_output

    source = base if degraded is None else degraded.source
    mask = None if degraded is None else degraded.mask

    def finish(out: torch.Tensor, start: int) -> torch.Tensor:
        part = slice(start, start + len(out))
        return finish_output(out, base[part], source[part], None if mask is None else mask[part],
                             **objective_settings)
    return finish


def output_settings(config, spec) -> dict:
    """residual / paste_back of the task as PairedObjective applies them."""
    t = config.image2image
    return {"residual": bool(t.residual), "paste_back": bool(spec.paste_back and t.paste_back)}


def fidelity(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, float]:
    """Mean PSNR (dB, identical images counted as 100) and SSIM of uint8 predictions; hole PSNR with a mask."""
    from duelo.evaluation.restoration import masked_psnr, mean_psnr, psnr, ssim

    scores = {"psnr": round(mean_psnr(psnr(pred, target)), 3)}
    if min(pred.shape[-2:]) >= 11:
        scores["ssim"] = round(float(ssim(pred, target).mean()), 4)
    if mask is not None:
        scores["psnr_holes"] = round(mean_psnr(masked_psnr(pred, target, mask)), 3)
    return scores


class Distances:
    """Fréchet distances to a target domain's real images (FID; domain-space FD when labels exist)."""

    def __init__(self, reference: torch.Tensor, device: torch.device, domain=None):
        from duelo.evaluation.features import InceptionFeatures

        self.extractors = {"fid": InceptionFeatures(device=device)}
        if domain is not None:
            self.extractors["fd_domain"] = domain
        self.reference = {name: self._stats(f, reference) for name, f in self.extractors.items()}

    @staticmethod
    def _stats(extractor, images: torch.Tensor):
        from duelo.evaluation.frechet import FeatureStats

        return FeatureStats.from_features(extractor(images))

    def __call__(self, images: torch.Tensor) -> dict[str, float]:
        from duelo.evaluation.frechet import frechet_distance

        return {name: round(frechet_distance(self.reference[name], self._stats(f, images)), 4)
                for name, f in self.extractors.items()}


def _domain_judge(dataset, log):
    """The domain classifier's features for a labelled target dataset, else None."""
    from duelo.evaluation.domain_classifier import load_or_train_classifier
    from duelo.evaluation.features import DomainFeatures

    if getattr(dataset, "labels", None) is None or dataset.num_classes < 2:
        return None
    fingerprint = dataset.fingerprint()
    classifier = load_or_train_classifier(dataset.images, dataset.labels, dataset.num_classes, fingerprint, log=log)
    return DomainFeatures(classifier, fingerprint)


def fid_enabled(config, device: torch.device) -> bool:
    setting = config.image2image.fid
    return setting == "on" or (setting == "auto" and device.type == "cuda")


def evaluate_paired(G, data, degradation, settings: dict, device: torch.device, distances=None,
                    hole_fill: str = "grey") -> dict[str, Any]:
    """Model and baselines on the held-out targets (inputs from the data or from the degradation);
    `settings` are the residual / paste_back of output_settings."""
    from duelo.degrade.baselines import BASELINES

    targets = data.eval_b
    if degradation is None:
        condition = base = _float(data.eval_a)
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


def evaluate_unpaired(G, data, device: torch.device, distances_b=None, distances_a=None) -> dict[str, Any]:
    """Both directions: cycle reconstruction (L1 in [0, 1] units, PSNR) and, when given, distances to the
    other domain's real images, for the model and for the identity."""
    from duelo.evaluation.restoration import mean_psnr, psnr

    a, b = data.eval_a, data.eval_b
    fake_b = run_translator(G.ab, _float(a), device)
    fake_a = run_translator(G.ba, _float(b), device)
    back_a = run_translator(G.ba, _float(fake_b), device)
    back_b = run_translator(G.ab, _float(fake_a), device)
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


def evaluate_task(session, G) -> dict[str, Any]:
    """The per-task figures of summary.json for generator G (the EMA one)."""
    config, data, device = session.config, session.data, session.trainer.runtime.device
    with_fid = fid_enabled(config, device)
    if session.spec.unpaired:
        distances_b = distances_a = None
        if with_fid:
            distances_b = Distances(data.eval_b, device, _domain_judge(data.target, session.log))
            distances_a = Distances(data.eval_a, device)
        return evaluate_unpaired(G, data, device, distances_b, distances_a)
    distances = Distances(data.eval_b, device, _domain_judge(data.target, session.log)) if with_fid else None
    return evaluate_paired(G, data, session.degradation, output_settings(config, session.spec), device, distances,
                           config.image2image.hole_fill)
