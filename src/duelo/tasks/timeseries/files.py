"""The files a user gives as time series: a CSV file, a folder of CSV files, an .npz of windows, a .ts file.

Each reader registers its suffix in SERIES_FILES and hands over Steps (series still to be cut into windows) or
Windows (used as is); duelo.tasks.timeseries.data windows, scales and checks the rest.

CSV        rows = time steps in file order, numeric columns = channels; a date column and other text columns are
           skipped with a note; rows with a missing value are dropped with a note (refused above 20 %)
folder     one CSV per independent series (a patient, a machine), the first file's columns in every file
.npz       `windows` (N, T, C) [+ `labels` (N,), `lengths` (N,), `columns` (C,), `class_names`], no pickle
.ts        the UCR/UEA text format of sktime/aeon; one window per case, its own length (`lengths`)
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from duelo.data.dataset import implied_class_count
from duelo.data.errors import DataError
from duelo.tasks.timeseries.data import (
    MAX_MISSING_FRACTION,
    SERIES_FILES,
    SeriesOptions,
    Steps,
    Windows,
    ignored_label_column,
)

NPZ_HELP = "save one with numpy.savez(path, windows=(N, T, C) array, labels=(N,) ints, lengths=(N,) ints)"


# ---- CSV tables ------------------------------------------------------------------------------------------
def read_frame(path: Path) -> pd.DataFrame:
    """A CSV file as a DataFrame; DataError naming the file when it is empty or not a CSV."""
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; a series CSV has a header row, then one row per time "
                        f"step and one numeric column per channel") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: not a readable CSV file ({str(error).strip()[:200]})") from None
    if frame.empty:
        raise DataError(f"{path}: a header but no data rows; add one row per time step")
    return frame


def frames_to_steps(frames: list[tuple[str, pd.DataFrame]], channels: tuple[str, ...] | None,
                    label_column: str | None) -> Steps:
    """(where, frame) pairs -> Steps: numeric columns as channels, the same in every frame (the first one's)."""
    parts, labels, notes, dropped = [], [], [], []
    for where, frame in frames:
        values, raw_labels, columns, skipped, bad_rows = frame_to_values(frame, where, channels, label_column)
        channels = channels or tuple(columns)
        parts.append(values)
        labels.append(raw_labels)
        notes.extend(note for note in skipped if note not in notes)
        if bad_rows:
            dropped.append((where, bad_rows))
    if dropped:
        first = ", ".join(f"{where}: {count:,}" for where, count in dropped[:3])
        notes.append(f"{sum(count for _, count in dropped):,} rows with missing values dropped ({first}"
                     f"{', ...' if len(dropped) > 3 else ''}); the steps on either side of each are joined")
    steps = Steps(parts, [where for where, _ in frames], list(channels or ()), notes=notes)
    if label_column is not None:
        steps.step_labels, steps.class_names = encode_labels(labels)
    return steps


def frame_to_values(frame: pd.DataFrame, where: str, channels: tuple[str, ...] | None, label_column: str | None
                    ) -> tuple[np.ndarray, np.ndarray | None, list[str], list[str], int]:
    """(values (L, C) float64, raw labels (L,) or None, columns, notes on skipped columns, rows dropped)."""
    frame = frame.rename(columns=str)
    names = list(frame.columns)
    if label_column is not None and label_column not in names:
        raise DataError(f"{where}: label_column {label_column!r} is not a column; its columns are {names}")
    candidates = [name for name in names if name != label_column]
    numeric = [name for name in candidates if pd.api.types.is_numeric_dtype(frame[name])]
    other = [name for name in candidates if name not in numeric]
    notes = []
    dates = [name for name in other if _looks_like_dates(frame[name])]
    if dates:
        notes.append(f"date column(s) {dates} skipped: rows are taken in file order, one time step each")
    if len(dates) < len(other):
        notes.append(f"non-numeric column(s) {[n for n in other if n not in dates]} skipped (a class column is "
                     f"given as label_column)")
    if channels is not None:
        absent = [name for name in channels if name not in names]
        if absent:
            raise DataError(f"{where}: channel column(s) {absent} are not in the file; its numeric columns are "
                            f"{numeric}")
        wrong = [name for name in channels if name not in numeric]
        if wrong:
            raise DataError(f"{where}: channel column(s) {wrong} are not numeric (or are the label column); "
                            f"channels must be numeric columns: {numeric}")
        if set(numeric) - set(channels):
            notes.append(f"numeric column(s) {[n for n in numeric if n not in channels]} not among the channels "
                         f"left out")
    used = list(channels) if channels is not None else numeric
    if not used:
        raise DataError(f"{where}: no numeric column (columns: {names}); a series CSV has one row per time step "
                        f"and one numeric column per channel")
    values = frame[used].to_numpy(dtype=np.float64, copy=True)                                # (L, C)
    values[~np.isfinite(values)] = np.nan
    bad = np.isnan(values).any(axis=1)
    labels = None
    if label_column is not None:
        labels = frame[label_column].to_numpy()
        bad |= pd.isna(frame[label_column]).to_numpy()
    if bad.mean() > MAX_MISSING_FRACTION:
        counts = {name: int(n) for name, n in zip(used, np.isnan(values).sum(axis=0)) if n}
        if label_column is not None:
            counts[label_column] = int(pd.isna(frame[label_column]).sum())
        raise DataError(f"{where}: {int(bad.sum()):,} of {len(bad):,} rows ({bad.mean():.0%}) have missing values "
                        f"(per column: {counts}); more than {MAX_MISSING_FRACTION:.0%} are not dropped. Fill them "
                        f"first (e.g. pandas interpolate()) or leave the sparse columns out with channels")
    return values[~bad], None if labels is None else labels[~bad], used, notes, int(bad.sum())


def _looks_like_dates(column: pd.Series) -> bool:
    sample = column.dropna().astype(str).head(50)
    if sample.empty:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def encode_labels(raw: list[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:
    """Raw label values per part -> (int64 codes per part, class names in sorted order)."""
    values = list(pd.unique(np.concatenate(raw)))
    try:
        ordered = sorted(values)
    except TypeError:
        ordered = sorted(values, key=str)
    names = [str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer() else str(v)
             for v in ordered]
    codes = [pd.Categorical(part, categories=ordered).codes.astype(np.int64) for part in raw]
    return codes, names


def read_csv_file(path: Path, options: SeriesOptions) -> Steps:
    return frames_to_steps([(str(path), read_frame(path))], options.channels, options.label_column)


def read_csv_folder(folder: Path, options: SeriesOptions) -> Steps:
    """One series per CSV file in `folder` (not its subfolders), in file-name order."""
    files = sorted(path for path in folder.iterdir() if path.is_file() and path.name.lower().endswith(CSV))
    if not files:
        raise DataError(f"{folder}: no CSV files; a folder of series holds one CSV file per independent series "
                        f"(a patient, a machine), each with the same columns")
    frames = [(str(path), read_frame(path)) for path in files]
    first = frames_to_steps(frames[:1], options.channels, None).columns
    for where, frame in frames[1:]:
        absent = [name for name in first if name not in frame.columns.astype(str)]
        if absent:
            raise DataError(f"{where}: lacks column(s) {absent} that {files[0].name} has; every file of a series "
                            f"folder needs the same channel columns (or choose common ones with channels)")
    return frames_to_steps(frames, tuple(first), options.label_column)


CSV = (".csv", ".csv.gz")
for _suffix in CSV:
    SERIES_FILES.add(_suffix, read_csv_file)


# ---- .npz ------------------------------------------------------------------------------------------------
def read_npz(path: Path, options: SeriesOptions) -> Windows:
    """An .npz of ready windows, used as is (no re-windowing, no pickle)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, AttributeError) as error:
        raise DataError(f"{path}: not a readable .npz ({error}); {NPZ_HELP}") from None
    if "windows" not in arrays:
        raise DataError(f"{path}: no 'windows' array (it holds {sorted(arrays)}); {NPZ_HELP}")
    values, notes = arrays["windows"], ignored_label_column(options, path.name)
    if values.ndim == 2:
        values, notes = values[..., None], notes + ["windows (N, T) read as one channel"]
    if values.ndim != 3 or values.dtype.kind not in "biuf" or 0 in values.shape:
        raise DataError(f"{path}: 'windows' is {values.dtype} {values.shape}; expected numbers (N, T, C); {NPZ_HELP}")
    count, steps, width = values.shape
    if options.window is not None and options.window != steps:
        raise DataError(f"{path}: its windows have {steps} steps but window={options.window}; an .npz is used as is "
                        f"(no re-windowing): give window={steps} (--window {steps}) or window=None")
    lengths = _index_array(arrays, "lengths", path, count, 1, steps)
    labels = _index_array(arrays, "labels", path, count, 0, None)
    class_names = None
    if labels is not None:
        classes = implied_class_count(int(labels.min()), int(labels.max()), count, f"{path}: labels")
        class_names = _names(arrays, "class_names", path, classes) or [str(k) for k in range(classes)]
    columns = _names(arrays, "columns", path, width) or [f"ch{k}" for k in range(width)]
    values = values.astype(np.float64)
    valid = np.ones((count, steps), bool) if lengths is None else np.arange(steps) < lengths[:, None]
    if not np.isfinite(values[valid]).all():
        raise DataError(f"{path}: 'windows' holds NaN or Inf inside the valid steps; fill or drop those windows")
    return Windows(values, columns, labels, class_names, lengths, notes)


def _index_array(arrays: dict, key: str, path: Path, count: int, least: int, most: int | None) -> np.ndarray | None:
    if key not in arrays:
        return None
    array = arrays[key]
    if array.shape != (count,) or array.dtype.kind not in "iu" or array.min() < least \
            or (most is not None and array.max() > most):
        raise DataError(f"{path}: '{key}' is {array.dtype} {array.shape}; expected {count} integers >= {least}"
                        f"{f' and <= {most} (the window length)' if most else ''}, one per window")
    return array.astype(np.int64)


def _names(arrays: dict, key: str, path: Path, count: int) -> list[str] | None:
    if key not in arrays:
        return None
    array = arrays[key]
    if array.dtype.kind != "U" or array.ndim != 1 or len(array) < count:
        raise DataError(f"{path}: '{key}' is {array.dtype} {array.shape}; expected at least {count} strings")
    return [str(value) for value in array[:count]]


SERIES_FILES.add(".npz", read_npz)


# ---- the UCR/UEA .ts format ------------------------------------------------------------------------------
def read_ts_text(text: str, where: str) -> Windows:
    """Parse a .ts file (sktime/aeon's format): `#`/`%` comments, `@key value` header lines up to `@data`, then one
    case a line: dimensions separated by ':', values by ',', '?' missing, the class label last (@classLabel true).

    Each case is one window of its own length; trailing missing steps shorten it, a case with a gap inside is
    left out with a note. Time-stamped files ((t, v) pairs) are refused.
    """
    header: dict[str, str] = {}
    cases, raw_labels, gaps = [], [], 0
    in_data = False
    for number, line in enumerate((line.strip() for line in text.splitlines()), 1):
        if not line or line[0] in "#%":
            continue
        if not in_data:
            if line[0] != "@":
                raise DataError(f"{where}, line {number}: expected a header line (@key value) or @data before the "
                                f"series; is this a .ts file?")
            key, _, value = line[1:].partition(" ")
            in_data = key.lower() == "data"
            header[key.lower()] = value.strip()
            if key.lower() == "timestamps" and value.strip().lower() == "true":
                raise DataError(f"{where}: time-stamped .ts files ((t, v) pairs) are not supported; export the "
                                f"values only, one case a line")
            continue
        labelled = header.get("classlabel", "false").split()[:1] == ["true"]
        parts = line.split(":")
        if labelled:
            raw_labels.append(parts.pop().strip())
        try:
            dims = [np.array(part.replace("?", "nan").split(","), dtype=np.float64) for part in parts]
        except ValueError:
            raise DataError(f"{where}, line {number}: a value is not a number (values are separated by ',', "
                            f"dimensions by ':', '?' marks a missing one)") from None
        if len({len(dim) for dim in dims}) != 1 or (cases and len(dims) != cases[0].shape[1]):
            raise DataError(f"{where}, line {number}: {len(dims)} dimension(s) of lengths "
                            f"{[len(d) for d in dims]}; every case needs the same dimensions, of one length each")
        case = np.stack(dims, axis=1)                                                  # (L, C)
        observed = np.nonzero(~np.isnan(case).all(axis=1))[0]
        case = case[:observed[-1] + 1] if len(observed) else case[:0]                  # trailing gaps: shorter
        if len(case) == 0 or np.isnan(case).any():
            gaps += 1
            if labelled:
                raw_labels.pop()
            continue
        cases.append(case)
    if not cases:
        raise DataError(f"{where}: no complete series after @data; a .ts file holds one case a line")
    labels = class_names = None
    if raw_labels:
        class_names = header["classlabel"].split()[1:] or sorted(set(raw_labels))
        unknown = sorted(set(raw_labels) - set(class_names))
        if unknown:
            raise DataError(f"{where}: labels {unknown[:5]} are not among the classes of @classLabel {class_names}")
        labels = np.array([class_names.index(label) for label in raw_labels], dtype=np.int64)
    notes = [f"{gaps} series with missing values inside left out"] if gaps else []
    return padded(cases, labels, class_names, notes)


def padded(cases: list[np.ndarray], labels, class_names, notes: list[str]) -> Windows:
    """Cases (L_i, C) -> Windows (N, max L, C) zero-padded, with lengths when they differ."""
    lengths = np.array([len(case) for case in cases], dtype=np.int64)
    values = np.zeros((len(cases), int(lengths.max()), cases[0].shape[1]))
    for row, case in enumerate(cases):
        values[row, :len(case)] = case
    columns = [f"dim_{k}" for k in range(values.shape[2])]
    return Windows(values, columns, labels, class_names, None if (lengths == lengths[0]).all() else lengths, notes)


def read_ts(path: Path, options: SeriesOptions) -> Windows:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as error:
        raise DataError(f"{path}: not a readable .ts text file ({error})") from None
    windows = read_ts_text(text, str(path))
    windows.notes.extend(ignored_label_column(options, path.name) + native_length(windows, options))
    return windows


def native_length(windows: Windows, options: SeriesOptions) -> list[str]:
    steps = windows.values.shape[1]
    if options.window is None or options.window == steps:
        return []
    return [f"window={options.window} ignored: these series keep their native length "
            f"({'up to ' if windows.lengths is not None else ''}{steps} steps), one window each"]


SERIES_FILES.add(".ts", read_ts)
