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


def split(clips: Clips, fraction: float, seed: int, groups: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask of held-out clips: `fraction` of each first-factor class (at least one where a class has
    two or more clips). With `groups` (N,) group numbers (copy_groups), whole groups are held out or kept, each
    counted in the class of its first clip, and a class whose clips form one group is held out nowhere."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(clips), bool)
    groups = np.arange(len(clips)) if groups is None else np.asarray(groups)
    first = {}
    for i, g in enumerate(groups):
        first.setdefault(int(g), i)
    for label in np.unique(clips.labels[:, 0]):
        members = np.nonzero(clips.labels[:, 0] == label)[0]
        own = [g for g, i in first.items() if clips.labels[i, 0] == label]
        if len(own) < 2:
            continue
        count = max(1, int(round(fraction * len(members))))
        if len(own) == len(members):                  # no copies in the class: the draw of the plain split
            order = rng.choice(own, count, replace=False)
        else:                                         # whole groups, at least one left for training
            order = rng.permutation(own)[:-1]
        taken = 0
        for g in order:
            if taken >= count:
                break
            chosen = groups == g
            held |= chosen
            taken += int(chosen.sum())
    return held


def copy_groups(clips: Clips) -> np.ndarray:
    """(N,) a group number per clip: a recording's near and exact copies (duelo clean's duplicate check) share one."""
    from duelo.cleaning.clip_faults import find_clip_copies
    from duelo.tasks.audio.spectral import log_mel

    return find_clip_copies(clips.floats(), clips.rate, log_mel).copy_groups(len(clips))


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
    held = split(clips, d.heldout, config.train.seed,
                 copy_groups(clips) if d.split == "copies" else None)
    if not held.any():
        raise DataError(f"--dataset {d.dataset}: no {clips.factors[0]} class has two clips, so none can be held out "
                        f"for the scores; give at least two clips of some class")
    return split_data(clips, held, d.dataset)


def split_data(clips: Clips, held: np.ndarray, source: str) -> AudioData:
    """The clips cut by held-out flags (split()) into training and held-out clips, with their label factors."""
    factors = tuple(len(names) for names in clips.class_names)
    return AudioData(clips.subset(np.nonzero(~held)[0]), clips.subset(np.nonzero(held)[0]), factors, source)
