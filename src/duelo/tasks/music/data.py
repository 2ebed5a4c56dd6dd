"""The music task's data: pieces (corpus.py) cut into windows of whole bars and drawn as piano rolls.

Each chorale is moved to a common key first (`data.transpose`): "tonic" shifts it by the least number of
semitones that puts its tonic on C (major) or A (minor), so the mode is the one harmonic difference left (and the
condition of a conditional model); "none" keeps Bach's keys. Windows start at bar lines (after any pickup) every
bar and span `data.bars` bars of sixteenths. A window is a piano roll (voices, steps, PITCHES) with +1 where a
voice sounds a pitch and -1 elsewhere (a rest is a column of -1); pitches outside LOW..LOW+PITCHES-1 drop the window.

The split is by melody, not by chorale: chorales that share their soprano tune (Bach harmonised some tunes
several times) fall on the same side, so held-out windows are of tunes never trained on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from duelo.data.errors import DataError
from duelo.tasks.music import corpus
from duelo.tasks.music.scores import BAR, melody

LOW, PITCHES = 28, 56                      # MIDI 28 (E1) .. 83 (B5): the chorales moved to C / A, all but a few windows
HELDOUT_FRACTION = 0.1


@dataclass(frozen=True)
class Windows:
    rolls: torch.Tensor                    # (N, voices, steps, PITCHES) float in {-1, 1}
    modes: torch.Tensor                    # (N,) long: 0 major, 1 minor
    pieces: torch.Tensor                   # (N,) long: which chorale each window comes from

    def __len__(self) -> int:
        return len(self.rolls)


@dataclass(frozen=True)
class MusicData:
    train: Windows
    heldout: Windows
    steps: int
    class_names: list[str]
    source: str
    dropped: int                           # windows left out for their range
    train_melodies: list[list[int]]        # soprano note pitches of the training chorales (memorisation)
    voices: int                            # 4 for chorales, 1 for melodies


def shift_to_common_key(tonic: int, mode: int) -> int:
    """Semitones (-6..5) that put the tonic on C (major) or A (minor)."""
    target = 9 if mode == 1 else 0
    return (target - tonic + 6) % 12 - 6


def roll(pitch: np.ndarray) -> np.ndarray:
    """(T, 4) MIDI pitches (0 = rest) -> (4, T, PITCHES) in {-1, 1}."""
    out = -np.ones((pitch.shape[1], len(pitch), PITCHES), np.float32)
    t, v = np.nonzero(pitch)
    out[v, t, pitch[t, v].astype(np.int64) - LOW] = 1.0
    return out


def unroll(rolls: torch.Tensor) -> np.ndarray:
    """(N, 4, T, PITCHES) generated rolls -> (N, T, 4) MIDI pitches: each voice's strongest pitch where it is
    above zero, else a rest (a voice is one line, so one pitch at a time)."""
    value, index = rolls.float().max(dim=3)                                   # (N, 4, T)
    pitch = torch.where(value > 0, index + LOW, torch.zeros_like(index))
    return pitch.permute(0, 2, 1).cpu().numpy().astype(np.uint8)


def onsets_of(pitch: np.ndarray) -> np.ndarray:
    """Onsets read from pitches alone (a roll has no onsets): where a voice's pitch changes to a sounding one."""
    changed = np.ones_like(pitch, dtype=bool)
    changed[1:] = pitch[1:] != pitch[:-1]
    return changed & (pitch > 0)


def _split(data: corpus.Pieces, seed: int) -> np.ndarray:
    """Held-out flag per chorale: a seeded hash of its soprano tune, so one tune is on one side only."""
    flags = []
    for k in range(len(data)):
        tune = ",".join(map(str, melody(*data.piece(k))[:16]))
        digest = hashlib.sha256(f"{seed}:{tune}".encode()).digest()
        flags.append(int.from_bytes(digest[:4], "big") / 2 ** 32 < HELDOUT_FRACTION)
    return np.array(flags)


def windows(data: corpus.Pieces, chosen: np.ndarray, bars: int, transpose: str) -> tuple[Windows, int]:
    steps = bars * BAR
    rolls, modes, pieces, dropped = [], [], [], 0
    for k in np.nonzero(chosen)[0]:
        pitch, _ = data.piece(int(k))
        shift = shift_to_common_key(int(data.tonic[k]), int(data.mode[k])) if transpose == "tonic" else 0
        pitch = np.where(pitch > 0, pitch.astype(np.int64) + shift, 0)
        for start in range(int(data.downbeat[k]), len(pitch) - steps + 1, BAR):
            part = pitch[start:start + steps]
            sounding = part[part > 0]
            if len(sounding) and (sounding.min() < LOW or sounding.max() >= LOW + PITCHES):
                dropped += 1
                continue
            rolls.append(roll(part))
            modes.append(int(data.mode[k]))
            pieces.append(int(k))
    if not rolls:
        raise DataError(f"no window of {bars} bars in the chosen chorales; ask for fewer data.bars")
    return Windows(torch.from_numpy(np.stack(rolls)), torch.tensor(modes), torch.tensor(pieces)), dropped


def load_music_data(config) -> MusicData:
    d = config.data
    path = None if d.dataset in corpus.CORPORA else Path(d.dataset).expanduser()
    if path is not None and not path.is_file():
        raise DataError(f"--dataset {d.dataset}: no such file; give {' or '.join(corpus.CORPORA)} (after `duelo "
                        f"datasets fetch NAME`) or an .npz written by duelo.tasks.music.corpus.save")
    data = corpus.load(path, d.dataset if path is None else "music")
    held = _split(data, config.train.seed)
    if held.all() or not held.any():
        held = np.arange(len(data)) % 10 == 0                # too few tunes for the hash to split: every tenth
    train, dropped_train = windows(data, ~held, d.bars, d.transpose)
    heldout, dropped_held = windows(data, held, d.bars, d.transpose)
    melodies = [melody(*data.piece(k)) for k in np.nonzero(~held)[0]]
    return MusicData(train, heldout, d.bars * BAR, list(corpus.MODES), d.dataset,
                     dropped_train + dropped_held, melodies, int(data.pitch.shape[1]))
