"""The audio task's data: clips (clips.py) from a named source or an .npz, split into training and held-out
clips (a seeded shuffle within each class of the first factor, so every instrument / kind / language is on both
sides), with one combined label per clip for conditional models (networks.split_labels)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from duelo.data.errors import DataError
from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.clips import Clips

MIN_CLIPS = 4


@dataclass(frozen=True)
class AudioData:
    train: Clips
    heldout: Clips
    factors: tuple[int, ...]               # classes per label factor
    source: str

    @property
    def rate(self) -> int:
        return self.train.rate

    @property
    def length(self) -> int:
        return int(self.train.waves.shape[1])

    def combined(self, clips: Clips) -> torch.Tensor:
        """(N,) long labels standing for all factors (the last varies fastest)."""
        label = np.zeros(len(clips), np.int64)
        for f, size in enumerate(self.factors):
            label = label * size + clips.labels[:, f]
        return torch.from_numpy(label)

    def label_name(self, label: int) -> str:
        parts, names = [], self.train.class_names
        for f in reversed(range(len(self.factors))):
            parts.append(names[f][label % self.factors[f]])
            label //= self.factors[f]
        return "/".join(reversed(parts))


def read_clips(dataset: str) -> Clips:
    from duelo.tasks.audio.sources import named_sources

    sources = named_sources()
    if dataset in sources:
        return sources.get(dataset).loader()
    path = Path(dataset).expanduser()
    if not path.is_file():
        raise DataError(f"--dataset {dataset}: no such file; give {', '.join(sources.names())} (after `duelo "
                        f"datasets fetch NAME`) or an .npz written by duelo.tasks.audio.clips.save")
    return clip_store.load(path)


def split(clips: Clips, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask of held-out clips: `fraction` of each first-factor class (at least one where a class has
    two or more clips)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(clips), bool)
    for label in np.unique(clips.labels[:, 0]):
        members = np.nonzero(clips.labels[:, 0] == label)[0]
        if len(members) >= 2:
            count = max(1, int(round(fraction * len(members))))
            held[rng.choice(members, count, replace=False)] = True
    return held


def load_audio_data(config) -> AudioData:
    d = config.data
    clips = read_clips(d.dataset)
    if len(clips) < MIN_CLIPS:
        raise DataError(f"--dataset {d.dataset}: {len(clips)} clip(s); at least {MIN_CLIPS} are needed")
    from duelo.tasks.audio.networks import WAVE_LAYERS, WAVE_STRIDE

    wave_length = 16 * WAVE_STRIDE ** WAVE_LAYERS
    if clips.waves.shape[1] != wave_length:
        raise DataError(f"--dataset {d.dataset}: clips of {clips.waves.shape[1]:,} samples; the audio models draw "
                        f"{wave_length:,} (pad or cut your clips to that length)")
    held = split(clips, d.heldout, config.train.seed)
    if not held.any():
        raise DataError(f"--dataset {d.dataset}: no {clips.factors[0]} class has two clips, so none can be held out "
                        f"for the scores; give at least two clips of some class")
    return split_data(clips, held, d.dataset)


def split_data(clips: Clips, held: np.ndarray, source: str) -> AudioData:
    """The clips cut by held-out flags (split()) into training and held-out clips, with their label factors."""
    factors = tuple(len(names) for names in clips.class_names)
    return AudioData(clips.subset(np.nonzero(~held)[0]), clips.subset(np.nonzero(held)[0]), factors, source)
