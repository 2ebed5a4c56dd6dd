"""Metrics registry: each metric takes an EvalContext and returns named figures for summary.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from duelo.registry import Registry


@dataclass
class EvalContext:
    G: nn.Module                                # generator to judge (the EMA one), eval mode
    images: torch.Tensor                        # real uint8 (N, C, H, W) at G's resolution/channels
    labels: torch.Tensor | None                 # real labels (N,) or None
    fingerprint: str                            # dataset identity, for caches
    per_class: int = 100                        # conditional samples per class (class_accuracy)
    num_samples: int = 10_000                   # generated samples for distribution metrics (FID, KID, ...)
    max_real: int = 50_000                      # real images used as the reference (a fixed subset if more)
    device: str = "cpu"                         # where feature extractors run
    heldout: torch.Tensor | None = None         # real uint8 images the generator never trained on (memorisation)
    log: Callable[[str], None] | None = None
    cache: dict[str, Any] = field(default_factory=dict)   # shared between metrics of one evaluation


METRICS: Registry[Callable[[EvalContext], dict[str, Any]]] = Registry("metric")

EVAL_SEED_BASE = 1_000_000   # evaluation seeds sit far from the grid seeds 0..n


def domain_classifier(ctx: EvalContext):
    from duelo.evaluation.domain_classifier import load_or_train_classifier

    if "classifier" not in ctx.cache:
        num_classes = int(ctx.labels.max()) + 1
        ctx.cache["classifier"] = load_or_train_classifier(ctx.images, ctx.labels, num_classes, ctx.fingerprint,
                                                           log=ctx.log)
    return ctx.cache["classifier"]


@METRICS.register("class_accuracy")
def class_accuracy(ctx: EvalContext) -> dict[str, Any]:
    """Share of conditional samples that the domain classifier assigns to the requested class.

    `per_class` samples of every class from fixed seeds; also reports each class's accuracy and the
    classifier's own held-out accuracy on real images (the ceiling this number can reach).
    """
    from duelo.sampling.generate import generate

    if ctx.G.c_dim == 0 or ctx.labels is None:
        return {}
    classifier = domain_classifier(ctx)
    classes = ctx.G.c_dim
    labels = torch.arange(classes).repeat_interleave(ctx.per_class)                     # (classes * per_class,)
    seeds = [EVAL_SEED_BASE + i for i in range(len(labels))]
    predicted = classifier.predict(generate(ctx.G, seeds, labels))
    correct = (predicted == labels).float()
    per_class = correct.view(classes, ctx.per_class).mean(1)
    return {"class_accuracy": round(float(correct.mean()), 4),
            "class_accuracy_per_class": [round(float(a), 4) for a in per_class],
            "class_accuracy_samples": int(len(labels)),
            "classifier_real_accuracy": round(classifier.val_accuracy, 4)}


def evaluate(ctx: EvalContext, names: list[str]) -> dict[str, Any]:
    """Run the named metrics. Global RNG states are saved and restored around them (building a network
    draws from torch's global generator), so evaluating in the middle of training never changes it."""
    results: dict[str, Any] = {}
    # only GPUs already in use: forking the RNG of an untouched GPU would initialise CUDA for a CPU run
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        for name in names:
            results.update(METRICS.get(name)(ctx))
    return results


from duelo.evaluation import class_metrics, distribution  # noqa: E402,F401  (register their metrics)
