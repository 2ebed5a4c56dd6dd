"""check_path: read everything under a path and report every file that cannot be used, with the reason.

The same decoding as load_dataset, without keeping pixels, so checking a large folder takes little
memory. `duelo data check` prints this report; run it before a long training run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from duelo.data.collection import decode_and_record, decode_items, note_sizes
from duelo.data.errors import DataError, MissingPathError
from duelo.data.image_files import ImageItem, labels_from_subfolders, list_folder, list_zip, open_zip
from duelo.data.images import IMAGE_SUFFIXES, decode_image_file, path_not_regular
from duelo.data.npz import read_npz
from duelo.data.report import DataReport
from duelo.data.transforms import RESIZE_MODES

Checker = Callable[[Path, DataReport, "int | None", str], None]

SKIPPED_WHEN_TRAINING = ("Bad files are skipped by default when training (--bad-files skip); "
                         "--bad-files refuse stops instead.")


def check_path(path: str | Path, resolution: int | None = None, resize: str = "auto") -> DataReport:
    """Report on a folder, .zip, .npz or single image file; raises only when the path itself is missing."""
    path_text = str(path)
    path = Path(path).expanduser()
    if not path.exists():
        raise MissingPathError(f"no such file or folder: {path_text}; check the path (a folder, a .zip, "
                               f"an .npz or an image file)")
    if resize not in RESIZE_MODES:
        raise DataError(RESIZE_MODES.unknown_message(resize))
    report = DataReport(source=path_text)
    kind = input_kind(path)
    checker = CHECKERS.get(kind, _check_image_file if kind == "image" else _unsupported)
    checker(path, report, resolution, resize)
    return report


def input_kind(path: Path) -> str:
    """"folder", ".zip", ".npz", "image" (a single image file) or "unsupported"."""
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in CHECKERS:
        return suffix
    return "image" if suffix in IMAGE_SUFFIXES else "unsupported"


def whole_input_failed(report: DataReport) -> bool:
    """True when the path itself (an .npz, a .zip, a lone file) could not be used, not files inside it."""
    return any(entry.status == "skipped" and entry.path == report.source for entry in report.entries)


def training_outlook(path: str | Path, report: DataReport) -> str:
    """What training will do with the bad files of `report` (a footer for `duelo data check`).

    Bad files in a folder or a readable .zip are skipped by default; an .npz is one set of arrays, and a
    .zip that cannot be opened has no files to skip, so training refuses those whatever --bad-files says.
    """
    kind = input_kind(Path(path).expanduser())
    if kind == ".npz":
        return ("Training refuses this .npz: it is read as one set of arrays, so --bad-files does not "
                "apply; fix the arrays as the reason above says.")
    if kind == ".zip" and whole_input_failed(report):
        return ("Training refuses this archive: it cannot be read as a whole, so there are no files to "
                "skip; re-create the .zip or give the folder of images.")
    if kind == "image":
        return ("This is a single image file, which training does not take: put your images in a folder "
                "(or a .zip or an .npz) and check the folder.")
    if kind == "unsupported":
        return "Training refuses this path: give a folder of images, a .zip of images or an .npz."
    return SKIPPED_WHEN_TRAINING


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
    decode_and_record(lambda: decode_image_file(str(path)), report.source, report)


def _unsupported(path: Path, report: DataReport, resolution: int | None, resize: str) -> None:
    special = path_not_regular(path)
    if special is not None:
        report.add_skipped(report.source, f"{special}: give a folder, a .zip, an .npz or an image file")
        return
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
