"""Named text sources (TEXT_SOURCES: registered by packages.py and bible.py, cached here as parsed lines) and
line-per-sample text files.

PATH     a UTF-8 text file, one sample per line (empty lines skipped). When every line holds a tab, the text
         before the first tab is the line's label (`label<TAB>text`): conditional training can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duelo.data.errors import DataError
from duelo.data.npz_store import read_npz_store, string_list, write_npz_atomically
from duelo.data.sources.base import ListedSource, dataset_cache_dir
from duelo.registry import Registry

STORE_FILE = "lines.npz"
STORE_FORMAT = 2          # 2: lines as UTF-8 bytes + end offsets (1: a fixed-width array, 4 bytes x the longest
                          # line per line: 63 MB for the Bible's verses, now 4 MB); both are read
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class TextLines:
    lines: list[str]
    labels: list[int] | None                  # index into class_names, one per line, or None
    class_names: list[str]
    source: str


TextSource = ListedSource          # loader() -> TextLines


TEXT_SOURCES: Registry[TextSource] = Registry("text dataset")


def named_sources() -> Registry[TextSource]:
    """TEXT_SOURCES with every named source registered (their modules load data-reading code, so they are
    imported on first need, not with the task: `duelo --help` stays light)."""
    from duelo.tasks.text import bible, packages  # noqa: F401

    return TEXT_SOURCES


def cache_lines(name: str, text: TextLines, package_file: str) -> Path:
    """Keep parsed lines (and labels) of a named source in its cache folder, atomically."""
    path = dataset_cache_dir(name) / STORE_FILE
    labels = text.labels if text.labels is not None else [-1] * len(text.lines)
    encoded = [line.encode("utf-8") for line in text.lines]
    ends = np.cumsum([len(line) for line in encoded], dtype=np.int64)
    write_npz_atomically(path, {"utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8), "ends": ends,
                                "labels": np.asarray(labels, dtype=np.int64)},
                         {"format": STORE_FORMAT, "class_names": text.class_names, "package_file": package_file})
    return path


def _unpack(arrays: dict, count: int) -> list[str]:
    data, ends = arrays["utf8"].tobytes(), arrays["ends"]
    if ends.shape != (count,) or (count and (int(ends[-1]) != len(data) or bool((np.diff(ends) < 0).any()))):
        raise ValueError("line offsets do not fit the text")
    starts = [0, *ends[:-1].tolist()]
    return [data[a:b].decode("utf-8") for a, b in zip(starts, ends.tolist())]


def read_cached_lines(name: str) -> TextLines:
    path = dataset_cache_dir(name) / STORE_FILE
    try:
        arrays, meta = read_npz_store(path)
        if meta.get("format") not in (1, STORE_FORMAT):
            raise ValueError(f"format {meta.get('format')!r}")
        count = len(arrays["labels"])
        lines = string_list(arrays["lines"], count, "lines") if meta["format"] == 1 else _unpack(arrays, count)
        labels = [int(k) for k in arrays["labels"]]
        return TextLines(lines, None if labels and labels[0] < 0 else labels, list(meta["class_names"]), name)
    except Exception as error:          # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        raise DataError(f"the {name} cache file {path} is damaged ({error}); delete it (it is fetched again on the "
                        f"next use)") from None


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
    sources = named_sources()
    if dataset in sources:
        return sources.get(dataset).loader()
    if Path(dataset).suffix.lower() in (".txt", ".tsv") or Path(dataset).exists():
        return read_text_file(Path(dataset).expanduser())
    raise DataError(f"--dataset {dataset}: neither a named text dataset ({', '.join(TEXT_SOURCES.names())}) nor a "
                    f"text file")
