"""A rendered audio preview of a piece: every note of notes() (scores.py) played by a soft organ-like tone
(four harmonics, 10 ms attack, 60 ms release) at TEMPO quarter notes a minute, the voices mixed and brought to
one peak level. No sound font or synthesizer is needed; the MIDI file is there for a real instrument."""

from __future__ import annotations

import numpy as np

from duelo.tasks.music.corpus import STEPS_PER_QUARTER
from duelo.tasks.music.scores import notes

RATE = 22_050
TEMPO = 90                                   # quarter notes a minute
HARMONICS = (1.0, 0.5, 0.25, 0.12)
ATTACK_S, RELEASE_S, PEAK = 0.01, 0.06, 0.8


def render_preview(pitch: np.ndarray, onset: np.ndarray, rate: int = RATE, tempo: float = TEMPO) -> np.ndarray:
    """(steps, voices) pitches (0 = rest) and onsets -> mono float32 samples in [-PEAK, PEAK]."""
    step_s = 60.0 / tempo / STEPS_PER_QUARTER
    release = int(RELEASE_S * rate)
    out = np.zeros(int(len(pitch) * step_s * rate) + release, np.float32)
    for _, start, length, midi in notes(pitch, onset):
        begin, count = int(start * step_s * rate), int(length * step_s * rate)
        t = np.arange(count + release) / rate
        frequency = 440.0 * 2 ** ((midi - 69) / 12)
        tone = sum(a * np.sin(2 * np.pi * (k + 1) * frequency * t) for k, a in enumerate(HARMONICS)
                   if (k + 1) * frequency < rate / 2)
        envelope = np.minimum(1.0, t / ATTACK_S)
        envelope[count:] *= np.linspace(1.0, 0.0, len(t) - count)
        out[begin:begin + len(t)] += (tone * envelope)[:len(out) - begin]
    peak = float(np.abs(out).max())
    return out * (PEAK / peak) if peak > 0 else out
