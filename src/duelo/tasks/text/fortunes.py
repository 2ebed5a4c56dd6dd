"""Fortune cookies as a named text source (`fortunes`): the sayings of Debian's `fortunes` package (the
non-offensive set of fortune-mod), one per line, labelled by their file (computers, food, science, ...).

The .deb is fetched once with `apt-get download fortunes` (nothing is installed) and read in memory. Each file
holds sayings separated by lines of '%'; a saying's lines are joined with single spaces, and sayings longer than
MAX_CHARS (stories, poems) and the picture files (art, ascii-art: drawings, not sentences) are left out. The
`.u8` names are links to the same files and are not read twice.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.archives import read_members
from duelo.data.sources.base import dataset_cache_dir
from duelo.data.sources.clients import PACKAGE_DIR_ENV, client_available, download, file_in_package_dir
from duelo.tasks.text.sources import (STORE_FILE, TEXT_SOURCES, TextLines, TextSource, cache_lines,
                                      read_cached_lines)

NAME = "fortunes"
PACKAGE = "fortunes"
FOLDER = "usr/share/games/fortunes/"
PICTURES = ("art", "ascii-art")
MAX_CHARS = 200
SEPARATOR = re.compile(r"\n%\n")


def _store() -> Path:
    return dataset_cache_dir(NAME) / STORE_FILE


def how_to_get() -> str:
    return (f"fortunes comes from the Debian package fortunes, fetched once with `apt-get download fortunes` and "
            f"cached in {_store().parent}. Without apt-get or network: run `apt-get download fortunes` on a "
            f"Debian/Ubuntu machine, then `duelo datasets fetch fortunes --from FILE.deb`, or put the .deb in "
            f"${PACKAGE_DIR_ENV}")


def _wanted(member: str) -> bool:
    name = member[len(FOLDER):]
    return member.startswith(FOLDER) and "/" not in name and not name.endswith((".dat", ".u8")) \
        and name not in PICTURES


def parse_package(deb: Path) -> TextLines:
    files = sorted(read_members(deb, _wanted, how_to_get()))
    if not files:
        raise DataError(f"{deb}: no fortune files under {FOLDER}; this is not the fortunes package. {how_to_get()}")
    class_names = [member[len(FOLDER):] for member, _ in files]
    lines, labels = [], []
    for label, (_, data) in enumerate(files):
        for saying in SEPARATOR.split(data.decode("utf-8", "replace")):
            text = " ".join(saying.replace("%", " ").split()) if saying.strip() != "%" else ""
            if text and len(text) <= MAX_CHARS:
                lines.append(text)
                labels.append(label)
    return TextLines(lines, labels, class_names, NAME)


def fetch(force: bool = False, from_file: Path | None = None) -> str:
    if _store().is_file() and not force and from_file is None:
        return f"fortunes is already cached in {_store().parent} (use --force to fetch it again)"
    if from_file is not None and not from_file.is_file():
        raise DataError(f"--from {from_file}: no such file. {how_to_get()}")
    deb = from_file or file_in_package_dir("apt", PACKAGE, None)
    if deb is not None:
        text = parse_package(deb)
    else:
        if not client_available("apt"):
            raise DatasetUnavailableError(f"fortunes is not cached yet and apt-get is not available. {how_to_get()}")
        print("duelo: fetching fortunes once with `apt-get download fortunes`", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="duelo-fortunes-") as workdir:
            deb = download("apt", PACKAGE, None, Path(workdir), how_to_get())
            text = parse_package(deb)
    cache_lines(NAME, text, deb.name)
    return (f"fortunes fetched from {deb.name}: {len(text.lines):,} sayings of at most {MAX_CHARS} characters in "
            f"{len(text.class_names)} files, cached in {_store().parent}")


def load() -> TextLines:
    if not _store().is_file():
        fetch()
    return read_cached_lines(NAME)


TEXT_SOURCES.add(NAME, TextSource(NAME, "fortune cookies (Debian fortunes), one saying per line, labelled by file",
                                  load, lambda: _store().is_file(), how_to_get, fetch,
                                  lambda path, force: fetch(force, path), "BSD-style (the package's copyright file)",
                                  "1.6 MB (Debian fortunes)"))
