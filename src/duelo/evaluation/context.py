"""The metrics registry and what a metric receives: an EvalContext (generator, real data, options, a cache
shared by the metrics of one evaluation). Each metric returns named figures for summary.json or eval.json,
and is registered with what callers need to know about it (MetricInfo): which way its headline figure is
better, which figure that is, and what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from duelo.registry import Registry

NEEDS = ("labels", "conditional", "inception")


@dataclass(frozen=True)
class MetricInfo:
    direction: str | None = None       # "lower" | "higher" is better for its headline figure; None: cannot rank
    figure:    str | None = None       # the headline figure's key in its results; None = the metric's own name
    needs:     tuple[str, ...] = ()    # of NEEDS: labelled real data, a class-conditional G, the Inception weights

    def __post_init__(self) -> None:
        assert self.direction in (None, "lower", "higher"), self.direction
        assert set(self.needs) <= set(NEEDS), self.needs


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


METRICS: Registry[Callable[[EvalContext], dict[str, Any]]] = Registry("metric", info=MetricInfo)

EVAL_SEED_BASE = 1_000_000   # evaluation seeds sit far from the grid seeds 0..n


def domain_classifier(ctx: EvalContext):
    from duelo.evaluation.domain_classifier import load_or_train_classifier

    if "classifier" not in ctx.cache:
        num_classes = int(ctx.labels.max()) + 1
        ctx.cache["classifier"] = load_or_train_classifier(ctx.images, ctx.labels, num_classes, ctx.fingerprint,
                                                           log=ctx.log)
    return ctx.cache["classifier"]


def headline(name: str) -> str:
    """The key of metric `name`'s headline figure in its results."""
    return METRICS.info(name).figure or name


def is_better(name: str, value: float, best: float | None) -> bool:
    """Is `value` of metric `name`'s headline figure better than `best` (None: nothing yet)?"""
    if best is None:
        return True
    return value < best if METRICS.info(name).direction == "lower" else value > best
