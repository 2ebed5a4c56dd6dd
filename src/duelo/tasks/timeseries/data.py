"""Time series made ready for a GAN: windows (N, T, C) scaled to [-1, 1] per channel, with labels and lengths
when the data has them.

    data = load_series("sines")                                   # TimeGAN's benchmark: 10,000 × 24 × 5
    data = load_series("prices.csv", window=24, label_column="regime")
    train, held_out = data.split(0.1, seed=0)

Where windows come from:
  a named source      SERIES_SOURCES (duelo.tasks.timeseries.sources): sines, stocks, UCR/UEA sets
  a path              SERIES_FILES by suffix (duelo.tasks.timeseries.files): a CSV file (rows = time steps, numeric
                      columns = channels) cut into sliding windows; a folder of CSVs, one series per file (windows
                      never cross files); an .npz of windows (N, T, C) used as is; a UCR/UEA .ts file

Scaling is min-max per channel over every valid step of every window (TimeGAN's MinMaxScaler, Yoon et al. 2019,
mapped to [-1, 1] for a tanh generator), or from a declared `value_range` (LOW, HIGH) for every channel, values
outside it clipped (a private run must not measure its records' extremes); `low`/`high` keep the original units, so
`to_original` undoes it exactly (within the range).
Steps past a window's length (variable-length sets) hold 0 after scaling and carry no information.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from duelo.data.errors import DataError, MissingPathError, UnknownDatasetError
from duelo.data.splits import split_indices
from duelo.errors import ConfigError
from duelo.registry import Registry

DEFAULT_WINDOW = 24                 # steps per window when none is given (TimeGAN's choice for sines and stocks)
MAX_MISSING_FRACTION = 0.2          # CSV rows with a missing value are dropped up to this share, refused above


@dataclass
class SeriesData:
    """Scaled windows and what is needed to read them back in original units."""

    windows: torch.Tensor                         # (N, T, C) float32 in [-1, 1]
    low: torch.Tensor                             # (C,) float64: original value that maps to -1
    high: torch.Tensor                            # (C,) float64: original value that maps to +1
    columns: list[str]                            # C channel names
    name: str                                     # "sines", "stocks" or the file stem
    labels: torch.Tensor | None = None            # (N,) int64 class of each window, or None
    class_names: list[str] | None = None          # class_names[k] names label k
    lengths: torch.Tensor | None = None           # (N,) int64 valid steps of each window; None = all T
    report: list[str] = field(default_factory=list)   # notes for the log (rows dropped, columns skipped...)
    per_series: int = 1                           # most windows cut from one series (1: every window its own)

    def to_original(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] -> original units, float64 (any leading dims, last dim C)."""
        low, high = self.low.to(x.device), self.high.to(x.device)
        return (x.to(torch.float64) + 1.0) * 0.5 * (high - low) + low

    def split(self, fraction: float, seed: int) -> tuple[SeriesData, SeriesData]:
        """Deterministic (rest, held_out), held_out getting about `fraction` of the windows, per class when labelled.

        Both parts keep the order and the scaling of the whole (so held-out windows are comparable); the same
        (fraction, seed) gives the same split on every machine (torch's CPU generator).
        """
        rest, held = split_indices(len(self), self.labels, len(self.class_names or []), fraction, seed)
        return self.subset(rest), self.subset(held)

    def subset(self, index: torch.Tensor) -> SeriesData:
        """The windows at `index`, same scaling, columns and class names."""
        return SeriesData(self.windows[index], self.low, self.high, list(self.columns), self.name,
                          _take(self.labels, index), self.class_names, _take(self.lengths, index), list(self.report),
                          self.per_series)

    def __len__(self) -> int:
        return int(self.windows.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.windows.shape)


# ---- what readers hand over ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesOptions:
    window: int | None                   # steps per window; None = native (.npz, .ts) or DEFAULT_WINDOW
    stride: int                          # steps between the starts of consecutive windows
    channels: tuple[str, ...] | None     # channel names to keep, in this order; None = every numeric one
    label_column: str | None             # CSV column holding each step's class
    max_windows: int | None              # keep a random subset this large (seeded); None = all
    seed: int


@dataclass
class Steps:
    """Continuous series still to be cut into windows; windows never cross parts (files)."""

    parts: list[np.ndarray]                          # (L_i, C) float64 each
    part_names: list[str]                            # where each part came from, for messages
    columns: list[str]
    step_labels: list[np.ndarray] | None = None      # (L_i,) int64 class of each step
    class_names: list[str] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Windows:
    """Windows in original units, ready to scale."""

    values: np.ndarray                               # (N, T, C) float64
    columns: list[str]
    labels: np.ndarray | None = None                 # (N,) int64
    class_names: list[str] | None = None
    lengths: np.ndarray | None = None                # (N,) int64 in [1, T]; None = all T
    notes: list[str] = field(default_factory=list)
    per_series: int = 1                              # most windows cut from one series


@dataclass(frozen=True)
class SeriesSource:
    """One named time-series dataset; the fields mirror duelo.data.sources.base.DataSource for `duelo datasets`."""

    name: str
    description: str                                            # one line for a listing
    loader: Callable[[SeriesOptions], Steps | Windows]
    available: Callable[[], bool] = lambda: True                # are the files on this machine?
    how_to_get: Callable[[], str] = lambda: "nothing to get: it is generated on the fly"
    fetch: Callable[[bool], str] = lambda force: "nothing to fetch: it is generated on the fly"
    fetch_from: Callable[[Path, bool], str] | None = None       # (package file got by hand, force) -> message
    licence: str = ""
    download: str = ""                                          # "0.7 MB (PyPI pmdarima)"; "" = nothing
    value_range: tuple[float, float] | None = None              # where every value lies by construction (public)

    def __call__(self, options: SeriesOptions) -> Steps | Windows:
        loaded = self.loader(options)
        loaded.notes.extend(ignored_label_column(options, self.name))
        return loaded


SERIES_SOURCES: Registry[SeriesSource] = Registry("time-series dataset")
SERIES_FILES: Registry[Callable[[Path, SeriesOptions], Steps | Windows]] = Registry("time-series file suffix")


def ignored_label_column(options: SeriesOptions, where: str) -> list[str]:
    return [f"label_column {options.label_column!r} ignored: it applies to CSV files only ({where} brings its "
            f"own labels or none)"] if options.label_column is not None else []


# ---- the entry point -------------------------------------------------------------------------------------
def load_series(spec: str, *, window: int | None = DEFAULT_WINDOW, stride: int = 1,
                channels: list[str] | None = None, label_column: str | None = None,
                max_windows: int | None = None, seed: int = 0,
                value_range: tuple[float, float] | None = None) -> SeriesData:
    """Windows from a named source or a path (see the module docstring), scaled to [-1, 1] per channel (from the
    data's min and max, or from `value_range` for every channel)."""
    options = SeriesOptions(_count("window", window, 2, none_ok=True), _count("stride", stride, 1),
                            tuple(channels) if channels else None, label_column,
                            _count("max_windows", max_windows, 1, none_ok=True), int(seed))
    spec = str(spec)
    register_all()
    if spec in SERIES_SOURCES:
        loaded, name = SERIES_SOURCES.get(spec)(options), spec
    else:
        path = Path(spec).expanduser()
        loaded, name = _read_path(path, options), _stem(path)
    windows = cut(loaded, options) if isinstance(loaded, Steps) else limit(loaded, options)
    return scale(select_channels(windows, options.channels, name), name, value_range)


def public_range(spec: str) -> tuple[float, float] | None:
    """The range a named source's values lie in by construction (sines: [0, 1]), or None."""
    register_all()
    return SERIES_SOURCES.get(spec).value_range if spec in SERIES_SOURCES else None


def _count(field_name: str, value, least: int, none_ok: bool = False) -> int | None:
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{field_name} must be an integer >= {least}{' or None' if none_ok else ''}, got "
                          f"{value!r}" + ("; a window needs at least 2 steps to hold any dynamics (TimeGAN uses 24)"
                                          if field_name == "window" else ""))
    return int(value)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(SERIES_FILES.names(), key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[:-len(suffix)]
    return name


def _read_path(path: Path, options: SeriesOptions) -> Steps | Windows:
    kinds = f"a CSV file, a folder of CSV files, {', '.join(SERIES_FILES.names())} files"
    if path.is_dir():
        from duelo.tasks.timeseries.files import read_csv_folder

        return read_csv_folder(path, options)
    if not path.exists():
        if len(path.parts) == 1 and not path.suffix:
            raise UnknownDatasetError(f"{SERIES_SOURCES.unknown_message(str(path))} Or give a path: {kinds}")
        raise MissingPathError(f"no such file or folder: {path}; check the path, or give a named source "
                               f"({', '.join(SERIES_SOURCES.names())})")
    suffix = next((s for s in sorted(SERIES_FILES.names(), key=len, reverse=True)
                   if path.name.lower().endswith(s)), None)
    if suffix is None:
        raise DataError(f"{path}: not a time-series file duelo reads; give {kinds}")
    return SERIES_FILES.get(suffix)(path, options)


# ---- windows and scaling ---------------------------------------------------------------------------------
def cut(steps: Steps, options: SeriesOptions) -> Windows:
    """Sliding windows of `window` steps every `stride` steps in each part; a window's label is its last step's."""
    window, stride = options.window or DEFAULT_WINDOW, options.stride
    notes = steps.notes + ([] if options.window else [f"window not given: {DEFAULT_WINDOW} steps"])
    views, labels, short = [], [], []
    for index, part in enumerate(steps.parts):
        if len(part) < window:
            short.append(f"{steps.part_names[index]} ({len(part)} rows)")
            continue
        views.append(np.lib.stride_tricks.sliding_window_view(part, window, axis=0)[::stride])   # (n, C, T)
        if steps.step_labels is not None:
            labels.append(steps.step_labels[index][window - 1::stride])
    if not views:
        where = (f"{steps.part_names[0]}: {len(steps.parts[0]):,} usable rows" if len(steps.parts) == 1 else
                 f"every one of the {len(steps.parts)} files has fewer rows ({', '.join(short[:3])}, ...)")
        raise DataError(f"{where}, fewer than one window of {window} steps; give a smaller window or a longer series")
    if short:
        notes.append(f"{len(short)} of {len(steps.parts)} series shorter than one window ({window} steps) left out: "
                     f"{', '.join(short[:3])}{', ...' if len(short) > 3 else ''}")
    starts = np.cumsum([0] + [len(view) for view in views])
    picked = pick(int(starts[-1]), options, notes)
    if picked is None:
        chosen = [np.arange(len(view)) for view in views]
    else:
        chosen = [picked[(picked >= starts[k]) & (picked < starts[k + 1])] - starts[k] for k in range(len(views))]
    values = np.concatenate([view[rows] for view, rows in zip(views, chosen)]).transpose(0, 2, 1)   # (N, T, C)
    window_labels = np.concatenate([part[rows] for part, rows in zip(labels, chosen)]) if labels else None
    return Windows(np.ascontiguousarray(values), steps.columns, window_labels, steps.class_names, None, notes,
                   max(len(rows) for rows in chosen))


def pick(count: int, options: SeriesOptions, notes: list[str]) -> np.ndarray | None:
    """Sorted indices of a seeded random subset of max_windows windows, or None to keep all."""
    if options.max_windows is None or options.max_windows >= count:
        return None
    generator = torch.Generator().manual_seed(options.seed)
    notes.append(f"kept a random {options.max_windows:,} of {count:,} windows (max_windows, seed {options.seed})")
    return torch.randperm(count, generator=generator)[:options.max_windows].sort().values.numpy()


def limit(windows: Windows, options: SeriesOptions) -> Windows:
    picked = pick(len(windows.values), options, windows.notes)
    if picked is None:
        return windows
    return Windows(windows.values[picked], windows.columns, _take(windows.labels, picked), windows.class_names,
                   _take(windows.lengths, picked), windows.notes, windows.per_series)


def _take(array, index):
    """array[index], or None for None (optional labels and lengths, numpy or torch)."""
    return None if array is None else array[index]


def select_channels(windows: Windows, channels: tuple[str, ...] | None, name: str) -> Windows:
    if channels is None or list(channels) == windows.columns:
        return windows
    absent = [channel for channel in channels if channel not in windows.columns]
    if absent:
        raise ConfigError(f"channels {absent} are not in {name}; its channels are {windows.columns}")
    index = [windows.columns.index(channel) for channel in channels]
    windows.values, windows.columns = windows.values[..., index], list(channels)
    return windows


def scale(windows: Windows, name: str, value_range: tuple[float, float] | None = None) -> SeriesData:
    """Min-max per channel over the valid steps to [-1, 1] (a constant channel maps to -1: low = value, high =
    value + 1); with `value_range` (LOW, HIGH), every channel from that range, values outside it clipped."""
    values, lengths = windows.values, windows.lengths                              # (N, T, C), (N,)
    valid = None if lengths is None else np.arange(values.shape[1]) < lengths[:, None]     # (N, T)
    observed = values.reshape(-1, values.shape[2]) if valid is None else values[valid]    # (M, C)
    if not np.isfinite(observed).all():
        raise DataError(f"{name}: windows hold NaN or Inf; fill or drop those steps")
    notes = list(windows.notes)
    if value_range is not None:
        low, high = _declared(value_range, values.shape[2])
        values = np.clip(values, low, high)
    else:
        low, high = observed.min(axis=0), observed.max(axis=0)                    # (C,)
        constant = high <= low
        high = np.where(constant, low + 1.0, high)
        if constant.any():
            notes.append(f"constant channel(s) {[c for c, k in zip(windows.columns, constant) if k]} map to -1 "
                         f"(they carry no information)")
    scaled = (values - low) / (high - low) * 2.0 - 1.0
    if valid is not None:
        scaled[~valid] = 0.0
    labels = None if windows.labels is None else torch.from_numpy(windows.labels.astype(np.int64))
    return SeriesData(torch.from_numpy(scaled.astype(np.float32)), torch.from_numpy(low), torch.from_numpy(high),
                      list(windows.columns), name, labels, windows.class_names,
                      None if lengths is None else torch.from_numpy(lengths.astype(np.int64)), notes,
                      windows.per_series)


def _declared(value_range, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per channel, float64, from a declared (LOW, HIGH)."""
    if len(value_range) != 2 or not all(np.isfinite(value_range)) or not value_range[0] < value_range[1]:
        raise ConfigError(f"data.value_range must be two finite numbers LOW,HIGH with LOW < HIGH, got "
                          f"{tuple(value_range)}")
    return np.full(channels, float(value_range[0])), np.full(channels, float(value_range[1]))


def register_all() -> None:
    """Import the modules that fill SERIES_SOURCES and SERIES_FILES (imported here, not at the top: they import
    this module)."""
    from duelo.tasks.timeseries import files, sources  # noqa: F401  (registration)
