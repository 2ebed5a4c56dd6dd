"""A one-time decode cache for user folders and .zip files: decode thousands of files once, not on every run.

`duelo train --dataset photos/` decodes, converts and resizes every file; a restart, a resumed run or a second
experiment on the same folder would do it all again (the 3,391-image Fluent emoji folder takes seconds to
decode; a folder of large photos takes minutes). After the first load the result — uint8 pixels at the
requested resolution, channels and alpha choice, the labels, class names and the data report — is kept in
one .npz under the user cache folder:

    <cache>/decoded/<sha256(folder path, options)[:32]>.npz

What is stored is the loaded result, not the native pixels: native photos can be a hundred times larger
than the training copy, and the resize (Lanczos) is most of the work. So each (resolution, channels,
resize, alpha) of a folder has its own entry; the bad-file policy is applied again on every load.

The entry is used only when its identity matches: a SHA-256 over the listing (every image file's relative
path, size, mtime and ctime in nanoseconds; for a .zip, the archive's own and its member names), the files
the listing ignored, the options, the name the data was asked for under, and what decoding depends on (the
format version, Pillow's version, the pixel and file-size limits). Anything added, removed, modified or
touched makes a new identity and the entry is rebuilt (and overwritten). A file that cannot be read, or
whose arrays or report do not check out, is ignored and rebuilt; it is read with allow_pickle=False.
Delete the folder to clear the cache; DUELO_DECODE_CACHE=off turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from duelo.data.dataset import DATASET_CHANNELS, ImageDataset
from duelo.data.image_files import ImageItem
from duelo.data.images import MAX_FILE_BYTES, pixel_limit
from duelo.data.npz_store import read_npz_store, string_array, string_list, write_npz_atomically
from duelo.data.report import DataReport
from duelo.data.sources.base import cache_root

FORMAT_VERSION = 1
CACHE_FOLDER = "decoded"
SWITCH_ENV = "DUELO_DECODE_CACHE"             # "off" (or 0/no/false) turns the cache off
OFF_VALUES = ("off", "0", "no", "false")


@dataclass(frozen=True)
class CacheEntry:
    """Where one (path, options) pair is cached and the identity its contents must carry."""

    path: Path
    identity: str


def decode_cache_dir() -> Path:
    return cache_root() / CACHE_FOLDER


def cache_enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "").strip().lower() not in OFF_VALUES


def entry_for(root: Path, name: str, items: list[ImageItem], ignored: list[str], options: dict) -> CacheEntry:
    """The cache entry of data read from `root` (a folder or a .zip) into `items` with `options`
    (resolution, channels, resize, alpha); `ignored` lists what the listing left out (report notes)."""
    location = os.path.realpath(root)
    settings = json.dumps(options, sort_keys=True)
    digest = hashlib.sha256()
    for part in (f"v{FORMAT_VERSION}", name, settings, _decoder_identity(), *ignored, *_listing(root, items)):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    stem = hashlib.sha256(f"{location}\0{settings}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return CacheEntry(decode_cache_dir() / f"{stem}.npz", digest.hexdigest())


def read_entry(entry: CacheEntry) -> ImageDataset | None:
    """The cached dataset, or None when the entry is missing, stale, damaged or not ours (then rebuild)."""
    if not entry.path.is_file():
        return None
    try:
        arrays, meta = read_npz_store(entry.path)
        if meta.get("identity") != entry.identity:
            return None
        images = arrays["images"]
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] not in DATASET_CHANNELS:
            return None
        labels = arrays.get("labels")
        class_names = None
        if labels is not None:
            if labels.dtype != np.int64 or labels.shape != (len(images),):
                return None
            names = arrays.get("class_names")
            class_names = None if names is None else string_list(names, len(names), "class names")
        report = DataReport.from_dict(meta.get("report"))
        return ImageDataset(torch.from_numpy(images), None if labels is None else torch.from_numpy(labels),
                            class_names, str(meta.get("name")), report)
    except Exception:         # a damaged or foreign file can fail anywhere in numpy, zipfile, json or the checks
        return None


def write_entry(entry: CacheEntry, dataset: ImageDataset) -> None:
    """Store the dataset under the entry; a cache that cannot be written is skipped (the data is loaded)."""
    arrays = {"images": dataset.images.numpy()}
    if dataset.labels is not None:
        arrays["labels"] = dataset.labels.numpy()
        arrays["class_names"] = string_array(list(dataset.class_names or []))
    meta = {"identity": entry.identity, "name": dataset.name, "report": dataset.report.to_dict()}
    try:
        write_npz_atomically(entry.path, arrays, meta)
    except (OSError, ValueError):
        pass


def _decoder_identity() -> str:
    import PIL

    return f"pillow {PIL.__version__}|pixels {pixel_limit()}|bytes {MAX_FILE_BYTES}"


def _listing(root: Path, items: list[ImageItem]) -> list[str]:
    """One line per item: its parts and stat figures; a .zip adds its own stat (members have no mtime)."""
    lines = [] if root.is_dir() else [f"archive {_stat_text(root)}"]
    for item in items:
        stat = _stat_text(Path(item.display_path)) if root.is_dir() else ""
        lines.append(f"{'/'.join(item.parts)}\0{stat}")
    return lines


def _stat_text(path: Path) -> str:
    try:
        stat = os.stat(path)
    except OSError as error:
        return f"unreadable {error.errno}"
    return f"{stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_mode}"
