"""The summary's scores of generated piano-roll windows against held-out chorale windows (scores.py), every one
beside the figure of real held-out windows (`*_real`):

    histogram_distance   L1 distance of the pitch-class histogram to the held-out windows' (real: as many training
                         windows against the held-out ones, the floor)
    in_key               share of sounding sixteenths in the best-fitting major or minor scale of each window
    used_pitch_classes, polyphony, qualified_notes, range_violations   per window, averaged
    longest_shared       memorisation: the longest soprano run (notes) found in a training chorale, averaged
    mode_in_key          conditional models: the in-key share under the asked mode's scale (C major / A minor)
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.tasks.music import scores
from duelo.tasks.music.data import onsets_of, unroll

MEMORISATION_WINDOWS = 100


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


def score_rolls(data, fake: torch.Tensor, modes: torch.Tensor | None, seed: int = 0) -> dict:
    held = data.heldout.rolls
    generator = torch.Generator().manual_seed(seed)
    count = min(len(fake), len(held))
    train = data.train.rolls[torch.randperm(len(data.train), generator=generator)[:count]]
    runs = scores.SharedRuns(data.train_melodies)               # n-gram tables shared by the three readings
    got, real, floor = (_measure(rolls, runs) for rolls in (fake, held, train))
    out: dict = {"samples": len(fake)}
    out["histogram_distance"] = round(scores.histogram_distance(got["histogram"], real["histogram"]), 4)
    out["histogram_distance_real"] = round(scores.histogram_distance(floor["histogram"], real["histogram"]), 4)
    for key in ("in_key", "used_pitch_classes", "polyphony", "qualified_notes", "range_violations",
                "longest_shared"):
        out[key] = round(got[key], 4)
        out[f"{key}_real"] = round(real[key], 4)
    if modes is not None:
        out["mode_in_key"] = _mode_in_key(got["pitches"], modes.tolist())
        out["mode_in_key_real"] = _mode_in_key(real["pitches"], data.heldout.modes.tolist())
    return out
