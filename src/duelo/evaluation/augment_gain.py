"""The gain from synthetic data: does adding a GAN's labelled samples to a small real training set make a
classifier better on real test data? The same classifier is trained on the real set alone ("real_only") and on
the real set plus the synthetic samples ("real_plus_synthetic"), and optionally on other arms (tables add
"real_plus_copies": the real rows of the augmented class repeated as often as the synthetic ones are added,
plain oversampling, the baseline a GAN has to beat). Each of `repeats` paired repeats uses one seed for every
arm; the gain of an arm is its metric minus real_only's, reported as its mean with a 95 % confidence interval
over the repeats (Student's t). The test set must be real data the GAN never saw, or the gain is inflated.

What is a "set", how a classifier is trained and scored, and which metric heads the report is the caller's
(images here: duelo's domain CNN and accuracy; series and tables in their tasks' augment.py); `compare` does the
pairing and the statistics for all of them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

import torch

T_975 = {1: 12.71, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}
BASE = "real_only"
SYNTHETIC = "real_plus_synthetic"
PRETRAINED = "synthetic_then_real"          # --pretrain: trained on the synthetic items, then fine-tuned on the real
MIXTURES = "real_plus_mixtures"             # --soft's control: teacher-labelled blends of real items instead of G's
ARM_WORDS = {MIXTURES: "real plus blends of real items"}   # how the summary line names an arm


def interval(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high) of a 95 % t-interval; a single value gives (value, nan, nan)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = T_975.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def compare(arms: Callable[[int], dict[str, Any]], score: Callable[[Any, int], dict[str, float]], metric: str,
            repeats: int = 3, seed: int = 0, log: Callable[[str], None] | None = None) -> dict:
    """arms(seed) -> {arm name: training set} (must hold BASE and SYNTHETIC); score(training set, seed) ->
    {metric name: value on the real test set}. Returns the averaged metrics of every arm, each other arm's gain
    over BASE on `metric` with its interval, and every repeat's figures; the headline keys `real_only`,
    `real_plus_synthetic`, `gain` and `gain_ci95` are `metric`'s."""
    rows = []
    for r in range(repeats):
        sets = arms(seed + r)
        if BASE not in sets or SYNTHETIC not in sets:
            raise ValueError(f"arms() must return {BASE} and {SYNTHETIC}; got {', '.join(sets)}")
        row = {"seed": seed + r, "arms": {name: score(data, seed + r) for name, data in sets.items()}}
        row["gains"] = {name: row["arms"][name][metric] - row["arms"][BASE][metric] for name in sets if name != BASE}
        rows.append(row)
        if log:
            figures = ", ".join(f"{name} {values[metric]:.3f}" for name, values in row["arms"].items())
            log(f"augment-gain: repeat {r + 1}/{repeats}: {metric} {figures}")
    names = list(rows[0]["arms"])
    means = {name: {key: round(statistics.fmean(row["arms"][name][key] for row in rows), 4)
                    for key in rows[0]["arms"][name]} for name in names}
    gains = {}
    for name in [n for n in names if n != BASE]:
        mean, low, high = interval([row["gains"][name] for row in rows])
        gains[name] = {"gain": round(mean, 4), "ci95": [round(low, 4), round(high, 4)]}
    return {"metric": metric, "repeats": repeats, BASE: means[BASE][metric], SYNTHETIC: means[SYNTHETIC][metric],
            "gain": gains[SYNTHETIC]["gain"], "gain_ci95": gains[SYNTHETIC]["ci95"], "arms": means, "gains": gains,
            "runs": rows}


def describe(result: dict, unit: str = "data") -> str:
    """One line for the terminal: the headline metric without and with the synthetic data, and the gain (accuracy
    in percent and points, other metrics as they are)."""
    metric = result["metric"]
    percent = metric == "accuracy"
    show = (lambda v: f"{100 * v:.1f} %") if percent else (lambda v: f"{v:.3f}")
    signed = (lambda v: f"{100 * v:+.1f}") if percent else (lambda v: f"{v:+.3f}")
    points = " points" if percent else ""
    low, high = result["gain_ci95"]
    ci = "" if low != low else f" (95 % CI {signed(low)} to {signed(high)})"
    line = (f"test {metric} {show(result[BASE])} on the real {unit} alone, {show(result[SYNTHETIC])} with the "
            f"synthetic ones: {signed(result['gain'])}{points}{ci} over {result['repeats']} repeat(s)")
    for name, gain in result["gains"].items():
        if name != SYNTHETIC:
            line += (f"; {ARM_WORDS.get(name, name.replace('_', ' '))}: {show(result['arms'][name][metric])} "
                     f"({signed(gain['gain'])}{points})")
    return line


FILTER_DRAWS = 4          # with a filter, this many candidates are drawn per kept item at most


def agreed(probabilities: torch.Tensor, labels: torch.Tensor, per_class: int, threshold: float) -> torch.Tensor:
    """Indices (in draw order) of at most `per_class` items of every class whose asked class has probability >=
    `threshold` under a classifier trained on the real set alone: (N, classes) probabilities, (N,) asked labels."""
    asked = probabilities.gather(1, labels[:, None])[:, 0] >= threshold                  # (N,)
    return torch.cat([torch.nonzero(asked & (labels == c))[:per_class, 0] for c in labels.unique()])


def balancing_copies(real: int, synthetic: int) -> int:
    """How often `--balance` repeats the real items: until they are at least as many as the synthetic ones."""
    return max(1, -(-synthetic // max(1, real)))


def blend(a: torch.Tensor, b: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """weights * a + (1 - weights) * b item by item ((N,) weights), in a's dtype (integers rounded)."""
    w = weights.view(-1, *[1] * (a.dim() - 1))
    mixed = w * a.float() + (1 - w) * b.float()
    return mixed.round().to(a.dtype) if not a.is_floating_point() else mixed.to(a.dtype)


def compare_chosen(real: tuple, synthetic: tuple, test: tuple, fit: Callable[..., Any],
                   join: Callable[..., tuple], take: Callable[[tuple, torch.Tensor], tuple], repeats: int = 3,
                   seed: int = 0, log=None, per_class: int | None = None, threshold: float = 0.0,
                   balance: bool = False, unit: str = "items", pretrain: bool = False, soft: bool = False,
                   mix: Callable[[tuple, torch.Tensor, torch.Tensor, torch.Tensor], tuple] | None = None) -> dict:
    """`compare` for classifiers scored by accuracy, with `--filter`, `--balance`, `--pretrain` and `--soft`, for
    any kind of item. A set is a tuple (items, labels, *extra) (series add their lengths); fit(set, seed,
    init=None) -> a classifier (its network in `.model`) with probabilities(items, *extra) -> (N, classes), started
    from `init`'s weights when given; join(*sets) -> one set; take(set, index) -> its rows at index.

    With `threshold` > 0, `synthetic` are candidates: in every repeat the real-only classifier (the same seed's)
    keeps at most `per_class` of each class that it names as their asked class with at least that probability.
    With `balance`, the real items are repeated in the mixed set until they are at least as many as the synthetic
    ones, so that the small real set is not drowned in the batches. With `pretrain`, a third arm (PRETRAINED)
    trains the classifier on the (kept) synthetic items alone and then goes on training it on the real set alone,
    each for the classifier's usual steps (twice the others' training).

    With `soft`, the synthetic items are labelled not with the class G was asked for but with the real-only
    classifier's probabilities (that classifier is the teacher, the new one its student; the real items keep their
    labels, as one-hot rows). A control arm (MIXTURES) gets as many teacher-labelled blends of two random real
    items (mix(set, first, second, weights) -> a set; weights uniform in [0, 1]) in place of G's: the same
    distillation without the GAN, so that what G adds is told from what the teacher's labels add.

    Returns compare's result with real_<unit>, synthetic_<unit> (the mean kept with a filter), test_<unit> and the
    filter's, balance's, pretrain's and soft's record."""
    if soft and mix is None:
        raise ValueError("soft labels need mix(), which makes the control arm's blends of real items")
    trained: dict = {}                                       # (arm, seed) -> classifier: the filter reuses BASE's
    kept: list[int] = []
    rebuilt = (SYNTHETIC, PRETRAINED, MIXTURES)              # arms trained afresh in every repeat

    def classifier(arm: str, data: tuple, arm_seed: int):
        if (arm, arm_seed) not in trained:
            if arm == PRETRAINED:                            # data: (synthetic set, real set), in that order
                trained[arm, arm_seed] = fit(data[1], arm_seed, init=fit(data[0], arm_seed).model)
            else:
                trained[arm, arm_seed] = fit(data, arm_seed)
        return trained[arm, arm_seed]

    def relabel(teacher, data: tuple, classes: int, probabilities: torch.Tensor | None = None) -> tuple:
        """data with the teacher's probabilities as labels (given when already computed); none for no items."""
        if probabilities is None:
            probabilities = (teacher.probabilities(data[0], *data[2:]) if len(data[0])
                             else torch.zeros(0, classes))
        return (data[0], probabilities.float().cpu(), *data[2:])

    def arms(arm_seed: int) -> dict:
        extra, blends, probabilities = synthetic, None, None
        if threshold > 0 or soft:
            teacher = classifier(BASE, real, arm_seed)
        if threshold > 0:
            probabilities = teacher.probabilities(synthetic[0], *synthetic[2:])
            index = agreed(probabilities, synthetic[1], per_class or len(synthetic[0]), threshold)
            extra, probabilities = take(synthetic, index), probabilities[index]
            kept.append(len(index))
        own = real
        if soft:
            first = take(real, torch.tensor([0]))
            classes = teacher.probabilities(first[0], *first[2:]).shape[1]
            extra = relabel(teacher, extra, classes, probabilities)
            own = (real[0], torch.nn.functional.one_hot(real[1].long(), classes).float(), *real[2:])
            draw = torch.Generator().manual_seed(arm_seed)
            pairs = torch.randint(len(real[0]), (2, len(extra[0])), generator=draw)
            blends = relabel(teacher, mix(real, pairs[0], pairs[1], torch.rand(len(extra[0]), generator=draw)),
                             classes)
        copies = balancing_copies(len(real[0]), len(extra[0])) if balance else 1
        sets = {BASE: (BASE, real), SYNTHETIC: (SYNTHETIC, join(*[own] * copies, extra))}
        if pretrain:
            sets[PRETRAINED] = (PRETRAINED, (extra, real))
        if soft:
            sets[MIXTURES] = (MIXTURES, join(*[own] * copies, blends))
        return sets

    def score(arm_set: tuple, arm_seed: int) -> dict[str, float]:
        model = classifier(*arm_set, arm_seed)
        for arm in rebuilt:                                  # only the real-only classifier is asked again
            trained.pop((arm, arm_seed), None)
        predicted = model.probabilities(test[0], *test[2:]).argmax(1)
        return {"accuracy": float((predicted.cpu() == test[1].cpu()).float().mean())}

    result = compare(arms, score, "accuracy", repeats, seed, log)
    out = {f"real_{unit}": len(real[0]),
           f"synthetic_{unit}": round(statistics.fmean(kept)) if kept else len(synthetic[0]),
           f"test_{unit}": len(test[0]), **result}
    if threshold > 0:
        out["filter"] = {"threshold": threshold, "candidates": len(synthetic[0]), "kept": kept}
    if balance:
        out["balance"] = True
    if pretrain:
        out["pretrain"] = True
    if soft:
        out["soft"] = True
    return out


def augment_gain(real: torch.Tensor, real_labels: torch.Tensor, test: torch.Tensor, test_labels: torch.Tensor,
                 synthetic: torch.Tensor, synthetic_labels: torch.Tensor, classes: int, repeats: int = 3,
                 seed: int = 0, log=None, per_class: int | None = None, threshold: float = 0.0,
                 balance: bool = False, pretrain: bool = False, soft: bool = False) -> dict:
    """Images: duelo's domain CNN (evaluation/domain_classifier.py: at least 400 optimiser steps, random shifts)
    trained on each arm, scored by accuracy on the test images; `threshold`, `balance`, `pretrain` and `soft` as
    in compare_chosen (soft's control blends two real images pixel by pixel)."""
    from duelo.evaluation.domain_classifier import judge_steps, train_classifier

    steps = judge_steps()                                    # DUELO_JUDGE_STEPS: fewer steps for quick checks
    return compare_chosen(
        (real, real_labels), (synthetic, synthetic_labels), (test, test_labels),
        fit=lambda data, arm_seed, init=None: train_classifier(*data, classes, seed=arm_seed, val_fraction=0.01,
                                                               steps=steps, init=init),
        join=lambda *sets: (torch.cat([s[0] for s in sets]), torch.cat([s[1] for s in sets])),
        take=lambda data, index: (data[0][index], data[1][index]),
        repeats=repeats, seed=seed, log=log, per_class=per_class, threshold=threshold, balance=balance,
        unit="images", pretrain=pretrain, soft=soft,
        mix=lambda data, first, second, weights: (blend(data[0][first], data[0][second], weights),
                                                  data[1][first]))
