"""The King James Bible as a named text source (`kjv`): 31,102 verses, public domain, labelled by testament
(old / new).

Debian ships the text as `bible-kjv-text` in the compressed format of its own reader, `bible` (package
`bible-kjv`). Both .deb files are fetched once with `apt-get download` (nothing is installed), the reader and
the data are written to a temporary folder, and the reader prints every verse (`bible -l100000 -p DIR
gen1:1-rev22:21`); the verses are parsed and cached, and the temporary folder is removed. The reader is an amd64
Linux program: on another machine, fetch the dataset on one that is, and copy the cache folder. Offline: put the
two .deb files in $DUELO_PACKAGE_DIR.
"""

from __future__ import annotations

import platform
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.archives import read_members
from duelo.data.sources.base import dataset_cache_dir
from duelo.data.sources.clients import PACKAGE_DIR_ENV, client_available, download, file_in_package_dir
from duelo.tasks.text.sources import (STORE_FILE, TEXT_SOURCES, TextLines, TextSource, cache_lines,
                                      read_cached_lines)

NAME = "kjv"
PACKAGES = {"reader": ("bible-kjv", ("usr/bin/bible",)),
            "text": ("bible-kjv-text", ("usr/lib/bible.data", "usr/lib/bible.data.conc"))}
OLD_TESTAMENT_BOOKS = 39
VERSE = re.compile(r"^\s+(\d+) (.+)$")
HEADER = re.compile(r"^(\S.*?) (\d+)$")
EXPECTED_VERSES = 31_102


def _store() -> Path:
    return dataset_cache_dir(NAME) / STORE_FILE


def how_to_get() -> str:
    return (f"kjv comes from the Debian packages bible-kjv-text (the text) and bible-kjv (its reader), fetched once "
            f"with `apt-get download` and cached in {_store().parent}. Without apt-get or network: run `apt-get "
            f"download bible-kjv bible-kjv-text` on a Debian/Ubuntu machine and put both .deb files in "
            f"${PACKAGE_DIR_ENV}")


def parse_dump(text: str) -> TextLines:
    """The reader's output ('Genesis 1' headers, then '  1 In the beginning ...' verses) -> verses labelled old
    (the first 39 books) or new."""
    books: list[str] = []
    lines, labels = [], []
    for raw in text.splitlines():
        verse = VERSE.match(raw)
        if verse and books:
            lines.append(verse.group(2).strip())
            labels.append(0 if len(books) <= OLD_TESTAMENT_BOOKS else 1)
            continue
        header = HEADER.match(raw)
        if header and (not books or books[-1] != header.group(1)):
            books.append(header.group(1))
    if not lines:
        raise DataError("the bible reader printed no verses")
    return TextLines(lines, labels, ["old", "new"], NAME)


def _package_file(package: str, workdir: Path) -> Path:
    local = file_in_package_dir("apt", package, None)
    if local is not None:
        return local
    if not client_available("apt"):
        raise DatasetUnavailableError(f"kjv is not cached yet and apt-get is not available. {how_to_get()}")
    folder = workdir / package
    folder.mkdir()
    return download("apt", package, None, folder, how_to_get())


def fetch(force: bool = False) -> str:
    if _store().is_file() and not force:
        return f"kjv is already cached in {_store().parent} (use --force to fetch it again)"
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise DatasetUnavailableError(f"kjv is decoded by Debian's amd64 `bible` program; this machine is "
                                      f"{sys.platform}/{platform.machine()}. {how_to_get()}; or fetch it on an "
                                      f"amd64 Linux machine and copy {_store().parent} here")
    print("duelo: fetching kjv once with `apt-get download bible-kjv bible-kjv-text`", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="duelo-kjv-") as tmp:
        workdir = Path(tmp)
        tree = workdir / "tree"
        for package, members in PACKAGES.values():
            deb = _package_file(package, workdir)
            found = dict(read_members(deb, lambda name, wanted=members: name in wanted, how_to_get()))
            missing = [m for m in members if m not in found]
            if missing:
                raise DataError(f"{deb}: no member {missing[0]}; this is not the {package} package. {how_to_get()}")
            for member, data in found.items():
                target = tree / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        reader = tree / "usr/bin/bible"
        reader.chmod(reader.stat().st_mode | stat.S_IXUSR)
        try:
            done = subprocess.run([str(reader), "-l100000", "-p", str(tree / "usr/lib"), "gen1:1-rev22:21"],
                                  capture_output=True, text=True, timeout=120, cwd=workdir)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DataError(f"the bible reader did not run ({error}). {how_to_get()}") from None
        if done.returncode != 0:
            raise DataError(f"the bible reader failed (exit {done.returncode}: {done.stderr.strip()[-200:]}). "
                            f"{how_to_get()}")
        text = parse_dump(done.stdout)
    if len(text.lines) != EXPECTED_VERSES:
        raise DataError(f"the bible reader printed {len(text.lines):,} verses, not {EXPECTED_VERSES:,}; the "
                        f"packages are not the ones duelo knows. {how_to_get()}")
    cache_lines(NAME, text, "bible-kjv + bible-kjv-text")
    return f"kjv fetched: {len(text.lines):,} verses, cached in {_store().parent}"


def load() -> TextLines:
    if not _store().is_file():
        fetch()
    return read_cached_lines(NAME)


TEXT_SOURCES.add(NAME, TextSource(NAME, "the King James Bible, 31,102 verses, labelled old / new testament", load,
                                  lambda: _store().is_file(), how_to_get, fetch, None, "public domain",
                                  "4.4 MB (Debian bible-kjv, bible-kjv-text)"))
