"""Run registered metrics (duelo.evaluation.context.METRICS) on a generator; importing this module registers
every metric (class_metrics, distribution)."""

from __future__ import annotations

from typing import Any

import torch

from duelo.evaluation.context import (EVAL_SEED_BASE, METRICS, EvalContext, MetricInfo, domain_classifier, headline,
                                      is_better)


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


from duelo.evaluation import class_metrics, distribution  # noqa: E402,F401  (they register their metrics)

__all__ = ["EVAL_SEED_BASE", "METRICS", "EvalContext", "MetricInfo", "domain_classifier", "evaluate", "headline",
           "is_better"]
