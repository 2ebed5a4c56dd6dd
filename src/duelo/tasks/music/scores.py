"""Scores of four-voice pieces on a sixteenth grid (pitch (T, 4) with 0 = rest, onset (T, 4)), written from their
definitions in the symbolic-music GAN literature (Dong et al. 2018, MuseGAN §5; Yang & Lerch 2020, "On the
evaluation of generative models in music"), each computed the same way for generated and real pieces:

    pitch_class_histogram   the share of sounding sixteenths per pitch class, relative to the key's tonic
    histogram_distance      L1 distance between two such histograms (0 = the same, 2 = disjoint)
    used_pitch_classes      distinct pitch classes per bar, averaged
    polyphony               sounding voices per sixteenth, averaged over sixteenths where any voice sounds
    in_key                  share of sounding sixteenths whose pitch class is in the piece's major or minor scale
    qualified_notes         share of notes lasting at least three sixteenths (MuseGAN's "qualified notes": shorter
                            ones are mostly fragments in generated rolls; in chorales they are passing notes)
    range_violations        share of sounding sixteenths outside each voice's usual range (SATB ranges)
    longest_shared          memorisation: the longest run of soprano notes (pitch sequence) shared with any training
                            piece, in notes
"""

from __future__ import annotations

from collections import Counter

import numpy as np

BAR = 16
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10, 11)                 # natural minor with the raised seventh of its harmony
# the usual ranges of soprano, alto, tenor and bass (MIDI): C4-G5, F3-D5, C3-G4, E2-C4
RANGES = ((60, 79), (53, 74), (48, 67), (40, 60))
MIN_QUALIFIED_STEPS = 3


def notes(pitch: np.ndarray, onset: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(voice, start, length, MIDI pitch) of every note: a note starts at an onset (or where the pitch changes)
    and lasts while its pitch sounds without a new onset."""
    found = []
    steps, voices = pitch.shape
    for v in range(voices):
        t = 0
        while t < steps:
            if pitch[t, v] == 0:
                t += 1
                continue
            end = t + 1
            while end < steps and pitch[end, v] == pitch[t, v] and not onset[end, v]:
                end += 1
            found.append((v, t, end - t, int(pitch[t, v])))
            t = end
    return found


def pitch_class_histogram(pitch: np.ndarray, tonic: int = 0) -> np.ndarray:
    sounding = pitch[pitch > 0].astype(np.int64)
    histogram = np.bincount((sounding - tonic) % 12, minlength=12).astype(np.float64)
    return histogram / max(1.0, histogram.sum())


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).sum())


def used_pitch_classes(pitch: np.ndarray) -> float:
    bars = [pitch[k:k + BAR] for k in range(0, len(pitch) - BAR + 1, BAR)] or [pitch]
    return float(np.mean([len(set((bar[bar > 0] % 12).tolist())) for bar in bars]))


def polyphony(pitch: np.ndarray) -> float:
    sounding = (pitch > 0).sum(1)
    return float(sounding[sounding > 0].mean()) if (sounding > 0).any() else 0.0


def in_key(pitch: np.ndarray, tonic: int, mode: int) -> float:
    sounding = pitch[pitch > 0].astype(np.int64)
    if not len(sounding):
        return 0.0
    scale = np.array(MINOR if mode == 1 else MAJOR)
    return float(np.isin((sounding - tonic) % 12, scale).mean())


def qualified_notes(pitch: np.ndarray, onset: np.ndarray) -> float:
    found = notes(pitch, onset)
    return float(np.mean([length >= MIN_QUALIFIED_STEPS for _, _, length, _ in found])) if found else 0.0


def range_violations(pitch: np.ndarray) -> float:
    sounding = pitch > 0
    if not sounding.any():
        return 0.0
    low = np.array([r[0] for r in RANGES[:pitch.shape[1]]])
    high = np.array([r[1] for r in RANGES[:pitch.shape[1]]])
    outside = sounding & ((pitch < low) | (pitch > high))
    return float(outside.sum() / sounding.sum())


def melody(pitch: np.ndarray, onset: np.ndarray, voice: int = 0) -> list[int]:
    return [p for v, _, _, p in notes(pitch, onset) if v == voice]


class SharedRuns:
    """Runs of notes shared with a set of melodies, answered from n-gram tables built once per length n (lazily,
    as a binary search over n asks for them): a run of n shared notes contains shared runs of every shorter
    length, so the longest shared length is found in log2(longest) table look-ups per melody."""

    def __init__(self, melodies: list[list[int]], longest: int = 64):
        self.melodies, self.longest = melodies, int(longest)
        self.tables: dict[int, Counter] = {}

    def _table(self, n: int) -> Counter:
        """n-gram -> in how many melodies it occurs."""
        if n not in self.tables:
            self.tables[n] = Counter(gram for seq in self.melodies
                                     for gram in {tuple(seq[k:k + n]) for k in range(len(seq) - n + 1)})
        return self.tables[n]

    def _shared(self, seq: list[int], n: int, own: bool) -> bool:
        table, need = self._table(n), 2 if own else 1
        return any(table[tuple(seq[k:k + n])] >= need for k in range(len(seq) - n + 1))

    def longest_run(self, seq: list[int], own: bool = False) -> int:
        """The longest run of `seq` found in the melodies (`own`: `seq` is one of them, so another must share it),
        up to `longest` notes."""
        low, high = 0, min(self.longest, len(seq))
        while low < high:
            middle = (low + high + 1) // 2
            if self._shared(seq, middle, own):
                low = middle
            else:
                high = middle - 1
        return low


def longest_shared(generated: list[int], training: list[list[int]], longest: int = 64) -> int:
    """The longest run of `generated` (a note-pitch sequence) found in any training sequence, up to `longest`."""
    return SharedRuns(training, longest).longest_run(generated)


def piece_scores(pitch: np.ndarray, onset: np.ndarray, tonic: int, mode: int) -> dict[str, float]:
    return {"used_pitch_classes": used_pitch_classes(pitch), "polyphony": polyphony(pitch),
            "in_key": in_key(pitch, tonic, mode), "qualified_notes": qualified_notes(pitch, onset),
            "range_violations": range_violations(pitch)}


def mean_scores(pieces: list[tuple[np.ndarray, np.ndarray, int, int]]) -> dict[str, float]:
    """The piece scores averaged over pieces, and the tonic-relative pitch-class histogram of them all."""
    rows = [piece_scores(*piece) for piece in pieces]
    out = {key: round(float(np.mean([row[key] for row in rows])), 4) for key in rows[0]} if rows else {}
    histograms = [pitch_class_histogram(p, t) * (p > 0).sum() for p, _, t, _ in pieces]
    total = np.sum(histograms, axis=0) if histograms else np.zeros(12)
    out["pitch_class_histogram"] = [round(float(v), 4) for v in total / max(1.0, total.sum())]
    return out
