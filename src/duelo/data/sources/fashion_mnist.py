"""Fashion-MNIST (Xiao et al., 2017): 70,000 28×28 gray photos of clothing in 10 classes.

Read from the Debian package dataset-fashion-mnist, which installs the original gzipped IDX files.
$DUELO_FASHION_MNIST_DIR points elsewhere (a copy, or the tests' synthetic files).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from duelo.data.dataset import ImageDataset
from duelo.data.errors import DatasetUnavailableError, IdxFormatError
from duelo.data.idx import read_idx
from duelo.data.sources.base import DataSource, concatenate_splits, register_source

FASHION_MNIST_DIR_ENV = "DUELO_FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
APT_COMMAND = "sudo apt-get update && sudo apt-get install dataset-fashion-mnist"
FASHION_CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IDX_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SPLITS = ("train", "test", "all")


def fashion_mnist_dir() -> Path:
    override = os.environ.get(FASHION_MNIST_DIR_ENV)
    return Path(override).expanduser() if override else DEBIAN_DIR


def _find(name: str) -> Path | None:
    """The file as shipped (.gz) or already decompressed."""
    for candidate in (fashion_mnist_dir() / f"{name}.gz", fashion_mnist_dir() / name):
        if candidate.is_file():
            return candidate
    return None


def fashion_mnist_available() -> bool:
    return all(_find(name) is not None for pair in IDX_FILES.values() for name in pair)


def how_to_get_fashion_mnist() -> str:
    return (f"Fashion-MNIST comes from the Debian package dataset-fashion-mnist: run `{APT_COMMAND}` "
            f"(it installs into {DEBIAN_DIR}; or set {FASHION_MNIST_DIR_ENV} to a folder with the IDX files)")


def _read_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    image_name, label_name = IDX_FILES[split]
    image_path, label_path = _find(image_name), _find(label_name)
    if image_path is None or label_path is None:
        raise DatasetUnavailableError(f"Fashion-MNIST is not installed in {fashion_mnist_dir()}. "
                                      f"{how_to_get_fashion_mnist()}")
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.dtype != np.uint8 or images.ndim != 3 or labels.shape != (len(images),):
        raise IdxFormatError(f"{image_path}: images {images.dtype} {images.shape} do not pair with "
                             f"labels {labels.shape} of {label_path}; {how_to_get_fashion_mnist()}")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(FASHION_CLASS_NAMES)):
        raise IdxFormatError(f"{label_path}: labels outside 0..9; {how_to_get_fashion_mnist()}")
    return images, labels.astype(np.int64)


def load_fashion_mnist(split: str) -> ImageDataset:
    # only the requested split's files must exist (a folder holding just the test files serves split="test")
    parts = [_read_split(name) for name in (IDX_FILES if split == "all" else (split,))]
    return concatenate_splits(parts, FASHION_CLASS_NAMES, "fashion-mnist")


def _fetch_message(force: bool) -> str:
    if fashion_mnist_available():
        return f"fashion-mnist is already installed in {fashion_mnist_dir()}"
    raise DatasetUnavailableError(
        f"duelo cannot install system packages itself. {how_to_get_fashion_mnist()}")


register_source(DataSource(
    name="fashion-mnist",
    description="Fashion-MNIST, 60,000 train + 10,000 test clothing photos, 28×28 gray, 10 classes (apt)",
    splits=SPLITS,
    loader=load_fashion_mnist,
    available=fashion_mnist_available,
    how_to_get=how_to_get_fashion_mnist,
    fetch=_fetch_message,
    licence="MIT",
    download="31 MB (apt, installed)",
))
