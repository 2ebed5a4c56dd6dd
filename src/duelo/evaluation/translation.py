"""How good a translator's outputs are, shared by the image-to-image tasks: running a translator on float
images in chunks, PSNR/SSIM against ground truth, and Fréchet distances to a target domain's real images (FID
with the standard Inception, and in the domain classifier's feature space when the target has labels).
"""

from __future__ import annotations

from typing import Callable

import torch

from duelo.io.images import to_uint8

CHUNK = 256


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [-1, 1]."""
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


def domain_judge(dataset, log):
    """The domain classifier's features for a labelled target dataset, else None."""
    from duelo.evaluation.domain_classifier import load_or_train_classifier
    from duelo.evaluation.features import DomainFeatures

    if dataset.labels is None or dataset.num_classes < 2:
        return None
    fingerprint = dataset.fingerprint()
    classifier = load_or_train_classifier(dataset.images, dataset.labels, dataset.num_classes, fingerprint, log=log)
    return DomainFeatures(classifier, fingerprint)
