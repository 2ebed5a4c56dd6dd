"""The summary's scores of generated clips, read by the dataset's scoring classifier (scorer.py), each beside the
figure of real held-out clips (`*_real`):

    fd                   Fréchet distance of the classifier's features, generated vs held-out clips; fd_real:
                         as many training clips vs the held-out ones (the floor a perfect model would reach)
    score                inception-score-like: exp(E KL(p(y|x) || p(y))) over the first factor's classes
                         (instrument / kind / language): high when clips are recognisable and varied
    <factor>_accuracy    conditional models: the share of clips the classifier puts in the class they were asked
                         for, per factor (pitch_accuracy, instrument_accuracy); *_real: its accuracy on held-out clips;
                         *_train: on as many training clips, the ones G learns from (with data.split=copies the
                         held-out clips are other recordings, which the classifier names less often)
    <factor>_accuracy_by_class   conditional models: {class name: that share among the clips asked for the class}
                         (a class G's clips are never heard as shows as 0)
    <factor>_spread      share of the factor's classes the classifier finds among the clips (mode collapse shows)
    loudness_db          mean RMS level in dB full scale (silence and clipping show)
    floor_level          the level a quarter of the cells of a 2048-point spectral picture (7.8 Hz bins: a
                         note's harmonics apart) stay below, in the pictures' [-1, 1] log-magnitude units: the
                         silence between harmonics, which a generator's noise floor raises (a floor costs the
                         instrument: docs/benchmarks.md, "What costs the instrument")
    envelope_error_db    how far the clips' shape over time is from the real clips': the level (dB FS, floored
                         at ENVELOPE_FLOOR_DB, the judge's range) of each of ENVELOPE_SEGMENTS equal parts of
                         the clip, averaged over the clips of a class (a conditional model's first factor: a
                         note's instrument; one class otherwise), the mean absolute difference from the
                         held-out clips' of the same class, averaged over classes (a piano that swells where
                         the real one decays shows here); *_real: as many training clips against the held-out
                         ones (the floor)
"""

from __future__ import annotations

import math

import numpy as np
import torch

from duelo.evaluation.frechet import FeatureStats, frechet_distance


REFERENCES = ("_real", "_train")     # the suffixes of the real clips' figures, which no G changes


def inception_like(probabilities: torch.Tensor) -> float:
    p = probabilities.double().clamp_min(1e-12)
    marginal = p.mean(dim=0, keepdim=True)
    return float(torch.exp((p * (p.log() - marginal.log())).sum(dim=1).mean()))


def floor_level(waves: torch.Tensor, share: float = 0.25) -> float:
    from duelo.tasks.audio.spectral import HIGH_RESOLUTION

    if not len(waves):
        return math.nan
    cells = torch.cat([HIGH_RESOLUTION.encode(chunk)[:, 0].flatten() for chunk in waves.split(256)])
    return float(cells.kthvalue(max(1, round(share * len(cells)))).values)     # exact; no size limit (quantile's)


ENVELOPE_SEGMENTS = 8
ENVELOPE_FLOOR_DB = -80.0


def envelope_db(waves: torch.Tensor) -> torch.Tensor:
    """(ENVELOPE_SEGMENTS,) the level of each equal part of the clips in dB FS: their mean power, floored."""
    length = waves.shape[1] // ENVELOPE_SEGMENTS * ENVELOPE_SEGMENTS
    power = waves[:, :length].double().reshape(len(waves), ENVELOPE_SEGMENTS, -1).pow(2).mean(dim=(0, 2))
    return (10 * power.log10()).clamp_min(ENVELOPE_FLOOR_DB)


def envelope_error_db(waves: torch.Tensor, classes: torch.Tensor | None, reference: torch.Tensor,
                      reference_classes: torch.Tensor | None) -> float:
    """The mean absolute difference of the envelopes (envelope_db) of the clips of each class and of the reference
    clips of the same class, in dB, averaged over the classes both hold (None: all clips one class)."""
    if classes is None or reference_classes is None:
        classes, reference_classes = torch.zeros(len(waves)), torch.zeros(len(reference))
    gaps = [(envelope_db(waves[classes == c]) - envelope_db(reference[reference_classes == c])).abs().mean()
            for c in torch.unique(classes).tolist() if bool((reference_classes == c).any())]
    return float(torch.stack(gaps).mean()) if gaps else math.nan


def loudness_db(waves: torch.Tensor) -> float:
    rms = waves.double().pow(2).mean(dim=1).sqrt().clamp_min(1e-6)
    return float((20 * rms.log10()).mean())


def _accuracy(probabilities: torch.Tensor, truth: torch.Tensor | int) -> float:
    return round(float((probabilities.argmax(1) == truth).double().mean()), 4)


def score_clips(data, scorer, fake: torch.Tensor, labels: torch.Tensor | None, device, seed: int = 0) -> dict:
    """fake: (N, L) waves; labels: the combined labels they were asked for (conditional models) or None."""
    from duelo.tasks.audio.networks import split_labels
    from duelo.tasks.audio.scorer import predict

    held = torch.from_numpy(data.heldout.floats())
    generator = torch.Generator().manual_seed(seed)
    count = min(len(fake), len(data.train))
    order = torch.randperm(len(data.train), generator=generator)
    train = torch.from_numpy(data.train.floats()[order[:count]])
    (f_fake, p_fake), (f_held, p_held), (f_train, p_train) = (predict(scorer, w, device) for w in (fake, held, train))
    out: dict = {"samples": len(fake), "heldout_clips": len(held)}
    stats_held = FeatureStats.from_features(f_held)
    out["fd"] = round(frechet_distance(FeatureStats.from_features(f_fake), stats_held), 4)
    out["fd_real"] = round(frechet_distance(FeatureStats.from_features(f_train), stats_held), 4)
    out["score"] = round(inception_like(p_fake[0]), 3)
    out["score_real"] = round(inception_like(p_held[0]), 3)
    asked = None if labels is None else split_labels(labels.cpu(), data.factors)
    for f, name in enumerate(data.train.factors):
        out[f"{name}_accuracy_real"] = _accuracy(p_held[f], torch.from_numpy(data.heldout.labels[:, f]))
        out[f"{name}_accuracy_train"] = _accuracy(p_train[f], torch.from_numpy(data.train.labels[:, f])[order[:count]])
        if asked is not None:
            out[f"{name}_accuracy"] = _accuracy(p_fake[f], asked[f])
            out[f"{name}_accuracy_by_class"] = {data.train.class_names[f][c]: _accuracy(p_fake[f][asked[f] == c], c)
                                                 for c in torch.unique(asked[f]).tolist()}
        classes = data.factors[f]
        out[f"{name}_spread"] = round(len(torch.unique(p_fake[f].argmax(1))) / classes, 4)
        out[f"{name}_spread_real"] = round(len(torch.unique(p_held[f].argmax(1))) / classes, 4)
    out["loudness_db"] = round(loudness_db(fake), 2)
    out["loudness_db_real"] = round(loudness_db(held), 2)
    out["floor_level"] = round(floor_level(fake), 3)
    out["floor_level_real"] = round(floor_level(held), 3)
    fake_class = held_class = train_class = None                     # unconditional: all clips one class
    if asked is not None:
        fake_class, held_class = asked[0], torch.from_numpy(data.heldout.labels[:, 0])
        train_class = torch.from_numpy(data.train.labels[:, 0])[order[:count]]
    out["envelope_error_db"] = round(envelope_error_db(fake, fake_class, held, held_class), 2)
    out["envelope_error_db_real"] = round(envelope_error_db(train, train_class, held, held_class), 2)
    finite = all(not isinstance(v, float) or math.isfinite(v) for v in out.values())
    if not finite or not np.isfinite(fake.numpy()).all():
        out["note"] = "generated clips hold NaN or infinite samples"
    return out
