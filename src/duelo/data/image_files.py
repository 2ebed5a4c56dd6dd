"""Finding the image files of a folder or a .zip, and deriving labels from their sub-folders.

Both give a list of ImageItem: a display path, the path parts under the root (for labels) and a function
that returns the file's bytes with a size limit. A zip is read member by member in memory — nothing is
ever extracted to disk, so odd member names cannot write anywhere.

Label rule: when every image sits inside a sub-folder of the root, the first-level sub-folder names,
sorted, are the classes (cats/, dogs/ → 0, 1). Images directly in the root make the set unlabelled.
A root holding nothing but one folder is looked through (an archive of `photos/cats, photos/dogs` has
the classes cats and dogs), so one class never happens by accident.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from duelo.data.errors import BadImageError, DataError
from duelo.data.images import IMAGE_SUFFIXES, MAX_FILE_BYTES, path_not_regular, read_image_file
from duelo.data.report import DataReport

MACOS_METADATA_FOLDER = "__MACOSX"


@dataclass(frozen=True)
class ImageItem:
    """One image file: where to show it, its parts under the root, and how to read its bytes."""

    display_path: str                     # what reports and errors print
    parts: tuple[str, ...]                # path components under the root, file name last
    read_bytes: Callable[[], bytes]       # raises BadImageError (too large, unreadable)


@dataclass
class Labelling:
    labels: list[int] | None              # one per item, or None when unlabelled
    class_names: list[str] | None
    note: str | None                      # why the set is unlabelled, when that may surprise


def has_image_suffix(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def is_hidden(parts: tuple[str, ...]) -> bool:
    """Dot-files and dot-folders (.DS_Store, .git/) and macOS archive metadata are never data."""
    return any(part.startswith(".") for part in parts) or (bool(parts) and parts[0] == MACOS_METADATA_FOLDER)


# ---- folders ---------------------------------------------------------------------------------------------
def list_folder(root: Path, report: DataReport) -> list[ImageItem]:
    """Image files under `root`, recursively, in sorted order; other files get a note in `report`.

    os.walk with followlinks=False: a symlinked folder is not entered (no cycles, no escaping the root).
    """
    items: list[ImageItem] = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            parts = path.relative_to(root).parts
            if is_hidden(parts):
                continue
            if not has_image_suffix(name):
                report.add_note(str(path), "ignored: not an image file suffix")
                continue
            items.append(ImageItem(str(path), parts, _file_reader(path)))
    return items


def _file_reader(path: Path) -> Callable[[], bytes]:
    """Reads the file when called; a FIFO, socket or device is reported "not a regular file", never opened."""
    def read() -> bytes:
        return read_image_file(str(path), MAX_FILE_BYTES)

    return read


# ---- zip archives ----------------------------------------------------------------------------------------
def open_zip(archive_path: Path) -> zipfile.ZipFile:
    """Open a .zip for list_zip; keep it open (a `with` block) while the items are read."""
    special = path_not_regular(archive_path)
    if special is not None:                      # a FIFO would block open() forever
        raise DataError(f"{archive_path}: {special}; give a .zip file, a folder or an .npz")
    try:
        return zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError(f"{archive_path}: not a readable .zip archive ({error}); re-create it "
                        f"(for example `zip -r photos.zip photos/`) or give the folder itself") from None


def list_zip(archive: zipfile.ZipFile, archive_path: Path, report: DataReport) -> list[ImageItem]:
    """Image members of an open .zip, sorted by name; directories, hidden files and __MACOSX/ are ignored.

    The items read from `archive`, which must stay open until they have been read.
    """
    items: list[ImageItem] = []
    for info in sorted(archive.infolist(), key=lambda info: info.filename):
        if info.is_dir():
            continue
        display = f"{archive_path}/{info.filename}"
        raw_parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        parts = tuple(part for part in raw_parts if part not in ("", ".", "/"))
        if ".." in parts or info.filename.startswith("/"):
            report.add_note(display, "ignored: member path leaves the archive root")
            continue
        if is_hidden(parts):
            continue
        if not has_image_suffix(info.filename):
            report.add_note(display, "ignored: not an image file suffix")
            continue
        items.append(ImageItem(display, parts, _member_reader(archive, info, display)))
    return items


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> Callable[[], bytes]:
    def read() -> bytes:
        if info.flag_bits & 0x1:
            raise BadImageError(display, "encrypted archive member")
        if info.file_size > MAX_FILE_BYTES:
            raise BadImageError(display, f"archive member larger than {MAX_FILE_BYTES} bytes")
        try:
            with archive.open(info) as member:
                data = member.read(MAX_FILE_BYTES + 1)        # the header may lie about the size
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise BadImageError(display, f"corrupt archive member: {error}") from None
        if len(data) > MAX_FILE_BYTES:
            raise BadImageError(display, f"archive member larger than {MAX_FILE_BYTES} bytes")
        return data

    return read


# ---- labels ----------------------------------------------------------------------------------------------
def strip_single_top_folder(items: list[ImageItem]) -> list[ImageItem]:
    """Drop leading folders that every item shares (`photos/cats/a.png` → `cats/a.png`)."""
    def one_shared_folder(items: list[ImageItem]) -> bool:
        return all(len(item.parts) >= 2 for item in items) and len({item.parts[0] for item in items}) == 1

    while items and one_shared_folder(items):
        items = [ImageItem(item.display_path, item.parts[1:], item.read_bytes) for item in items]
    return items


def labels_from_subfolders(items: list[ImageItem]) -> Labelling:
    """Class = first-level sub-folder, when every item is in one; sorted names → indices 0, 1, ..."""
    items = strip_single_top_folder(items)
    loose = [item for item in items if len(item.parts) < 2]
    if not items:
        return Labelling(None, None, None)
    if loose:
        in_folders = len(items) - len(loose)
        note = None
        if in_folders:
            note = (f"unlabelled: {len(loose)} images sit directly in the root (e.g. {loose[0].parts[-1]}) "
                    f"while {in_folders} are in sub-folders; put every image in a class folder to get labels")
        return Labelling(None, None, note)
    class_names = sorted({item.parts[0] for item in items})
    index = {name: position for position, name in enumerate(class_names)}
    return Labelling([index[item.parts[0]] for item in items], class_names, None)
