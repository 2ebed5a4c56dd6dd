"""A set of short sounds ("clips") as the audio task stores and reads it: one compressed .npz (no pickle) of
16-bit mono waves of one length at one rate, with labels along one or more factors (a note's instrument and
pitch; a drum's kind; a word's language) and each clip's name.

    waves        (N, L) int16            the sound, full scale = 32767
    labels       (N, F) int64            one column per factor, 0..len(class_names[f]) - 1
    meta         rate, factors (F names), class_names (F lists), names (N), source, notes

Write one from your own sounds with `save(Clips(...), path)`; `duelo train --task audio --dataset FILE.npz`
reads it back (checked: shapes, ranges, rate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from duelo.data.errors import DataError
from duelo.data.npz_store import read_npz_store, write_npz_atomically

STORE_FORMAT = 1
FULL_SCALE = 32767.0
RATE, LENGTH = 16_000, 16_384            # the named sets' clip: WaveGAN's 1.024 s at 16 kHz


@dataclass(frozen=True)
class Clips:
    waves: np.ndarray                      # (N, L) int16
    rate: int
    labels: np.ndarray                     # (N, F) int64
    factors: list[str]                     # F names ("instrument", "pitch", ...)
    class_names: list[list[str]]           # F lists of class names
    names: list[str]                       # N clip names (where each came from)
    source: str
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.waves)

    @property
    def seconds(self) -> float:
        return self.waves.shape[1] / self.rate

    def floats(self) -> np.ndarray:
        """(N, L) float32 in [-1, 1]."""
        return self.waves.astype(np.float32) / FULL_SCALE

    def subset(self, index: np.ndarray) -> Clips:
        return Clips(self.waves[index], self.rate, self.labels[index], self.factors, self.class_names,
                     [self.names[i] for i in index], self.source, self.notes)


def to_int16(waves: np.ndarray) -> np.ndarray:
    return np.round(np.clip(waves, -1.0, 1.0) * FULL_SCALE).astype(np.int16)


def check(clips: Clips, what: str) -> Clips:
    """The store's promises, or a DataError naming `what` and the broken one."""
    if clips.waves.ndim != 2 or clips.waves.dtype != np.int16 or not len(clips.waves):
        raise DataError(f"{what}: waves must be a non-empty (clips, samples) int16 array, found "
                        f"{clips.waves.dtype} {clips.waves.shape}")
    if clips.labels.shape != (len(clips.waves), len(clips.factors)):
        raise DataError(f"{what}: labels must be (clips, factors) = ({len(clips.waves)}, {len(clips.factors)}), "
                        f"found {clips.labels.shape}")
    if len(clips.class_names) != len(clips.factors) or len(clips.names) != len(clips.waves):
        raise DataError(f"{what}: one class-name list per factor and one name per clip are needed")
    for f, names in enumerate(clips.class_names):
        column = clips.labels[:, f]
        if len(column) and (column.min() < 0 or column.max() >= len(names)):
            raise DataError(f"{what}: factor {clips.factors[f]!r} has labels outside 0..{len(names) - 1}")
    if not 1000 <= clips.rate <= 192_000:
        raise DataError(f"{what}: sample rate {clips.rate} Hz is not a sound's")
    return clips


def save(clips: Clips, path: Path) -> Path:
    check(clips, str(path))
    meta = {"format": "duelo-clips", "format_version": STORE_FORMAT, "rate": int(clips.rate),
            "factors": list(clips.factors), "class_names": [list(n) for n in clips.class_names],
            "names": list(clips.names), "source": clips.source, "notes": list(clips.notes)}
    return write_npz_atomically(Path(path), {"waves": clips.waves, "labels": clips.labels.astype(np.int64)}, meta,
                                compressed=True)


def load(path: Path) -> Clips:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file. Give a named audio dataset (`duelo datasets` lists them) or an .npz "
                        f"written by duelo.tasks.audio.clips.save")
    try:
        arrays, meta = read_npz_store(path)
    except (ValueError, OSError, KeyError) as error:
        raise DataError(f"{path}: not a duelo clips file ({error}); write one with duelo.tasks.audio.clips.save") \
            from None
    if meta.get("format") != "duelo-clips" or meta.get("format_version") != STORE_FORMAT:
        raise DataError(f"{path}: not a duelo clips file of format {STORE_FORMAT} (found {meta.get('format')} "
                        f"{meta.get('format_version')}); fetch or write it again")
    try:
        clips = Clips(arrays["waves"], int(meta["rate"]), arrays["labels"], list(meta["factors"]),
                      [list(n) for n in meta["class_names"]], list(meta["names"]), str(meta["source"]),
                      list(meta.get("notes", [])))
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path}: damaged clips file ({error}); fetch or write it again") from None
    return check(clips, str(path))
