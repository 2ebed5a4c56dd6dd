"""check_path: read everything under a path and report every file that cannot be used, with the reason.

The same decoding as load_dataset, without keeping pixels, so checking a large folder takes little
memory. `duelo data check` prints this report; run it before a long training run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from duelo.data.collection import decode_items, note_sizes
from duelo.data.errors import BadImageError, DataError, MissingPathError
from duelo.data.image_files import ImageItem, labels_from_subfolders, list_folder, list_zip, open_zip
from duelo.data.images import IMAGE_SUFFIXES, decode_image_file
from duelo.data.npz import read_npz
from duelo.data.report import DataReport
from duelo.data.transforms import RESIZE_MODES

Checker = Callable[[Path, DataReport, "int | None", str], None]


def check_path(path: str | Path, resolution: int | None = None, resize: str = "auto") -> DataReport:
    """Report on a folder, .zip, .npz or single image file; raises only when the path itself is missing."""
    path_text = str(path)
    path = Path(path).expanduser()
    if not path.exists():
        raise MissingPathError(f"no such file or folder: {path_text}")
    if resize not in RESIZE_MODES:
        raise DataError(RESIZE_MODES.unknown_message(resize))
    report = DataReport(source=path_text)
    kind = "folder" if path.is_dir() else path.suffix.lower()
    checker = CHECKERS.get(kind, _check_image_file if kind in IMAGE_SUFFIXES else _unsupported)
    checker(path, report, resolution, resize)
    return report


def _check_items(items: list[ImageItem], source: str, report: DataReport, resolution: int | None,
                 resize: str) -> None:
    if not items:
        report.add_note(source, "no image files found")
        return
    labelling = labels_from_subfolders(items)
    if labelling.note:
        report.add_note(source, labelling.note)
    elif labelling.class_names:
        shown = ", ".join(labelling.class_names[:8]) + (", ..." if len(labelling.class_names) > 8 else "")
        report.add_note(source, f"labelled: {len(labelling.class_names)} classes from sub-folders ({shown})")
    collected = decode_items(items, labelling, report, resolution=resolution, resize=resize,
                             keep_pixels=False)
    note_sizes(collected, report, source, resolution=resolution, resize=resize)


def _check_folder(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    _check_items(list_folder(path, report), report.source, report, resolution, resize)


def _check_zip(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    try:
        archive = open_zip(path)
    except DataError as error:
        report.add_skipped(report.source, _reason(error, path))
        return
    with archive:
        _check_items(list_zip(archive, path, report), report.source, report, resolution, resize)


def _check_npz(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    try:
        read_npz(path, report)
    except DataError as error:
        report.add_skipped(report.source, _reason(error, path))


def _check_image_file(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    try:
        decoded = decode_image_file(str(path))
    except BadImageError as error:
        report.add_skipped(report.source, error.reason)
        return
    report.add_ok(report.source)
    for note in decoded.notes:
        report.add_note(report.source, note)


def _unsupported(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    report.add_skipped(report.source, f"unsupported file type {path.suffix or '(no suffix)'}: "
                                      f"give a folder, a .zip, an .npz or an image file")


def _reason(error: DataError, path: Path) -> str:
    """The error message without its leading "PATH: ", since the report line names the path already."""
    text = str(error)
    prefix = f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text


CHECKERS: dict[str, Checker] = {
    "folder": _check_folder,
    ".zip": _check_zip,
    ".npz": _check_npz,
}
