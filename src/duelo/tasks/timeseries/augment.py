"""The gain from synthetic windows (`duelo augment-gain RUN --real SMALL --test TEST` on a class-conditional
time-series run): a window classifier (duelo.evaluation.window_classifier.train_window_classifier: the
convolutional encoder with a class head, 1,000 Adam steps; DUELO_JUDGE_STEPS sets fewer for quick checks) trained
on the small real set alone and on it plus `per_class` generated windows of every class, scored by accuracy on the
real test windows; `--filter`, `--balance`, `--pretrain` and `--soft` work as for images. SMALL and TEST are anything
`--dataset` takes (an .npz of labelled windows, a labelled CSV, a registered source), cut at the model's window
length; their class names are matched to the model's by name. Every set is put on the model's scale (its [-1, 1]
from the training data's per-channel range), so real and generated windows read alike."""

from __future__ import annotations

from typing import Any

import torch

from duelo.errors import ConfigError

CLASSIFIER_STEPS = 1000


def _labelled(spec: str, flag: str, window: int, config: dict):
    """(windows on the model's scale, labels as the model's class indices, lengths or None) of one set."""
    from duelo.tasks.timeseries.data import load_series

    data = load_series(spec, window=window)
    if data.windows.shape[1:] != (window, len(config["columns"])):
        raise ConfigError(f"{flag} {spec}: windows of {tuple(data.windows.shape[1:])} (steps, channels); the model "
                          f"makes ({window}, {len(config['columns'])}) ({', '.join(config['columns'][:6])})")
    if data.labels is None:
        raise ConfigError(f"{flag} {spec}: the windows are unlabelled; give labelled windows (an .npz with "
                          f"`labels` and `class_names`, a CSV with a label column, or a labelled source)")
    names = list(config["class_names"])
    unknown = [name for name in data.class_names if name not in names]
    if unknown:
        raise ConfigError(f"{flag} {spec}: class(es) {', '.join(map(repr, unknown))} are not the model's "
                          f"({', '.join(map(repr, names))})")
    index = torch.tensor([names.index(name) for name in data.class_names])
    return to_model_scale(data.to_original(data.windows), config), index[data.labels], data.lengths


def to_model_scale(values: torch.Tensor, config: dict) -> torch.Tensor:
    """Original units -> the model's [-1, 1] (its training data's per-channel low/high)."""
    low = torch.tensor(config["low"], dtype=torch.float64)
    high = torch.tensor(config["high"], dtype=torch.float64)
    return ((values.double() - low) / (high - low).clamp_min(1e-12) * 2 - 1).float()


def _join(*sets):
    """One training set from (windows, labels, lengths or None) triples."""
    windows = torch.cat([s[0] for s in sets])
    lengths = None
    if any(s[2] is not None for s in sets):
        lengths = torch.cat([s[2] if s[2] is not None else torch.full((len(s[0]),), s[0].shape[1]) for s in sets])
    return windows, torch.cat([s[1] for s in sets]), lengths


def _mix(data: tuple, first: torch.Tensor, second: torch.Tensor, weights: torch.Tensor) -> tuple:
    """Blends of windows `first` and `second` of a (windows, labels, lengths or None) set, `weights` of the first."""
    from duelo.evaluation.augment_gain import blend

    lengths = None if data[2] is None else torch.minimum(data[2][first], data[2][second])
    return blend(data[0][first], data[0][second], weights), data[1][first], lengths


def augment_series(run, real_spec: str, test_spec: str, per_class: int, repeats: int = 3, seed: int = 0,
                   log=None, threshold: float = 0.0, balance: bool = False, pretrain: bool = False,
                   soft: bool = False) -> dict[str, Any]:
    """The comparison's result (duelo.evaluation.augment_gain.compare) plus what was compared.

    With `threshold` > 0, FILTER_DRAWS x `per_class` windows of every class are candidates: in every repeat the
    real-only classifier (the same seed's) keeps at most `per_class` of each class that it names as their asked
    class with at least that probability. With `balance`, the real windows are repeated in the mixed set until
    they are at least as many as the synthetic ones (as for images). With `pretrain`, a third arm trains on the
    synthetic windows first and then on the real ones (compare_chosen). With `soft`, the synthetic windows are
    labelled with the real-only classifier's probabilities, beside a control arm of teacher-labelled blends of two
    real windows (step by step; of unequal lengths, the shorter one's length)."""
    from duelo.evaluation.augment_gain import FILTER_DRAWS, compare_chosen
    from duelo.evaluation.domain_classifier import judge_steps
    from duelo.evaluation.window_classifier import train_window_classifier
    from duelo.tasks.timeseries.model_io import generate_windows, load_series_model

    steps = judge_steps() or CLASSIFIER_STEPS          # DUELO_JUDGE_STEPS: fewer steps for quick checks
    G, config = load_series_model(run)
    if not G.c_dim:
        raise ConfigError(f"{run} is unconditional; the gain needs labelled synthetic windows: train with "
                          f"--conditional")
    classes = G.c_dim
    drawn_per_class = per_class * (FILTER_DRAWS if threshold > 0 else 1)
    drawn = [generate_windows(G, config, drawn_per_class, seed=seed * 1_000_003 + c, label=c) for c in range(classes)]
    window = drawn[0][0].shape[1]
    synthetic = _join(*[(to_model_scale(v, config), torch.full((drawn_per_class,), c), n)
                        for c, (v, _, n) in enumerate(drawn)])
    real = _labelled(real_spec, "--real", window, config)
    test = _labelled(test_spec, "--test", window, config)
    if log:
        what = (f"at most {per_class:,} per class of {len(synthetic[0]):,} drawn, kept where the real-only "
                f"classifier gives their class >= {threshold:g}") if threshold > 0 else f"{len(synthetic[0]):,}"
        log(f"augment-gain: {len(real[0]):,} real + {what} synthetic training windows of {window} steps, "
            f"{len(test[0]):,} test windows, {repeats} repeat(s)")
    return compare_chosen(
        real, synthetic, test,
        fit=lambda data, arm_seed, init=None: train_window_classifier(data[0], data[1], classes, seed=arm_seed,
                                                                      steps=steps, train_lengths=data[2], init=init),
        join=_join,
        take=lambda data, index: (data[0][index], data[1][index], None if data[2] is None else data[2][index]),
        repeats=repeats, seed=seed, log=log, per_class=per_class, threshold=threshold, balance=balance,
        unit="windows", pretrain=pretrain, soft=soft,
        mix=_mix) | {"classifier": f"duelo sequence encoder, {steps} steps"}
