"""Reading a NumPy .npz of images (and optional labels) — the quickest way to hand duelo an array.

Accepted: images under `images` (or `x`) as (N, H, W), (N, H, W, C) or (N, C, H, W) with C in 1/3/4,
uint8, or float in [0, 1] (scaled to 0..255, with a note); labels under `labels` (or `y`), integers
≥ 0, one per image, implying at most max(N, 1000) classes unless `class_names` (strings) names them.
Loaded with allow_pickle=False, always: an .npz with object arrays could run code when unpickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from duelo.data.alpha import WHITE, Alpha, apply_alpha
from duelo.data.dataset import ImageDataset, implied_class_count
from duelo.data.errors import ArrayFormatError, EmptyDatasetError
from duelo.data.images import path_not_regular
from duelo.data.report import DataReport

IMAGE_KEYS = ("images", "x")
LABEL_KEYS = ("labels", "y")
CLASS_NAMES_KEY = "class_names"


def read_npz(path: Path, report: DataReport, alpha: Alpha = WHITE) -> ImageDataset:
    """Read and validate an .npz; every problem is an ArrayFormatError naming the key and what is wrong.

    A 4-channel array is RGBA: flattened onto the `alpha` background (white by default, as image files are), or
    kept; with alpha kept, 1- and 3-channel arrays get an opaque alpha channel.
    """
    special = path_not_regular(path)
    if special is not None:                      # a FIFO would block np.load forever
        raise ArrayFormatError(f"{path}: {special}; give an .npz file, a folder or a .zip")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:           # damaged archives raise nearly anything (zipfile, zlib, numpy)
        raise ArrayFormatError(f"{path}: not a readable .npz file ({error}); save the arrays again with "
                               f"numpy.savez(path, images=..., labels=...)") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):           # a single .npy array under an .npz name
        raise ArrayFormatError(f"{path}: not a readable .npz file (it holds one bare .npy array); save the arrays "
                               f"with numpy.savez(path, images=..., labels=...)")
    with archive:
        keys = list(archive.files)
        image_key = next((key for key in IMAGE_KEYS if key in keys), None)
        if image_key is None:
            raise ArrayFormatError(
                f"{path}: no image array; store the images under the key 'images' (or 'x'). "
                f"Keys found: {', '.join(keys) or 'none'}")
        images = _load_array(archive, image_key, path)
        label_key = next((key for key in LABEL_KEYS if key in keys), None)
        labels = None if label_key is None else _load_array(archive, label_key, path)
        names = _load_array(archive, CLASS_NAMES_KEY, path) if CLASS_NAMES_KEY in keys else None

    pixels = _to_uint8_nchw(images, image_key, path, report, alpha)    # (N, C, H, W)
    if len(pixels) == 0:
        raise EmptyDatasetError(f"{path}: the array '{image_key}' holds no images (shape {images.shape}); "
                                f"save at least one image in it")
    label_tensor, class_names = _check_labels(labels, label_key, names, len(pixels), path)
    report.add_ok_count(len(pixels))
    return ImageDataset(images=torch.from_numpy(pixels), labels=label_tensor, class_names=class_names,
                        name=str(path), report=report)


def _check_header(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> None:
    """Read the member's .npy header alone and refuse an object array or a size the member cannot hold (a
    header claiming terabytes), before anything is allocated."""
    try:
        info = archive.zip.getinfo(f"{key}.npy")
        with archive.zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            reader = {(1, 0): np.lib.format.read_array_header_1_0}.get(version, np.lib.format.read_array_header_2_0)
            shape, _, dtype = reader(member)
    except Exception as error:           # damaged archives raise nearly anything (zipfile, zlib, numpy)
        raise ArrayFormatError(f"{path}: array '{key}' is corrupt or not a .npy member ({error}); save the file "
                               f"again") from None
    if dtype.hasobject:
        raise ArrayFormatError(f"{path}: array '{key}' holds Python objects, which cannot be read without pickle; "
                               f"save plain numeric arrays")
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > info.file_size:
        raise ArrayFormatError(f"{path}: array '{key}' claims {claimed:,} bytes (shape {tuple(shape)}) but the file "
                               f"holds {info.file_size:,}: it is truncated or damaged; save it again")


def _load_array(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    _check_header(archive, key, path)
    try:
        return archive[key]
    except ValueError as error:          # a member the header check let through but numpy cannot read
        raise ArrayFormatError(f"{path}: array '{key}' cannot be read ({error}); the file is damaged or not "
                               f"plain numeric arrays: save it again") from None
    except Exception as error:
        raise ArrayFormatError(f"{path}: array '{key}' is corrupt ({error}); save the file again") from None


def _to_uint8_nchw(images: np.ndarray, key: str, path: Path, report: DataReport, alpha: Alpha) -> np.ndarray:
    """Validate dtype and layout; returns a contiguous uint8 (N, C, H, W) with C in {1, 3} (4 when kept)."""
    if images.dtype == np.uint8:
        values = images
    elif np.issubdtype(images.dtype, np.floating):
        finite = np.isfinite(images).all()
        low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
        if not finite or low < 0.0 or high > 1.0:
            raise ArrayFormatError(
                f"{path}: array '{key}' is {images.dtype} with values in [{low}, {high}]"
                f"{'' if finite else ' (and NaN/Inf)'}; floats must lie in [0, 1] (or save uint8 0..255)")
        values = np.rint(images.astype(np.float64) * 255.0).astype(np.uint8)
        report.add_note(str(path), f"'{key}' is {images.dtype} in [0, 1]: scaled to 0..255 uint8")
    else:
        raise ArrayFormatError(
            f"{path}: array '{key}' has dtype {images.dtype}; use uint8 (0..255) or float in [0, 1]")

    layout = _layout(values.shape, key, path, report)
    if layout == "NHW":
        nchw = values[:, None]
    elif layout == "NHWC":
        nchw = values.transpose(0, 3, 1, 2)
    else:
        nchw = values
    if nchw.shape[1] == 4 and not alpha.keep:
        report.add_note(str(path), f"'{key}' has an alpha channel: flattened onto {alpha.describe()}")
    if nchw.shape[1] == 4 or alpha.keep:
        nchw = apply_alpha(torch.from_numpy(np.ascontiguousarray(nchw)), alpha).numpy()
    return np.ascontiguousarray(nchw)


def _layout(shape: tuple[int, ...], key: str, path: Path, report: DataReport) -> str:
    """"NHW", "NHWC" or "NCHW"; an ambiguous 4-D shape prefers the reading with square images."""
    if len(shape) == 3:
        return "NHW"
    if len(shape) != 4:
        raise ArrayFormatError(
            f"{path}: array '{key}' has shape {shape}; expected (N, H, W), (N, H, W, C) or (N, C, H, W)")
    channels_last = shape[3] in (1, 3, 4)
    channels_first = shape[1] in (1, 3, 4)
    if channels_last and channels_first:
        last_square, first_square = shape[1] == shape[2], shape[2] == shape[3]
        if first_square and not last_square:
            return "NCHW"
        if not (last_square and not first_square):
            report.add_note(str(path), f"'{key}' shape {shape} is ambiguous: read as (N, H, W, C)")
        return "NHWC"
    if channels_last:
        return "NHWC"
    if channels_first:
        return "NCHW"
    raise ArrayFormatError(
        f"{path}: array '{key}' has shape {shape}, with no axis of 1, 3 or 4 channels at position 1 or 3; "
        f"save it as (N, H, W), (N, H, W, C) or (N, C, H, W)")


def _check_labels(labels: np.ndarray | None, key: str | None, names: np.ndarray | None, count: int,
                  path: Path) -> tuple[torch.Tensor | None, list[str] | None]:
    if labels is None:
        return None, None
    if not np.issubdtype(labels.dtype, np.integer):
        raise ArrayFormatError(f"{path}: labels '{key}' have dtype {labels.dtype}; use integers 0..K-1")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != count:
        raise ArrayFormatError(
            f"{path}: labels '{key}' have shape {labels.shape} but there are {count} images; "
            f"give one label each")
    low, high = (int(labels.min()), int(labels.max())) if count else (0, -1)   # Python ints: no overflow
    where = f"{path}: labels '{key}'"
    if names is None:
        top = implied_class_count(low, high, count, where)          # refuses negatives and absurd counts
        class_names = [str(index) for index in range(top)]
    else:
        if low < 0:
            implied_class_count(low, high, count, where)             # the negative-label message
        if names.size <= high:                                       # checked before any name is built
            raise ArrayFormatError(
                f"{path}: '{CLASS_NAMES_KEY}' has {names.size} names but labels '{key}' go up to {high}; "
                f"give one name per class, or renumber the labels 0..K-1")
        class_names = [str(name) for name in names.reshape(-1)]
    return torch.from_numpy(labels.astype(np.int64)), class_names
