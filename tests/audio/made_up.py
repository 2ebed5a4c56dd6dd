"""Made-up clips in the duelo clips format, for tests that train without a fetched dataset: two "instruments"
(a sine and a square wave) at three pitches and three levels, each a short attack, a hold and an exponential
decay, 16,384 samples at 16 kHz, labelled by instrument and pitch (or by instrument alone)."""

from pathlib import Path

import numpy as np
import torch

from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.clips import Clips, to_int16

RATE, LENGTH = 16_000, 16_384
INSTRUMENTS = ("sine", "square")
PITCHES = ((57, "A3"), (64, "E4"), (69, "A4"))             # MIDI numbers and names
LEVELS = (0.3, 0.6, 0.9)


def tone(instrument: str, pitch: int, level: float, length: int = LENGTH, rate: int = RATE,
         delay: int = 0) -> np.ndarray:
    """One float32 note in [-1, 1]: `delay` samples of silence, then the note."""
    t = np.arange(length - delay) / rate
    phase = 2 * np.pi * 440.0 * 2 ** ((pitch - 69) / 12) * t
    wave = np.sin(phase) if instrument == "sine" else np.sign(np.sin(phase)) * 0.6
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-3.0 * t)
    return np.concatenate([np.zeros(delay), level * wave * envelope]).astype(np.float32)


def made_up_clips(path: Path, factors: int = 2, levels: tuple[float, ...] = LEVELS) -> Path:
    """len(INSTRUMENTS) x len(PITCHES) x len(levels) clips (18 by default); `factors` 2: labelled by instrument
    and pitch; 1: by instrument only."""
    if factors not in (1, 2):
        raise ValueError("factors: 1 (instrument) or 2 (instrument and pitch)")
    waves, labels, names = [], [], []
    for i, instrument in enumerate(INSTRUMENTS):
        for p, (pitch, pitch_name) in enumerate(PITCHES):
            for level in levels:
                waves.append(to_int16(tone(instrument, pitch, level)))
                labels.append((i, p)[:factors])
                names.append(f"{instrument}-{pitch_name}-{level:g}")
    class_names = [list(INSTRUMENTS), [name for _, name in PITCHES]][:factors]
    clips = Clips(np.stack(waves), RATE, np.array(labels, np.int64), ["instrument", "pitch"][:factors], class_names,
                  names, "made-up", ["sine and square tones made up for tests"])
    return clip_store.save(clips, path)


def three_tones() -> torch.Tensor:
    """(3, LENGTH) float waves: a loud sine, a square an octave up and a quiet delayed sine."""
    return torch.from_numpy(np.stack([tone("sine", 57, 0.9), tone("square", 69, 0.5),
                                      tone("sine", 64, 0.3, delay=2000)]))
