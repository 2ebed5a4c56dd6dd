"""The gain from synthetic data: does adding a GAN's labelled samples to a small real training set make a
classifier better on real test data? The same classifier (duelo's domain CNN, evaluation/domain_classifier.py:
at least 400 optimiser steps, random shifts) is trained on the real set alone and on the real set plus the
synthetic samples, with the same seed, `repeats` times with different seeds; the gain is the accuracy
difference on the real test set, reported as its mean with a 95 % confidence interval over the paired repeats
(Student's t). The test set must be real images the GAN never saw, or the gain is inflated.
"""

from __future__ import annotations

import math
import statistics

import torch

T_975 = {1: 12.71, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def interval(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high) of a 95 % t-interval; a single value gives (value, nan, nan)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = T_975.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def accuracy(trained, images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((trained.predict(images) == labels).float().mean())


def augment_gain(real: torch.Tensor, real_labels: torch.Tensor, test: torch.Tensor, test_labels: torch.Tensor,
                 synthetic: torch.Tensor, synthetic_labels: torch.Tensor, classes: int, repeats: int = 3,
                 seed: int = 0, log=None) -> dict:
    from duelo.evaluation.domain_classifier import judge_steps, train_classifier

    steps = judge_steps()                                    # DUELO_JUDGE_STEPS: fewer steps for quick checks
    mixed, mixed_labels = torch.cat([real, synthetic]), torch.cat([real_labels, synthetic_labels])
    rows = []
    for r in range(repeats):
        alone = train_classifier(real, real_labels, classes, seed=seed + r, val_fraction=0.01, steps=steps)
        both = train_classifier(mixed, mixed_labels, classes, seed=seed + r, val_fraction=0.01, steps=steps)
        row = {"seed": seed + r, "real_only": accuracy(alone, test, test_labels),
               "real_plus_synthetic": accuracy(both, test, test_labels)}
        row["gain"] = row["real_plus_synthetic"] - row["real_only"]
        rows.append(row)
        if log:
            log(f"augment-gain: repeat {r + 1}/{repeats}: {row['real_only']:.3f} -> {row['real_plus_synthetic']:.3f}")
    gain, low, high = interval([row["gain"] for row in rows])
    return {"real_images": len(real), "synthetic_images": len(synthetic), "test_images": len(test),
            "repeats": repeats, "real_only": round(statistics.fmean(r["real_only"] for r in rows), 4),
            "real_plus_synthetic": round(statistics.fmean(r["real_plus_synthetic"] for r in rows), 4),
            "gain": round(gain, 4), "gain_ci95": [round(low, 4), round(high, 4)], "runs": rows}
