"""Named audio datasets (AUDIO_SOURCES), listed and fetched by `duelo datasets` beside the other tasks' ones. Each
comes from one Debian package, fetched once with `apt-get download` (nothing is installed; offline: `duelo
datasets fetch NAME --from FILE.deb` or the file in $DUELO_PACKAGE_DIR), read in memory and cached as clips
(clips.py) of RATE Hz and LENGTH samples:

    notes   instrument notes rendered from the FluidR3 General-MIDI sound font (fluid-soundfont-gm) with
            tinysoundfont: NOTE_PROGRAMS x NOTE_PITCHES x NOTE_VELOCITIES, labelled by instrument and pitch —
            an NSynth-like set made from real recorded samples (notes.py)
    drums   the Hydrogen drum kits' one-shots (hydrogen-drumkits), labelled kick / snare / hihat / tom / cymbal /
            other from the kit's instrument name and the file name; peaks brought to one level
    spoken  KTuberling's spoken words (ktuberling-data), labelled by language; peaks brought to one level
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources.archives import read_members
from duelo.data.sources.base import ListedSource, dataset_cache_dir
from duelo.data.sources.clients import CLIENTS, PACKAGE_DIR_ENV, client_available, download, file_in_package_dir
from duelo.registry import Registry
from duelo.tasks.audio import notes
from duelo.tasks.audio.clips import LENGTH, RATE, Clips, load, save, to_int16
STORE_FILE = "clips.npz"
SOUND_SUFFIXES = (".wav", ".flac", ".aiff", ".aif", ".ogg", ".opus")

AUDIO_SOURCES: Registry[ListedSource] = Registry("audio dataset")


@dataclass(frozen=True)
class PackageSounds:
    name: str
    package: str
    wanted: Callable[[str], bool]                          # which members to read (normalised paths)
    build: Callable[[list[tuple[str, bytes]]], Clips]      # the wanted members, sorted by path -> clips
    description: str
    licence: str
    size: str
    max_member_bytes: int = 64 * 1024 * 1024               # a sound font is one large file


def store_path(name: str) -> Path:
    return dataset_cache_dir(name) / STORE_FILE


def how_to_get(spec: PackageSounds) -> str:
    return (f"{spec.name} comes from the Debian package {spec.package}, fetched once with apt-get download and "
            f"cached in {store_path(spec.name).parent}. Without apt-get or network: "
            f"{CLIENTS.get('apt').by_hand(spec.package, None)}; then `duelo datasets fetch {spec.name} --from FILE`, "
            f"or put the file in ${PACKAGE_DIR_ENV}")


def _build(spec: PackageSounds, path: Path) -> Clips:
    members = sorted(read_members(path, spec.wanted, how_to_get(spec), spec.max_member_bytes))
    if not members:
        raise DataError(f"{path}: none of the files {spec.name} reads; this is not the {spec.package} package. "
                        f"{how_to_get(spec)}")
    return spec.build(members)


def fetch(spec: PackageSounds, force: bool = False, from_file: Path | None = None) -> str:
    if store_path(spec.name).is_file() and not force and from_file is None:
        return f"{spec.name} is already cached in {store_path(spec.name).parent} (use --force to fetch it again)"
    if from_file is not None and not from_file.is_file():
        raise DataError(f"--from {from_file}: no such file. {how_to_get(spec)}")
    deb = from_file or file_in_package_dir("apt", spec.package, None)
    if deb is not None:
        clips = _build(spec, deb)
    else:
        if not client_available("apt"):
            raise DatasetUnavailableError(f"{spec.name} is not cached yet and apt-get is not available. "
                                          f"{how_to_get(spec)}")
        print(f"duelo: fetching {spec.name} once (Debian package {spec.package})", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix=f"duelo-{spec.name}-") as workdir:
            deb = download("apt", spec.package, None, Path(workdir), how_to_get(spec))
            clips = _build(spec, deb)
    save(clips, store_path(spec.name))
    counts = ", ".join(f"{factor}: {len(names)} classes" for factor, names in zip(clips.factors, clips.class_names))
    return (f"{spec.name} fetched from {deb.name}: {len(clips):,} clips of {clips.seconds:.3f} s ({counts}), cached "
            f"in {store_path(spec.name).parent}")


def load_named(spec: PackageSounds) -> Clips:
    if not store_path(spec.name).is_file():
        fetch(spec)
    return load(store_path(spec.name))


def register(spec: PackageSounds) -> None:
    AUDIO_SOURCES.add(spec.name, ListedSource(
        spec.name, spec.description, lambda: load_named(spec), lambda: store_path(spec.name).is_file(),
        lambda: how_to_get(spec), lambda force: fetch(spec, force), lambda path, force: fetch(spec, force, path),
        spec.licence, spec.size))


def decoded_clips(members: list[tuple[str, bytes]], label_of: Callable[[str], tuple[str, ...] | None],
                  factors: list[str], source: str, normalise: bool) -> Clips:
    """Sound files -> clips labelled by `label_of(member)` (None leaves the file out); files that cannot be read
    or are silent are left out with a note."""
    from duelo.tasks.audio.decode import decode_audio, fit_clip

    waves, keys, names, bad, silent = [], [], [], [], 0
    for member, data in members:
        key = label_of(member)
        if key is None:
            continue
        try:
            samples, rate = decode_audio(data, member)
        except DataError:
            bad.append(member)
            continue
        wave = fit_clip(samples, rate, RATE, LENGTH, normalise)
        if wave is None:
            silent += 1
            continue
        waves.append(to_int16(wave))
        keys.append(key)
        names.append(member)
    if not waves:
        raise DataError(f"{source}: no sound file could be read")
    class_names = [sorted({key[f] for key in keys}) for f in range(len(factors))]
    labels = np.array([[class_names[f].index(key[f]) for f in range(len(factors))] for key in keys], np.int64)
    notes = ([f"{len(bad)} file(s) libsndfile could not read, left out (first: {bad[0]})"] if bad else []) + \
        ([f"{silent} silent file(s) left out"] if silent else [])
    return Clips(np.stack(waves), RATE, labels, factors, class_names, names, source, notes)


# ---- drums: hydrogen-drumkits ------------------------------------------------------------------------------------
DRUM_FOLDER = "usr/share/hydrogen/data/drumkits/"
DRUM_KINDS = (("kick", r"kick|\bbd\b|bass ?drum|\bbass\b"), ("snare", r"snare|\bsd\b|rim|clap|stick"),
              ("hihat", r"hat|\bhh\b"), ("tom", r"tom"), ("cymbal", r"crash|ride|cymbal|china|splash|bell"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _drum_names(members: list[tuple[str, bytes]]) -> dict[str, str]:
    """{member path of a sample: the instrument name its kit's drumkit.xml gives it}."""
    import xml.etree.ElementTree as ET

    names = {}
    for member, data in members:
        if not member.endswith("/drumkit.xml"):
            continue
        folder = member.rsplit("/", 1)[0]
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            continue
        for instrument in (e for e in root.iter() if _local(e.tag) == "instrument"):
            name = next((e.text or "" for e in instrument if _local(e.tag) == "name"), "")
            for e in instrument.iter():
                if _local(e.tag) == "filename" and e.text:
                    names[f"{folder}/{e.text}"] = name
    return names


def drum_kind(text: str) -> str:
    text = text.lower().replace("_", " ").replace("-", " ")
    return next((kind for kind, rule in DRUM_KINDS if re.search(rule, text)), "other")


def _drums(members: list[tuple[str, bytes]]) -> Clips:
    names = _drum_names(members)
    sounds = [(m, d) for m, d in members if m.lower().endswith(SOUND_SUFFIXES)]
    return decoded_clips(sounds, lambda m: (drum_kind(f"{names.get(m, '')} {PurePosixPath(m).stem}"),),
                         ["kind"], "hydrogen-drumkits", normalise=True)


register(PackageSounds("drums", "hydrogen-drumkits",
                       lambda m: m.startswith(DRUM_FOLDER) and (m.lower().endswith(SOUND_SUFFIXES)
                                                                or m.endswith("/drumkit.xml")),
                       _drums, "the Hydrogen drum kits' one-shots (~750, 11 kits), labelled kick / snare / hihat / "
                       "tom / cymbal / other", "GPL-2+ / CC-BY-3.0 (per kit)", "143 MB (Debian hydrogen-drumkits)"))


# ---- spoken: ktuberling-data --------------------------------------------------------------------------------------
WORD_FOLDER = "usr/share/ktuberling/sounds/"


def _words(members: list[tuple[str, bytes]]) -> Clips:
    return decoded_clips(members, lambda m: (m[len(WORD_FOLDER):].split("/", 1)[0],), ["language"],
                         "ktuberling-data", normalise=True)


SPOKEN = PackageSounds("spoken", "ktuberling-data",              # usr/share/ktuberling/sounds/LANG/WORD.ogg
                       lambda m: m.startswith(WORD_FOLDER) and m.count("/") == 5 and m.lower().endswith(SOUND_SUFFIXES),
                       _words, "KTuberling's spoken words (1,892 Ogg, Opus and WAV files in 26 language folders), "
                       "labelled by language", "GPL-2+", "47 MB (Debian ktuberling-data)")
register(SPOKEN)


def count_by(clips: Clips, factor: int = 0) -> Counter:
    return Counter(clips.class_names[factor][k] for k in clips.labels[:, factor])


# ---- notes: fluid-soundfont-gm, rendered by notes.py -------------------------------------------------------------
register(PackageSounds(
    "notes", "fluid-soundfont-gm", lambda m: m == notes.SOUND_FONT, lambda members: notes.render_notes(
        dict(members)[notes.SOUND_FONT]),
    f"{len(notes.NOTE_PROGRAMS)} instruments x {len(notes.NOTE_PITCHES)} pitches x {len(notes.NOTE_VELOCITIES)} "
    f"velocities rendered from the FluidR3 GM sound font (needs `{notes.INSTALL}`), labelled by instrument and "
    f"pitch", "MIT (FluidR3 GM)", "120 MB (Debian fluid-soundfont-gm)", max_member_bytes=256 * 1024 * 1024))


def named_sources() -> Registry[ListedSource]:
    return AUDIO_SOURCES
