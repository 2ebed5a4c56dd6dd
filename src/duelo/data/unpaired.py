"""Unpaired image data (CycleGAN's domains A and B): two independent datasets of any sizes and counts."""

from __future__ import annotations

import os

from duelo.data.dataset import ImageDataset
from duelo.data.errors import DataError
from duelo.data.loading import load_dataset


def load_unpaired(a: str | os.PathLike[str], b: str | os.PathLike[str], *, resolution: int | None = None,
                  a_channels: int | None = None, b_channels: int | None = None, resize: str = "auto",
                  bad_files: str = "skip", split: str = "train",
                  alpha: str = "white") -> tuple[ImageDataset, ImageDataset]:
    """Two independent datasets (domains A and B of CycleGAN): registered names or folder/.zip/.npz paths,
    of any sizes and counts, each through load_dataset and brought to the same `resolution`.

    A DataError from either side is raised again, same class, with "domain A: " or "domain B: " in front.
    """
    datasets = []
    for side, spec, channels in (("A", a, a_channels), ("B", b, b_channels)):
        try:
            datasets.append(load_dataset(spec, resolution=resolution, channels=channels, resize=resize,
                                         bad_files=bad_files, split=split, alpha=alpha))
        except DataError as error:
            raise _for_side(error, side) from error
    return datasets[0], datasets[1]


def _for_side(error: DataError, side: str) -> DataError:
    """The same error class with the domain in front of its message (else a plain DataError)."""
    message = f"domain {side}: {error}"
    try:
        return type(error)(message)
    except TypeError:
        return DataError(message)
