"""Reading and writing tables for the `duelo tabular` commands: CSV, or Parquet by file suffix.

Parquet keeps dtypes (integers, categories, datetimes) exactly; CSV is read with pandas' type inference,
and columns named in `dates` are parsed as datetimes. Errors name the file and say what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from duelo.errors import ConfigError, DataError
from duelo.io.atomic import atomic_write

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def table_format(path: Path) -> str:
    """"parquet" or "csv" from the suffix (".gz"/".bz2"/".zip"/".xz" CSV compression allowed)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in CSV_SUFFIXES:
        return "csv"
    raise ConfigError(f"{path}: unknown table format {path.suffix!r}; use a .csv (optionally compressed) "
                      f"or .parquet file")


def _require_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError(f"{path}: reading and writing Parquet needs pyarrow; run "
                          f"`pip install pyarrow` (or `pip install 'duelo[parquet]'`), or use CSV") from None


def read_table(path: str | os.PathLike, dates: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet table, or a named table (NAME or NAME:test, duelo.tasks.tabular.sources: fetched once);
    DataError names the file when it is missing, empty or unreadable."""
    path = Path(path)
    if not path.exists():
        from duelo.tasks.tabular.sources import TABLE_SOURCES, resolve

        named = resolve(str(path))
        if named is None and not path.suffix:
            raise DataError(f"{path}: no such file, and no named table is called that (named tables: "
                            f"{', '.join(TABLE_SOURCES.names())}; NAME:test reads one's test rows)")
        path = named or path
    kind = table_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file" + (" (it is a folder)" if path.is_dir() else ""))
    dates = list(dates)
    try:
        if kind == "parquet":
            _require_pyarrow(path)
            df = pd.read_parquet(path)
        else:
            sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
            df = pd.read_csv(path, sep=sep, skipinitialspace=True)
            if sep == "," and df.shape[1] == 1 and ";" in str(df.columns[0]):
                df = pd.read_csv(path, sep=";", skipinitialspace=True)    # a semicolon CSV (a European locale)
    except (pd.errors.EmptyDataError, ValueError, OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read it as {kind.upper()} ({error})") from None
    except Exception as error:                      # pyarrow raises its own error types
        raise DataError(f"{path}: cannot read it as {kind.upper()} ({type(error).__name__}: {error})") from None
    unknown = [name for name in dates if name not in df.columns]
    if unknown:
        raise ConfigError(f"--dates names {unknown!r}, which {path} does not have; its columns are "
                          f"{list(df.columns)!r}")
    for name in dates:
        if pd.api.types.is_numeric_dtype(df[name]) and not pd.api.types.is_bool_dtype(df[name]):
            raise DataError(f"{path}: column {name!r} holds numbers (e.g. {df[name].iloc[0]!r}), not dates; read as "
                            f"dates they would be nanoseconds after 1970. Drop it from --dates (or write the dates "
                            f"as text, e.g. 2024-05-31)")
        try:
            df[name] = pd.to_datetime(df[name])
        except (ValueError, TypeError) as error:
            raise DataError(f"{path}: column {name!r} is not readable as dates ({error})") from None
    if df.empty:
        raise DataError(f"{path}: the table has no rows")
    return df


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write `df` atomically as CSV or Parquet (by suffix); the folder is created if needed."""
    path = Path(path)
    kind = table_format(path)
    if kind == "parquet":
        _require_pyarrow(path)
        return atomic_write(path, lambda temp: df.to_parquet(temp, index=False))
    compression = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}.get(
        path.suffix.lower())
    sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    return atomic_write(path, lambda temp: df.to_csv(temp, index=False, sep=sep, compression=compression))
