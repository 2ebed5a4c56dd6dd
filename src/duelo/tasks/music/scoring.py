"""The summary's scores of generated piano-roll windows against held-out chorale windows (scores.py), every one
beside the figure of real held-out windows (`*_real`):

    histogram_distance   L1 distance of the pitch-class histogram to the held-out windows' (real: as many training
                         windows against the held-out ones, the floor)
    in_key               share of sounding sixteenths in the best-fitting major or minor scale of each window
    used_pitch_classes, polyphony, qualified_notes, range_violations   per window, averaged
    longest_shared       memorisation: the longest soprano run (notes) found in a training chorale, averaged
    mode_in_key          conditional models: the in-key share under the asked mode's scale (C major / A minor);
                         weak, as the two scales share seven pitch classes: mode_accuracy is the test
    mode_accuracy        conditional models: share of windows whose mode (major / minor) a classifier trained on the
                         training windows reads as the one asked (real: the held-out windows' own modes;
                         mode_majority: the score of a model that ignores the condition and always plays the more
                         common mode)
    real_vs_generated    accuracy of a classifier telling generated windows from held-out ones, cross-fitted (each
                         window judged by a model that never saw it): 0.5 = it cannot tell them apart, 1 = always
                         can (real: as many training windows against the held-out ones)
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.tasks.music import scores
from duelo.tasks.music.data import onsets_of, unroll

MEMORISATION_WINDOWS = 100
CLASSIFIER_FOLDS = 5


def best_in_key(pitch: np.ndarray) -> float:
    return max(scores.in_key(pitch, tonic, mode) for tonic in range(12) for mode in (0, 1))


def _measure(rolls: torch.Tensor, runs: scores.SharedRuns) -> dict:
    pitches = unroll(rolls)                                                      # (N, T, voices)
    rows = []
    for pitch in pitches:
        onset = onsets_of(pitch)
        row = scores.piece_scores(pitch, onset, 0, 0)
        row["in_key"] = best_in_key(pitch)
        rows.append(row)
    out = {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}
    shared = [runs.longest_run(scores.melody(p, onsets_of(p))) for p in pitches[:MEMORISATION_WINDOWS]]
    out["longest_shared"] = float(np.mean(shared))
    out["histogram"] = scores.pitch_class_histogram(pitches, 0)
    out["pitches"] = pitches
    return out


def _mode_in_key(pitches: np.ndarray, modes: list[int]) -> float:
    """In-key share under each window's asked mode: C major (0) or A minor (1)."""
    return round(float(np.mean([scores.in_key(p, 9 if m else 0, int(m)) for p, m in zip(pitches, modes)])), 4)


def window_features(pitches: np.ndarray) -> np.ndarray:
    """(N, T, V) MIDI pitches (0 = rest) -> (N, k): each voice's line step by step (pitch and onsets), its sounding
    share, register, spread, notes and mean leap; the pitch-class histogram; the vertical intervals between
    neighbouring voices (mod 12)."""
    n, steps, voices = pitches.shape
    pitch = pitches.astype(np.float64)
    sounding = pitch > 0
    onset = np.stack([onsets_of(p) for p in pitches]).astype(np.float64)            # (N, T, V)
    parts = [pitch.reshape(n, -1), onset.reshape(n, -1), sounding.mean(axis=1), onset.sum(axis=1) / steps]
    count = np.maximum(sounding.sum(axis=1), 1)
    mean = (pitch * sounding).sum(axis=1) / count
    parts += [mean, np.sqrt(((pitch - mean[:, None]) ** 2 * sounding).sum(axis=1) / count)]
    leaps = np.abs(np.diff(pitch, axis=1)) * (sounding[:, 1:] & sounding[:, :-1])
    parts.append(leaps.sum(axis=1) / np.maximum(onset.sum(axis=1), 1))
    classes = np.where(sounding, pitches % 12, 12)
    parts.append(np.stack([(classes == k).mean(axis=(1, 2)) for k in range(12)], axis=1))
    if voices > 1:
        both = sounding[:, :, 1:] & sounding[:, :, :-1]
        gaps = np.where(both, np.abs(pitch[:, :, 1:] - pitch[:, :, :-1]) % 12, 12)
        parts.append(np.stack([(gaps == k).mean(axis=(1, 2)) for k in range(12)], axis=1))
    return np.concatenate([part.reshape(n, -1) for part in parts], axis=1)


def real_vs_generated(one: np.ndarray, other: np.ndarray, seed: int, one_pieces: np.ndarray | None = None,
                      other_pieces: np.ndarray | None = None) -> float | None:
    """Cross-fitted accuracy of a random forest telling two sets of windows apart, as many of each drawn at random;
    windows of one piece (`*_pieces`, e.g. a chorale's overlapping windows) stay in one fold, so the forest cannot
    win by knowing a piece; None with fewer than two windows (or pieces) a fold on either side. (Gradient-boosted
    trees were tried first: their leaves of at least 20 windows cannot split a few dozen windows at all.)"""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    rng = np.random.default_rng(seed)
    count = min(len(one), len(other))
    pick_one, pick_other = rng.permutation(len(one))[:count], rng.permutation(len(other))[:count]
    groups = np.concatenate([_groups(one_pieces, pick_one, 0), _groups(other_pieces, pick_other, len(one))])
    folds = min(CLASSIFIER_FOLDS, *(len(np.unique(part)) for part in (groups[:count], groups[count:])))
    if count < 2 * CLASSIFIER_FOLDS or folds < 2:
        return None
    x = window_features(np.concatenate([one[pick_one], other[pick_other]]))
    y = np.repeat([0, 1], count)
    model = RandomForestClassifier(n_estimators=100, random_state=seed)
    guess = cross_val_predict(model, x, y, groups=groups,
                              cv=StratifiedGroupKFold(folds, shuffle=True, random_state=seed))
    return round(float((guess == y).mean()), 4)


def mode_accuracy(train: np.ndarray, train_modes: np.ndarray, held: np.ndarray, held_modes: np.ndarray,
                  fake: np.ndarray, fake_modes: np.ndarray, seed: int) -> tuple[float, float] | None:
    """(generated, held-out) share of windows a random forest trained on the training windows' modes reads as the
    asked (or, for real windows, the labelled) mode; None when the training windows hold a single mode."""
    from sklearn.ensemble import RandomForestClassifier

    if len(np.unique(train_modes)) < 2:
        return None
    model = RandomForestClassifier(n_estimators=100, random_state=seed).fit(window_features(train), train_modes)
    return tuple(round(float((model.predict(window_features(x)) == np.asarray(y)).mean()), 4)
                 for x, y in ((fake, fake_modes), (held, held_modes)))


def _groups(pieces: np.ndarray | None, picked: np.ndarray, offset: int) -> np.ndarray:
    """Each window's group: its piece when known (pieces share one numbering), else a group of its own."""
    if pieces is None:
        return -1 - (offset + picked)                       # negative: apart from every piece number
    return np.asarray(pieces)[picked]


def score_rolls(data, fake: torch.Tensor, modes: torch.Tensor | None, seed: int = 0) -> dict:
    held = data.heldout.rolls
    generator = torch.Generator().manual_seed(seed)
    count = min(len(fake), len(held))
    train_index = torch.randperm(len(data.train), generator=generator)[:count]
    train = data.train.rolls[train_index]
    runs = scores.SharedRuns(data.train_melodies)               # n-gram tables shared by the three readings
    got, real, floor = (_measure(rolls, runs) for rolls in (fake, held, train))
    out: dict = {"samples": len(fake)}
    out["histogram_distance"] = round(scores.histogram_distance(got["histogram"], real["histogram"]), 4)
    out["histogram_distance_real"] = round(scores.histogram_distance(floor["histogram"], real["histogram"]), 4)
    for key in ("in_key", "used_pitch_classes", "polyphony", "qualified_notes", "range_violations",
                "longest_shared"):
        out[key] = round(got[key], 4)
        out[f"{key}_real"] = round(real[key], 4)
    held_pieces = data.heldout.pieces.numpy()
    told = real_vs_generated(got["pitches"], real["pitches"], seed, None, held_pieces)
    if told is not None:                                        # too few held-out windows: left out
        out["real_vs_generated"] = told
        out["real_vs_generated_real"] = real_vs_generated(floor["pitches"], real["pitches"], seed,
                                                          data.train.pieces[train_index].numpy(), held_pieces)
    if modes is not None:
        out["mode_in_key"] = _mode_in_key(got["pitches"], modes.tolist())
        out["mode_in_key_real"] = _mode_in_key(real["pitches"], data.heldout.modes.tolist())
        train_modes = data.train.modes.numpy()
        read = mode_accuracy(unroll(data.train.rolls), train_modes, real["pitches"], data.heldout.modes.numpy(),
                             got["pitches"], modes.numpy(), seed)
        if read is not None:
            out["mode_accuracy"], out["mode_accuracy_real"] = read
            out["mode_majority"] = round(float(np.bincount(modes.numpy()).max() / len(modes)), 4)
    return out
