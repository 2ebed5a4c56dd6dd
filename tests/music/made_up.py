"""Made-up four-voice pieces in the chorales cache format, for tests that train without music21's corpus: each
voice walks the C-major scale in its own octave (C5, C4, C3, C2 up), quarter and half notes, with a pickup in every
other piece."""

from pathlib import Path

import numpy as np

from duelo.tasks.music import corpus

SCALE = (0, 2, 4, 5, 7, 9, 11)
BASES = (72, 60, 48, 36)                                     # the C of each voice's octave


def made_up_chorales(path: Path, count: int = 12, bars: int = 6, seed: int = 0, voices: int = 4) -> Path:
    """`voices` 4: soprano to bass; 1: a melody (the soprano's walk)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(count):
        steps = bars * 16
        pitch = np.zeros((steps, voices), np.uint8)
        onset = np.zeros((steps, voices), bool)
        for v, base in enumerate(BASES[:voices]):
            degree, t = int(rng.integers(0, 7)), 0
            while t < steps:
                length = int(rng.choice([4, 8]))
                degree = int(np.clip(degree + rng.integers(-1, 2), 0, 6))
                pitch[t:t + length, v] = base + SCALE[degree]
                onset[t, v] = True
                t += length
        rows.append({"name": f"made-up/{k}", "pitch": pitch, "onset": onset, "tonic": 0, "mode": k % 2,
                     "downbeat": 4 * (k % 2)})
    return corpus.save(corpus.from_pieces(rows), path)
