"""Paired and unpaired image datasets for image-to-image translation (pix2pix, CycleGAN).

    load_paired("facades/train")                      # side-by-side: source left half, target right half
    load_paired("edges/", "shoes/", resolution=64)    # two folders; a.png pairs with a.jpg (same stem)
    load_paired("maps/")                              # one folder holding A/ and B/ (or input/ target/, ...)
    horses, zebras = load_unpaired("horses/", "zebras/", resolution=128)

Pairing (Isola et al., 2017, "Image-to-Image Translation with Conditional Adversarial Networks") needs
row i of the source to show the same scene as row i of the target, so a file that cannot be read drops
its whole pair: a pair with one side missing would shift every later row. Decoding, EXIF, bomb limits
and resizing are the ones load_dataset uses (images.py, collection.py, transforms.py).

Unpaired translation (Zhu et al., 2017, CycleGAN) needs nothing but two independent datasets, so
load_unpaired is load_dataset twice, with errors that say which domain failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import torch

from duelo.data.alpha import DEFAULT_ALPHA, WHITE, Alpha
from duelo.data.collection import (
    BAD_FILE_POLICIES,
    DecodedCollection,
    assemble_dataset,
    note_sizes,
)
from duelo.data.dataset import ImageDataset
from duelo.data.errors import (
    ArrayFormatError,
    BadImageError,
    DataError,
    EmptyDatasetError,
    MissingPathError,
)
from duelo.data.image_files import ImageItem, Labelling, list_folder
from duelo.data.images import DecodedImage, decode_image_bytes
from duelo.data.loading import _validate_options   # one validation for every loader
from duelo.data.report import DataReport
from duelo.data.transforms import resize_image, to_chw
from duelo.errors import ConfigError
from duelo.registry import Registry

# Sub-folder pairs accepted inside one root (matched case-insensitively): (source, target).
PAIR_FOLDERS: tuple[tuple[str, str], ...] = (("A", "B"), ("input", "target"), ("source", "target"))
UNMATCHED_LIST_LENGTH = 5           # unmatched names shown per side in an error before "..."
UNLABELLED = Labelling(None, None, None)


class PairingError(DataError):
    """Files that do not pair up: unmatched or ambiguous names, or an image that cannot be cut in two."""


@dataclass
class PairedDataset:
    """Aligned source and target images: row i of `source` is the input whose wanted output is row i of
    `target`. Each side keeps its own size and channels; both have the same number of rows."""

    source: ImageDataset     # uint8 (N, C_source, H, W)
    target: ImageDataset     # uint8 (N, C_target, H, W)
    names: list[str]         # names[i]: the pair's path under its root without suffix ("sub/a"), or index

    def __post_init__(self) -> None:
        if not len(self.source) == len(self.target) == len(self.names):
            raise ArrayFormatError(
                f"{self.source.name} / {self.target.name}: {len(self.source)} source images, "
                f"{len(self.target)} target images and {len(self.names)} names; give one of each per pair")

    def __len__(self) -> int:
        return len(self.source)

    @property
    def reports(self) -> list[DataReport]:
        """The reading reports: one when both sides came from the same files, else source then target."""
        if self.source.report is self.target.report:
            return [self.source.report]
        return [self.source.report, self.target.report]

    def subset(self, indices: torch.Tensor, suffix: str = "") -> PairedDataset:
        """The pairs at `indices` (int64), in that order; `suffix` is appended to both side names."""
        return PairedDataset(
            source=self.source.subset(indices, f"{self.source.name}{suffix}"),
            target=self.target.subset(indices, f"{self.target.name}{suffix}"),
            names=[self.names[int(index)] for index in indices],
        )

    def swapped(self) -> PairedDataset:
        """Target becomes source (pix2pix facades hold the photo on the left; labels→photo needs this)."""
        return PairedDataset(self.target, self.source, list(self.names))

    def split(self, fraction: float, seed: int) -> tuple[PairedDataset, PairedDataset]:
        """Deterministic split into (rest, held_out), held_out getting round(fraction · N) pairs.

        The same draw as ImageDataset.split on an unlabelled set (torch's CPU generator, seeded), so a
        paired set and its source side alone hold out the same rows. Both parts keep the original order.
        """
        if isinstance(fraction, bool) or not 0.0 < float(fraction) < 1.0:
            raise ConfigError(f"split fraction must be strictly between 0 and 1, got {fraction!r}")
        generator = torch.Generator().manual_seed(int(seed))
        count = int(round(float(fraction) * len(self)))
        held = torch.randperm(len(self), generator=generator)[:count].sort().values
        keep_mask = torch.ones(len(self), dtype=torch.bool)
        keep_mask[held] = False
        rest = torch.nonzero(keep_mask).flatten()
        return self.subset(rest, "[rest]"), self.subset(held, "[held-out]")


@dataclass(frozen=True)
class PairOptions:
    """The validated options of one load_paired call."""

    resolution: int | None         # square side for both sides; None keeps the native size
    source_channels: int | None    # 1 or 3; None keeps the native channels
    target_channels: int | None
    resize: str                    # a name in RESIZE_MODES
    bad_files: str                 # "skip" | "refuse"
    alpha: Alpha = WHITE           # transparency: flattened onto a background, or kept (RGBA)


# ---- loading pairs ---------------------------------------------------------------------------------------
PairLoader = Callable[[Path, Path | None, PairOptions], PairedDataset]   # (source, target, options)
PAIR_LAYOUTS: Registry[PairLoader] = Registry("pair layout")


def load_paired(source: str | os.PathLike[str], target: str | os.PathLike[str] | None = None, *,
                layout: str = "auto", resolution: int | None = None, source_channels: int | None = None,
                target_channels: int | None = None, resize: str = "auto",
                bad_files: str = "skip", alpha: str | Alpha = DEFAULT_ALPHA) -> PairedDataset:
    """Load aligned (source, target) image pairs from folders; see PAIR_LAYOUTS for the layouts.

    layout "folders": `source` and `target` are two folders, or `target` is None and `source` holds one
    of the sub-folder pairs in PAIR_FOLDERS (A/ B/, input/ target/, source/ target/). Files pair by their
    path under the root without suffix, so `a.png` pairs with `a.jpg` and `x/a.png` with `x/a.jpg`.
    layout "side-by-side": `source` is one folder of images whose left half is the source and right half
    the target (pix2pix's facades, maps, edges2shoes); `target` must be None.
    layout "auto": folders when `target` is given or `source` holds a sub-folder pair, else side-by-side.

    bad_files "skip": unreadable files and files without a partner are left out with their pair and
    listed in the reports (`.reports`); "refuse": either stops with a DataError naming them. No pair in
    common at all is always an error. Both sides are brought to `resolution` and to their own channels.
    Transparency follows `alpha`, as in load_dataset.
    """
    base = _validate_options(resolution, None, resize, bad_files, alpha)
    for parameter, value in (("source_channels", source_channels), ("target_channels", target_channels)):
        if value is not None and (isinstance(value, bool) or value not in (1, 3)):
            raise DataError(f"{parameter} must be 1 (gray), 3 (RGB) or None (keep), got {value!r}")
        if value is not None and base.alpha.keep:
            raise DataError(f"alpha 'keep' makes RGBA images (4 channels): leave {parameter} unset")
    options = PairOptions(base.resolution, source_channels, target_channels, base.resize, base.bad_files,
                          base.alpha)
    if layout not in PAIR_LAYOUTS:
        raise DataError(PAIR_LAYOUTS.unknown_message(layout))
    source_root = _existing_folder(source, "source")
    target_root = None if target is None else _existing_folder(target, "target")
    return PAIR_LAYOUTS.get(layout)(source_root, target_root, options)


@PAIR_LAYOUTS.register("auto")
def load_auto(source_root: Path, target_root: Path | None, options: PairOptions) -> PairedDataset:
    """Folders when a target folder is given or the root holds a sub-folder pair; side-by-side when the
    images are about twice as wide as tall; otherwise an error (guessing would cut single images in half)."""
    if target_root is not None or find_pair_folders(source_root) is not None:
        return load_folders(source_root, target_root, options)
    if not _looks_side_by_side(source_root):
        raise PairingError(
            f"{source_root} holds single images (not twice as wide as tall) and no A/ and B/ sub-folders, so it "
            f"is not paired data. Give the inputs with --source FOLDER (matching file names), put them in "
            f"{source_root}/A and the targets in {source_root}/B, make the input with --degrade NAME (e.g. "
            f"edges), or insist on halves with --set image2image.layout=side-by-side")
    return load_side_by_side(source_root, None, options)


def _looks_side_by_side(root: Path) -> bool:
    """The first readable image's width is at least 1.5 times its height (size read from the header only)."""
    from PIL import Image

    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            with Image.open(path) as image:
                width, height = image.size
        except Exception:                       # not an image: the loader reports it later
            continue
        return width >= 1.5 * height
    return True                                 # nothing readable: let the loader say so


@PAIR_LAYOUTS.register("folders")
def load_folders(source_root: Path, target_root: Path | None, options: PairOptions) -> PairedDataset:
    """Two folders whose files pair up by relative path without suffix."""
    if target_root is None:
        found = find_pair_folders(source_root)
        if found is None:
            accepted = ", ".join(f"{a}/ + {b}/" for a, b in PAIR_FOLDERS)
            raise PairingError(f"{source_root}: no pair of sub-folders found (accepted: {accepted}); give "
                               f"the target folder as well, or use layout='side-by-side' for images that "
                               f"hold source and target side by side")
        source_root, target_root = found
    source_report = DataReport(source=str(source_root))
    target_report = DataReport(source=str(target_root))
    source_items = _items_by_stem(source_root, source_report)
    target_items = _items_by_stem(target_root, target_report)
    matched = sorted(source_items.keys() & target_items.keys())
    _check_unmatched(source_items, target_items, source_root, target_root, source_report, target_report,
                     matched, options.bad_files)
    candidates = [(key, (source_items[key], target_items[key])) for key in matched]
    return _decode_pairs(candidates, _two_files, (source_report, target_report),
                         (str(source_root), str(target_root)), options)


@PAIR_LAYOUTS.register("side-by-side")
def load_side_by_side(source_root: Path, target_root: Path | None, options: PairOptions) -> PairedDataset:
    """One folder of images, each holding the source in its left half and the target in its right half."""
    if target_root is not None:
        raise DataError(f"{source_root}: layout 'side-by-side' reads source and target from the same images, "
                        f"so give no target folder (target=None), or use layout='folders' for two folders")
    report = DataReport(source=str(source_root))
    items = list_folder(source_root, report)
    if not items:
        raise EmptyDatasetError(f"{source_root}: no image files found (in sub-folders too); check the path")
    candidates = [(_stem_key(item), (item,)) for item in items]
    sides = (f"{source_root} (left halves)", f"{source_root} (right halves)")
    return _decode_pairs(candidates, _halves, (report, report), sides, options)


def find_pair_folders(root: Path) -> tuple[Path, Path] | None:
    """The (source, target) sub-folders of `root` named as in PAIR_FOLDERS, or None when there are none.

    Half a pair (A/ without B/) or two different pairs are errors: guessing would pair the wrong images.
    """
    folders = {entry.name.lower(): entry for entry in root.iterdir()
               if entry.is_dir() and not entry.name.startswith(".")}
    complete = [(folders[a.lower()], folders[b.lower()]) for a, b in PAIR_FOLDERS
                if a.lower() in folders and b.lower() in folders]
    if len(complete) > 1:
        shown = " and ".join(f"{a.name}/ + {b.name}/" for a, b in complete)
        raise PairingError(f"{root}: holds more than one pair of sub-folders ({shown}); keep one pair, or "
                           f"give the source and target folders explicitly")
    if complete:
        return complete[0]
    halves = [folders[name.lower()].name for pair in PAIR_FOLDERS for name in pair if name.lower() in folders]
    if halves:
        accepted = ", ".join(f"{a}/ + {b}/" for a, b in PAIR_FOLDERS)
        raise PairingError(f"{root}: found {halves[0]}/ but not its partner folder (accepted pairs: "
                           f"{accepted}); add the partner, give the source and target folders explicitly, or "
                           f"pass layout='side-by-side' if the images hold both halves")
    return None


# ---- pairing by name -------------------------------------------------------------------------------------
def _stem_key(item: ImageItem) -> str:
    """The item's path under its root without suffix: parts ("x", "a.png") -> "x/a"."""
    return str(PurePosixPath(*item.parts[:-1], PurePosixPath(item.parts[-1]).stem))


def _items_by_stem(root: Path, report: DataReport) -> dict[str, ImageItem]:
    items = list_folder(root, report)
    if not items:
        raise EmptyDatasetError(f"{root}: no image files found (in sub-folders too); check the path, "
                                f"or put the images in it")
    by_key: dict[str, ImageItem] = {}
    for item in items:
        key = _stem_key(item)
        if key in by_key:
            raise PairingError(f"{item.display_path} and {by_key[key].display_path} share the name {key!r}, "
                               f"so it is unclear which one to pair; keep one of them, or rename the other")
        by_key[key] = item
    return by_key


def _check_unmatched(source_items: dict[str, ImageItem], target_items: dict[str, ImageItem],
                     source_root: Path, target_root: Path, source_report: DataReport,
                     target_report: DataReport, matched: list[str], bad_files: str) -> None:
    """No common name: always an error. Some unmatched: refused, or recorded as skipped under "skip"."""
    lonely_source = sorted(source_items.keys() - target_items.keys())
    lonely_target = sorted(target_items.keys() - source_items.keys())
    rule = "files pair up by their path without suffix (a.png with a.jpg, x/b.png with x/b.jpg)"
    if not matched:
        raise PairingError(f"{source_root} and {target_root}: no file name in common (source has "
                           f"{_listed(lonely_source)}; target has {_listed(lonely_target)}); {rule}, so "
                           f"rename the files so that both halves of a pair share one name")
    if not lonely_source and not lonely_target:
        return
    if bad_files == "refuse":
        raise PairingError(f"{source_root} and {target_root}: {len(lonely_source)} source files have no "
                           f"target ({_listed(lonely_source)}) and {len(lonely_target)} target files have no "
                           f"source ({_listed(lonely_target)}); {rule}. Rename or remove them, or pass "
                           f"--bad-files skip (bad_files='skip') to leave them out")
    for keys, items, report, other in ((lonely_source, source_items, source_report, target_root),
                                       (lonely_target, target_items, target_report, source_root)):
        for key in keys:
            report.add_skipped(items[key].display_path, f"no partner named {key}.* in {other}")


def _listed(names: list[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:UNMATCHED_LIST_LENGTH])
    more = f", ... ({len(names) - UNMATCHED_LIST_LENGTH} more)" if len(names) > UNMATCHED_LIST_LENGTH else ""
    return f"{len(names)}: {shown}{more}"


# ---- decoding pairs --------------------------------------------------------------------------------------
# decoded files of one pair + the first file's path -> (source pixels, target pixels), uint8 (H, W, C) each
Splitter = Callable[[list[DecodedImage], str], tuple[np.ndarray, np.ndarray]]


def _two_files(decoded: list[DecodedImage], path: str) -> tuple[np.ndarray, np.ndarray]:
    return decoded[0].pixels, decoded[1].pixels


def _halves(decoded: list[DecodedImage], path: str) -> tuple[np.ndarray, np.ndarray]:
    """Left half → source, right half → target (pix2pix's aligned layout, A|B)."""
    pixels = decoded[0].pixels                                                      # (H, W, C)
    width = int(pixels.shape[1])
    if width % 2:
        raise PairingError(f"{path}: width {width} is odd, so it cannot be cut into equal source (left) and "
                           f"target (right) halves; crop it to an even width, or, if this folder does not "
                           f"hold side-by-side pairs, give a target folder or A/ and B/ sub-folders")
    return pixels[:, : width // 2], pixels[:, width // 2:]


def _decode(item: ImageItem, alpha: Alpha) -> DecodedImage | BadImageError:
    try:
        return decode_image_bytes(item.read_bytes(), item.display_path, alpha)
    except BadImageError as error:
        return error


def _decode_pairs(candidates: list[tuple[str, tuple[ImageItem, ...]]], splitter: Splitter,
                  reports: tuple[DataReport, DataReport], side_names: tuple[str, str],
                  options: PairOptions) -> PairedDataset:
    """Decode each pair's files; a bad file drops its pair (its partners are reported as dropped too)."""
    collected = (DecodedCollection(), DecodedCollection())
    names: list[str] = []
    orphans: list[tuple[DataReport, ImageItem, str]] = []     # readable files whose partner was bad
    for key, items in candidates:
        side_reports = reports[: len(items)]
        decoded = [_decode(item, options.alpha) for item in items]
        bad = [(item, result) for item, result in zip(items, decoded) if isinstance(result, BadImageError)]
        for (item, result), report in zip(zip(items, decoded), side_reports):
            if isinstance(result, BadImageError):
                report.add_skipped(item.display_path, result.reason)
            elif bad:
                reason = f"dropped with its pair: {bad[0][0].display_path} is unreadable"
                orphans.append((report, item, reason))
        if bad:
            continue
        for item, result, report in zip(items, decoded, side_reports):
            report.add_ok(item.display_path)
            for note in result.notes:
                report.add_note(item.display_path, note)
        for collection, pixels in zip(collected, splitter(decoded, items[0].display_path)):
            image = to_chw(pixels)                                                              # (C, H, W)
            collection.sizes_hw[(int(image.shape[1]), int(image.shape[2]))] += 1
            collection.colour_count += int(image.shape[0]) == 3
            if options.resolution is not None:
                image = resize_image(image, options.resolution, options.resize)
            collection.images.append(image)
        names.append(key)
    distinct_reports = list({id(report): report for report in reports}.values())
    for report in distinct_reports:                           # "refuse" raises naming the bad files
        BAD_FILE_POLICIES.get(options.bad_files)(report, report.source)
    for report, item, reason in orphans:                      # after "refuse": they are not unreadable
        report.add_skipped(item.display_path, reason)
    if not names:
        checks = " and ".join(f"`duelo data check {report.source}`" for report in distinct_reports)
        raise EmptyDatasetError(f"{' and '.join(report.source for report in distinct_reports)}: none of the "
                                f"{len(candidates)} pairs could be read; run {checks} to see why")
    sides = []
    for collection, report, side_name, channels in zip(
            collected, reports, side_names, (options.source_channels, options.target_channels)):
        note_sizes(collection, report, side_name, resolution=options.resolution, resize=options.resize)
        sides.append(assemble_dataset(collection, UNLABELLED, report, side_name, channels=channels))
    return PairedDataset(sides[0], sides[1], names)


def _existing_folder(spec: str | os.PathLike[str], role: str) -> Path:
    text = os.fspath(spec)
    path = Path(text).expanduser()
    if not path.exists():
        raise MissingPathError(f"no such folder: {text} (the {role}); check the path")
    if not path.is_dir():
        raise DataError(f"{text}: the {role} must be a folder of images (paired loading reads folders, not "
                        f"single files or archives); unpack it into a folder")
    return path
