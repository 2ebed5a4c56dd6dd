"""load_dataset: one call from a name or a path to an ImageDataset of the size the model wants.

    load_dataset("mnist-5k", resolution=32)           # registered source, padded 28 → 32
    load_dataset("photos/", resolution=64, channels=3) # folder; sub-folders become classes
    load_dataset("faces.zip") / load_dataset("x.npz")
    load_dataset("fluent-emoji", resolution=64, alpha="keep")   # RGBA: 4 channels
    load_dataset("photos/", resolution=(48, 64))      # non-square: (height, width), e.g. duelo.aspect.image_size

A registered name wins over a same-named folder in the working directory; write ./name for the folder.
Folders and .zip files are decoded once and then loaded from the decode cache (duelo.data.decode_cache).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from duelo.data.decode_cache import cache_enabled, entry_for, read_entry, write_entry
from duelo.data.alpha import DEFAULT_ALPHA, Alpha, apply_alpha, parse_alpha
from duelo.data.collection import BAD_FILE_POLICIES, assemble_dataset, decode_items, note_sizes
from duelo.data.dataset import ImageDataset
from duelo.data.errors import DataError, EmptyDatasetError, MissingPathError, UnknownDatasetError
from duelo.data.image_files import ImageItem, labels_from_subfolders, list_folder, list_zip, open_zip
from duelo.data.images import IMAGE_SUFFIXES
from duelo.data.npz import read_npz
from duelo.data.report import DataReport
from duelo.data.sources import SOURCES
from duelo.data.transforms import RESIZE_MODES, Size, convert_channels, resize_images, size_text, target_size

DEFAULT_DATASET = "mnist-5k"
PATH_SPLIT = "train"          # user paths have no named splits; use ImageDataset.split to hold some out
ALPHA_CHUNK = 512             # images composited at a time (int32 arithmetic: bounded temporary memory)


@dataclass(frozen=True)
class LoadOptions:
    """The validated options of one load_dataset call."""

    resolution: Size | None   # square side, or (height, width), in pixels; None keeps the native size
    channels: int | None      # 1 or 3; None keeps the native channels
    resize: str               # a name in RESIZE_MODES
    bad_files: str            # a name in BAD_FILE_POLICIES
    alpha: Alpha = parse_alpha(DEFAULT_ALPHA)    # flatten onto a background, or keep (RGBA)


def load_dataset(spec: str, *, resolution: Size | None = None, channels: int | None = None,
                 resize: str = "auto", bad_files: str = "skip", split: str = "train",
                 alpha: str | Alpha = DEFAULT_ALPHA) -> ImageDataset:
    """Load a registered dataset or a folder/.zip/.npz, then bring it to `alpha`, `channels` and `resolution` (a
    square side, or (height, width) for non-square images; the `resize` mode says how).

    Files that cannot be read are skipped or refused according to `bad_files` ("skip" | "refuse") and
    listed in `dataset.report`; every user mistake is a DataError that says what to do. `alpha` is "white"
    (transparency flattened onto white, the default), "black", "gray", "#rrggbb", or "keep" (RGBA, 4 channels).
    """
    options = _validate_options(resolution, channels, resize, bad_files, alpha)
    spec = os.fspath(spec)
    if spec in SOURCES:
        dataset = SOURCES.build(spec, split=split)
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            raise _not_found(spec)
        if split != PATH_SPLIT:
            raise DataError(f"{spec}: a path has no named splits (asked for {split!r}); load it whole "
                            f"and use ImageDataset.split(fraction, seed) to hold images out")
        reader = _path_reader(path)
        dataset = reader(path, spec, options)
    return conform(dataset, resolution=options.resolution, channels=options.channels, resize=options.resize,
                   alpha=options.alpha)


def conform(dataset: ImageDataset, *, resolution: Size | None, channels: int | None,
            resize: str = "auto", alpha: str | Alpha = DEFAULT_ALPHA) -> ImageDataset:
    """Bring a dataset to `alpha`, then `channels`, then `resolution` (a side or (height, width); None = keep); a
    no-op when it fits.

    RGBA images are flattened onto the alpha background (a note in the report), or kept, in which case gray and
    RGB images get an opaque alpha channel; `channels` must then be None (the data is RGBA).
    """
    alpha = parse_alpha(alpha)
    _check_alpha_channels(alpha, channels)
    images = dataset.images
    if alpha.keep != (images.shape[1] == 4):
        if not alpha.keep:
            dataset.report.add_note(dataset.name, f"RGBA images: transparency flattened onto {alpha.describe()}")
        images = torch.cat([apply_alpha(chunk, alpha) for chunk in images.split(ALPHA_CHUNK)]) if len(images) \
            else apply_alpha(images, alpha)
    if channels is not None:
        images = convert_channels(images, channels)
    if resolution is not None:
        height, width = target_size(resolution)
        _check_memory(dataset, images.shape[0] * images.shape[1] * height * width, resolution)
        images = resize_images(images, resolution, resize)
    if images is dataset.images:
        return dataset
    return ImageDataset(images, dataset.labels, dataset.class_names, dataset.name, dataset.report,
                        dataset.item_names)


def _check_memory(dataset: ImageDataset, nbytes: int, resolution: Size) -> None:
    """Refuse a resolution whose resized copy of the data would not fit in half the machine's memory (an 8x8
    set asked for at 4096x4096 would take tens of GB and end minutes later in a MemoryError)."""
    try:
        available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if nbytes > available // 2:
        native = size_text(tuple(dataset.images.shape[-2:]))
        raise DataError(f"{dataset.name} at {size_text(resolution)} would take {nbytes / 2**30:,.1f} GiB of memory "
                        f"({len(dataset.images):,} images; this machine has {available / 2**30:,.0f} GiB); its images "
                        f"are {native}: choose a --resolution near that")


# ---- options ---------------------------------------------------------------------------------------------
def _validate_options(resolution: object, channels: object, resize: str, bad_files: str,
                      alpha: object = DEFAULT_ALPHA) -> LoadOptions:
    resolution = _validate_resolution(resolution)
    if channels is not None and (isinstance(channels, bool) or channels not in (1, 3)):
        raise DataError(f"channels must be 1 (gray) or 3 (RGB), got {channels!r}")
    if resize not in RESIZE_MODES:
        raise DataError(RESIZE_MODES.unknown_message(resize))
    if bad_files not in BAD_FILE_POLICIES:
        raise DataError(BAD_FILE_POLICIES.unknown_message(bad_files))
    parsed = parse_alpha(alpha)
    _check_alpha_channels(parsed, channels)
    return LoadOptions(resolution, channels, resize, bad_files, parsed)   # type: ignore[arg-type]


def _validate_resolution(resolution: object) -> Size | None:
    """None, a positive side, or (height, width) of positive sides; a square (R, R) becomes R (same cache entries)."""
    def side(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0

    if resolution is None or side(resolution):
        return resolution                                                    # type: ignore[return-value]
    if isinstance(resolution, (tuple, list)) and len(resolution) == 2 and all(map(side, resolution)):
        height, width = resolution
        return height if height == width else (height, width)
    raise DataError(f"resolution must be a positive integer (pixels per side) or (height, width) of positive "
                    f"integers, got {resolution!r}")


def _check_alpha_channels(alpha: Alpha, channels: object) -> None:
    if alpha.keep and channels is not None:
        raise DataError(f"alpha 'keep' makes RGBA images (4 channels), so channels must be left unset (got "
                        f"{channels!r}); to get gray or RGB, flatten the transparency instead: alpha white, "
                        f"black, gray or #rrggbb")


def _not_found(spec: str) -> DataError:
    looks_like_path = (os.sep in spec or "/" in spec or spec.startswith((".", "~"))
                       or Path(spec).suffix.lower() in IMAGE_SUFFIXES | {".zip", ".npz"})
    if looks_like_path:
        return MissingPathError(f"no such file or folder: {spec}; check the path, or run `duelo datasets` "
                                f"for the named datasets")
    return UnknownDatasetError(
        f"{SOURCES.unknown_message(spec)} A path to a folder of images, a .zip of images or an .npz works "
        f"too; `duelo datasets` lists the named ones")


# ---- readers of user paths -------------------------------------------------------------------------------
PathReader = Callable[[Path, str, LoadOptions], ImageDataset]


def read_folder(path: Path, name: str, options: LoadOptions) -> ImageDataset:
    """A folder of images, recursively; labels from class sub-folders (see image_files)."""
    report = DataReport(source=name)
    return _read_items(list_folder(path, report), name, report, options, path)


def read_zip(path: Path, name: str, options: LoadOptions) -> ImageDataset:
    """A .zip of images, read member by member without extracting; same label rule as a folder."""
    report = DataReport(source=name)
    with open_zip(path) as archive:
        return _read_items(list_zip(archive, path, report), name, report, options, path)


def read_npz_path(path: Path, name: str, options: LoadOptions) -> ImageDataset:
    """An .npz with images (and labels); one array, so bad_files does not apply."""
    dataset = read_npz(path, DataReport(source=name), options.alpha)
    dataset.name = name
    return dataset


# file suffix (or "folder") -> reader
PATH_READERS: dict[str, PathReader] = {
    "folder": read_folder,
    ".zip": read_zip,
    ".npz": read_npz_path,
}


def _path_reader(path: Path) -> PathReader:
    kind = "folder" if path.is_dir() else path.suffix.lower()
    reader = PATH_READERS.get(kind)
    if reader is None:
        raise DataError(f"{path}: unsupported file type {path.suffix or '(no suffix)'}; give a folder of "
                        f"images, a .zip of images or an .npz")
    return reader


def _read_items(items: list[ImageItem], name: str, report: DataReport, options: LoadOptions,
                root: Path) -> ImageDataset:
    if not items:
        raise EmptyDatasetError(
            f"{name}: no image files found (looked for {', '.join(sorted(IMAGE_SUFFIXES))}, "
            f"in sub-folders too); check the path, or put the images in it")
    entry = None
    if cache_enabled():
        settings = {"resolution": options.resolution, "channels": options.channels, "resize": options.resize,
                    "alpha": options.alpha.text}
        ignored = [f"{note.path}\0{note.reason}" for note in report.entries]      # listing notes so far
        entry = entry_for(root, name, items, ignored, settings)
        cached = read_entry(entry)
        if cached is not None:
            BAD_FILE_POLICIES.get(options.bad_files)(cached.report, name)
            return cached
    labelling = labels_from_subfolders(items)
    if labelling.note:
        report.add_note(name, labelling.note)
    collected = decode_items(items, labelling, report, resolution=options.resolution, resize=options.resize,
                             alpha=options.alpha)
    BAD_FILE_POLICIES.get(options.bad_files)(report, name)
    note_sizes(collected, report, name, resolution=options.resolution, resize=options.resize)
    dataset = assemble_dataset(collected, labelling, report, name, channels=options.channels)
    if entry is not None:
        write_entry(entry, dataset)
    return dataset
