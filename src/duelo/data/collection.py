"""From a list of image files to an ImageDataset: decode each, bring it to size, apply the bad-file policy.

Each image is resized right after it is decoded, so a folder of large photos never sits in memory at
full size. Files that fail go into the report with their reason; what happens next is the bad-file
policy: "skip" leaves them out, "refuse" stops with a list, so a long run never starts on a set that
is not what the user thinks it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from duelo.data.alpha import WHITE, Alpha
from duelo.data.dataset import ImageDataset
from duelo.data.errors import BadFilesError, BadImageError, DataError, EmptyDatasetError
from duelo.data.image_files import ImageItem, Labelling
from duelo.data.images import DecodedImage, decode_image_bytes
from duelo.data.report import DataReport
from duelo.data.transforms import Size, convert_channels, resize_image, size_text, to_chw
from duelo.registry import Registry

REFUSE_LIST_LENGTH = 5     # bad files named in a "refuse" error before "... and N more"


@dataclass
class DecodedCollection:
    """What decoding a list of items produced (pixels only when asked to keep them)."""

    images: list[torch.Tensor] = field(default_factory=list)    # (C, H, W) uint8 each, C in {1, 3}; all 4 when
                                                                # alpha is kept
    labels: list[int] | None = None
    sizes_hw: Counter = field(default_factory=Counter)          # native (H, W) -> count; messages print W×H
    colour_count: int = 0                                       # readable images with 3 channels


def decode_and_record(decode: Callable[[], DecodedImage], display_path: str,
                      report: DataReport) -> DecodedImage | None:
    """Decode one file; a bad one is recorded as skipped (None returned), odd ones get their notes."""
    try:
        decoded = decode()
    except BadImageError as error:
        report.add_skipped(display_path, error.reason)
        return None
    report.add_ok(display_path)
    for note in decoded.notes:
        report.add_note(display_path, note)
    return decoded


def decode_items(items: list[ImageItem], labelling: Labelling, report: DataReport, *,
                 resolution: Size | None, resize: str, keep_pixels: bool = True,
                 alpha: Alpha = WHITE) -> DecodedCollection:
    """Decode every item; bad ones are recorded as skipped, odd ones get notes. Never raises for a file."""
    collected = DecodedCollection(labels=[] if labelling.labels is not None else None)
    for position, item in enumerate(items):
        decoded = decode_and_record(lambda: decode_image_bytes(item.read_bytes(), item.display_path, alpha),
                                    item.display_path, report)
        if decoded is None:
            continue
        collected.sizes_hw[decoded.size_hw] += 1
        collected.colour_count += decoded.channels == 3
        if collected.labels is not None:
            collected.labels.append(labelling.labels[position])         # type: ignore[index]
        if keep_pixels:
            image = to_chw(decoded.pixels)                                         # (C, H, W)
            if resolution is not None:
                image = resize_image(image, resolution, resize)
            collected.images.append(image)
    return collected


def note_sizes(collected: DecodedCollection, report: DataReport, source: str, *,
               resolution: Size | None, resize: str) -> None:
    """A dataset-level note when images differ in size (they are resized when a resolution is given)."""
    if len(collected.sizes_hw) <= 1:
        return
    common = ", ".join(f"{width}×{height} ×{count}"
                       for (height, width), count in collected.sizes_hw.most_common(4))
    more = f" and {len(collected.sizes_hw) - 4} more" if len(collected.sizes_hw) > 4 else ""
    if resolution is None:
        report.add_note(source, f"mixed sizes ({common}{more}): pass --resolution N to bring them to "
                                f"one size")
    else:
        report.add_note(source, f"mixed sizes ({common}{more}): all brought to {size_text(resolution)} "
                                f"with resize mode {resize!r}")


def assemble_dataset(collected: DecodedCollection, labelling: Labelling, report: DataReport, name: str, *,
                     channels: int | None) -> ImageDataset:
    """Stack decoded images into an ImageDataset; mixed sizes without a resolution are an error here."""
    if not collected.images:
        raise EmptyDatasetError(
            f"{name}: none of the {report.files_seen} image files could be read; "
            f"run `duelo data check {name}` to see why")
    if len({tuple(image.shape[1:]) for image in collected.images}) > 1:
        sizes = ", ".join(f"{width}×{height}" for (height, width), _ in collected.sizes_hw.most_common(4))
        raise DataError(
            f"{name}: images differ in size ({sizes}, ...); pass --resolution N (resolution=N in Python) "
            f"to bring them all to N×N")
    rgba = int(collected.images[0].shape[0]) == 4                 # alpha kept: every image is RGBA
    target_channels = channels or (4 if rgba else 3 if collected.colour_count else 1)
    if channels is None and 0 < collected.colour_count < len(collected.images):
        gray_count = len(collected.images) - collected.colour_count
        report.add_note(name, f"mixed gray and colour images: {gray_count} gray ones replicated to "
                              f"3 channels")
    images = torch.stack([
        image if int(image.shape[0]) == target_channels else convert_channels(image[None], target_channels)[0]
        for image in collected.images
    ])                                                                        # (N, C, H, W)
    return ImageDataset(
        images=images,
        labels=None if collected.labels is None else torch.tensor(collected.labels, dtype=torch.int64),
        class_names=labelling.class_names if collected.labels is not None else None,
        name=name,
        report=report,
    )


# ---- bad-file policies -----------------------------------------------------------------------------------
BadFilePolicy = Callable[[DataReport, str], None]
BAD_FILE_POLICIES: Registry[BadFilePolicy] = Registry("bad-files policy")


@BAD_FILE_POLICIES.register("skip")
def skip_bad_files(report: DataReport, source: str) -> None:
    """Leave bad files out; they stay listed in the dataset's report."""


@BAD_FILE_POLICIES.register("refuse")
def refuse_bad_files(report: DataReport, source: str) -> None:
    """Stop when any file is bad, naming the first few with their reasons."""
    bad = report.skipped
    if not bad:
        return
    listed = "; ".join(f"{entry.path}: {entry.reason}" for entry in bad[:REFUSE_LIST_LENGTH])
    more = f"; and {len(bad) - REFUSE_LIST_LENGTH} more" if len(bad) > REFUSE_LIST_LENGTH else ""
    raise BadFilesError(
        f"{source}: {len(bad)} of {report.files_seen} image files are unreadable ({listed}{more}). "
        f"Run `duelo data check {source}` for the full list, fix or remove them, "
        f"or pass --bad-files skip to leave them out")
