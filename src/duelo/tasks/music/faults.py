"""Faults of a set of pieces of music (the music task's voices on a sixteenth-note grid, corpus.Pieces), each piece
given at most one finding, the most serious, for `duelo clean`:

* degenerate: fewer than MIN_NOTES notes, shorter than a bar, one pitch throughout, or a voice of a piece of
  several voices that never sounds (a part lost when the score was read);
* duplicate: exact (every voice the same, note for note), transposed (every voice moved by one interval: the music
  task moves each piece to a common key, so this is the same training data), or near: the same notes with a few
  changed, added or left out, at most NEAR_EDITS of the longer piece's notes (the edit distance of the two pieces'
  notes, the second moved to the interval between them that fits best). The pairs compared are those sharing rare
  runs of RUN "tokens" (each note as its voice, its interval from the voice's previous note and its length: blind
  to the key; a run at most RARE_RUN pieces hold), so the check stays fast on thousands of tunes. Harmonisations
  of one chorale tune share the soprano but not the other voices, so they are not copies;
* outlier: the robust Mahalanobis distance of per-piece statistics (cleaning/findings.outliers): notes per bar and
  voice, the melody's range, each voice's mean pitch, the mean and the largest melodic leap, how well the notes
  fit the major or minor key that fits them best (blind to the stated key), the share of the melody's steps at
  rest and the length in bars; a statistic most pieces share one value of (most chorales' sopranos never rest) is
  left out, as the fit cannot scale it. Robust z above OUTLIER_Z (4, where images and series use 5.5: chosen on
  the named sets, whose most unusual pieces as they are reach 2.7-4.3);
* mislabelled (the mode): the cross-fitted RBF SVM of cleaning/findings on the pitch-class histogram counted from
  the tonic, each note weighted by its length. The named corpora's modes are music21's own estimate from the same
  notes, so there the check mostly names pieces whose key is ambiguous; for a file whose modes came from elsewhere it
  checks them.

The thresholds are fixed; benchmarks/clean_music.py measures them on planted faults of the corpora.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from duelo.cleaning.findings import Faults, Finding, edit_distance, exact_duplicates, mislabel_check, outliers
from duelo.tasks.music.scores import BAR, MAJOR, MINOR, notes

MIN_NOTES = 8
RUN = 4                              # tokens in a run that marks two pieces as worth comparing
RARE_RUN = 5                         # a run held by at most this many pieces is rare
NEAR_EDITS = 0.1                     # of the longer token sequence
OUTLIER_Z = 4.0
MISLABEL_OWN = 0.1
MAX_MISLABEL_ITEMS = 60_000
STATISTICS = "notes per bar, range, voices' mean pitches, leaps, fit to a key, rests and length"
MEMBERSHIP = [np.isin(np.arange(12), scale).astype(np.float64) for scale in (MAJOR, MINOR)]


def tokens(piece_notes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int]]:
    """(voice, interval from the voice's previous note (0 for its first), length) of every note, voice by voice."""
    out, previous = [], {}
    for voice, _, length, pitch in piece_notes:
        out.append((voice, pitch - previous.get(voice, pitch), length))
        previous[voice] = pitch
    return out


def key_fit(pitch: np.ndarray) -> float:
    """How well the piece's pitch classes (each sounding sixteenth counted) fit the major or minor scale that fits
    them best: the largest correlation of the 12-bin histogram with a scale's 0/1 membership, over the 24 keys (1 for
    a piece on the scale's notes alone, evenly; lower for chromatic or random notes). Blind to the piece's stated key,
    which the mislabel check judges."""
    histogram = np.bincount(pitch[pitch > 0].astype(np.int64) % 12, minlength=12).astype(np.float64)
    if histogram.std() == 0:
        return 0.0
    return float(max(np.corrcoef(histogram, np.roll(member, tonic))[0, 1] for member in MEMBERSHIP
                     for tonic in range(12)))


def statistics(pitch: np.ndarray, piece_notes) -> list[float]:
    """One piece's statistics for the outlier check (the module docstring lists them)."""
    bars = max(1.0, len(pitch) / BAR)
    melody = np.array([p for v, _, _, p in piece_notes if v == 0] or [0])
    leaps = np.abs(np.diff(melody)) if len(melody) > 1 else np.zeros(1)
    means = [float(pitch[:, v][pitch[:, v] > 0].mean()) if (pitch[:, v] > 0).any() else 0.0
             for v in range(pitch.shape[1])]
    return [len(piece_notes) / bars / pitch.shape[1], float(np.ptp(melody)), *means, float(leaps.mean()),
            float(leaps.max()), key_fit(pitch), float((pitch[:, 0] == 0).mean()), float(np.log(bars))]


def key_histogram(piece_notes, tonic: int) -> np.ndarray:
    """The pitch-class histogram counted from the tonic, each note weighted by its length (sums to 1)."""
    histogram = np.zeros(12)
    for _, _, length, pitch in piece_notes:
        histogram[(pitch - tonic) % 12] += length
    return histogram / max(histogram.sum(), 1.0)


def degenerate_reason(pitch: np.ndarray, piece_notes) -> str | None:
    if len(pitch) < BAR:
        return f"only {len(pitch)} sixteenths: shorter than a bar"
    if len(piece_notes) < MIN_NOTES:
        return f"only {len(piece_notes)} note(s)"
    if len({p for _, _, _, p in piece_notes}) == 1:
        return "one pitch throughout"
    silent = [v for v in range(pitch.shape[1]) if not (pitch[:, v] > 0).any()]
    if silent and pitch.shape[1] > 1:
        return f"voice {silent[0] + 1} of {pitch.shape[1]} never sounds"
    return None


def notes_apart(a, b) -> int:
    """How many notes two pieces' notes (voice, start, length, pitch) differ by: the edit distance of their
    (voice, pitch, length) sequences, the second moved by the interval between the pieces' median pitches (or a
    semitone either side of it) that makes them closest."""
    if not a or not b:
        return max(len(a), len(b))
    first = [(v, p, n) for v, _, n, p in a]
    shift = int(round(np.median([p for *_, p in a]) - np.median([p for *_, p in b])))
    return min(edit_distance(first, [(v, p + move, n) for v, _, n, p in b]) for move in (shift, shift - 1, shift + 1))


def near_copies(found_notes: list[list], faults: Faults, taken: np.ndarray) -> int:
    """Findings for pieces whose notes differ from an earlier piece's in at most NEAR_EDITS of them (compared when
    the two share rare runs of RUN tokens); returns how many."""
    sequences = [tokens(f) for f in found_notes]
    runs = [{tuple(seq[k:k + RUN]) for k in range(len(seq) - RUN + 1)} for seq in sequences]
    holders: dict[tuple, list[int]] = {}
    for i, held in enumerate(runs):
        for run in held:
            holders.setdefault(run, []).append(i)
    found = 0
    for i, held in enumerate(runs):
        if taken[i] or not held:
            continue
        shared = Counter(j for run in held if len(holders[run]) <= RARE_RUN for j in holders[run] if j < i)
        for j, count in shared.most_common(RARE_RUN):
            longer = max(len(sequences[i]), len(sequences[j]))
            if taken[j] or count < 2 or abs(len(sequences[i]) - len(sequences[j])) > NEAR_EDITS * longer:
                continue
            apart = notes_apart(found_notes[i], found_notes[j])
            if apart <= NEAR_EDITS * longer:
                faults.findings.append(Finding(i, "duplicate", 1.0 - apart / longer,
                                               f"a near copy of item {j}: {apart} of {longer} notes differ", j))
                taken[i] = True
                found += 1
                break
    return found


def lowest(pitch: np.ndarray) -> int:
    sounding = pitch[pitch > 0]
    return int(sounding.min()) if len(sounding) else 1


def relative_bytes(pitch: np.ndarray, onset: np.ndarray) -> bytes:
    """The voices with the lowest sounding pitch at 1: the same bytes for every transposition of a piece."""
    moved = np.where(pitch > 0, pitch.astype(np.int16) - lowest(pitch) + 1, 0)
    return moved.tobytes() + onset.tobytes() + bytes([pitch.shape[1]])


def find_music_faults(pieces, seed: int = 0, log=None, labelled: bool = True) -> Faults:
    """Every piece's most serious finding; `labelled`: whether the modes are worth checking."""
    from duelo.tasks.music.corpus import MODES

    say = log or (lambda text: None)
    n = len(pieces)
    faults = Faults([])
    taken = np.zeros(n, bool)
    parts = [pieces.piece(k) for k in range(n)]
    found_notes = [notes(pitch, onset) for pitch, onset in parts]
    say(f"clean: {n:,} pieces, {sum(len(f) for f in found_notes):,} notes")

    for k, (pitch, _) in enumerate(parts):
        reason = degenerate_reason(pitch, found_notes[k])
        if reason is not None:
            faults.findings.append(Finding(k, "degenerate", 1.0, reason))
            taken[k] = True
    faults.checked["degenerate"] = (f"{int(taken.sum())} piece(s) shorter than a bar, with fewer than {MIN_NOTES} "
                                    f"notes, one pitch throughout or a silent voice")

    exact = exact_duplicates((pitch.tobytes() + onset.tobytes() for pitch, onset in parts), faults, taken)
    before = len(faults.findings)
    moved = exact_duplicates((relative_bytes(pitch, onset) for pitch, onset in parts), faults, taken)
    for f in faults.findings[before:]:
        shift = lowest(parts[f.index][0]) - lowest(parts[f.related][0])
        f.reason = f"a copy of item {f.related} moved {shift:+d} semitone(s)"
    near = near_copies(found_notes, faults, taken)
    faults.checked["duplicates"] = (f"{exact} exact, {moved} transposed and {near} near copies (at most "
                                    f"{NEAR_EDITS:.0%} of the notes differ)")

    stats = np.array([statistics(pitch, found_notes[k]) for k, (pitch, _) in enumerate(parts)])
    spread = np.median(np.abs(stats - np.median(stats, axis=0)), axis=0)
    stats = stats[:, spread > 0]
    faults.checked["outliers"] = outliers(stats, seed, OUTLIER_Z, faults, taken, STATISTICS)

    features = np.array([key_histogram(found_notes[k], int(pieces.tonic[k])) for k in range(n)])
    features = (features - features.mean(axis=0)) / np.maximum(features.std(axis=0), 1e-9)
    mislabel_check(features, np.asarray(pieces.mode, np.int64) if labelled else None, list(MODES), taken, seed,
                   MAX_MISLABEL_ITEMS, say, faults, MISLABEL_OWN)
    faults.findings.sort(key=lambda f: f.index)
    return faults
