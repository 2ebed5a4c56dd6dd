"""Pieces from the music21 corpus (PyPI `music21`, its bundled corpus: works offline), parsed once into voices on a
sixteenth-note grid and cached. Three corpora (CORPORA):

    chorales   Bach's four-part chorales: kept when they have exactly four parts
    folk       the Essen folk-song collection's melodies (one part)
    irish      O'Neill's Music of Ireland (1850 tunes, 1903): its reels and hornpipes, melodies in 2/2 or 4/4

A piece is kept when it has the corpus's number of parts, only the corpus's time signatures (4/4; the Irish tunes
also 2/2, the same sixteen sixteenths a bar) and notes on the sixteenth grid (a tune with a triplet is left out).
Each voice (soprano, alto, tenor, bass; or the melody) becomes, per sixteenth, its MIDI pitch (0 = rest) and
whether a note starts there (so repeated notes stay apart from held ones); chords inside a voice keep their highest
note. The key music21 finds (Krumhansl-Schmuckler) is kept as tonic pitch class and mode, the condition of a
key-aware model, and the step of the first bar line (after any pickup).

Parsing is slow (music21 reads MusicXML and ABC: 0.03-0.6 s a piece), so `duelo datasets fetch chorales|folk|irish`
does it once into DUELO_CACHE_DIR/datasets/NAME/voices.npz (no pickle).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.npz_store import read_npz_store, write_npz_atomically
from duelo.data.sources.base import dataset_cache_dir

STEPS_PER_QUARTER = 4                      # sixteenth notes
VOICES = ("soprano", "alto", "tenor", "bass")
MODES = ("major", "minor")
STORE_FILE, STORE_FORMAT = "voices.npz", 1
INSTALL = "pip install 'duelo[music]' (music21 and its bundled corpus)"


@dataclass(frozen=True)
class Pieces:
    """Voices of every kept piece, one after the other: pitch (S, V) uint8 (0 = rest) and onset (S, V) bool per
    sixteenth; piece k spans steps starts[k]:starts[k + 1]."""

    pitch: np.ndarray
    onset: np.ndarray
    starts: np.ndarray
    names: list[str]
    tonic: np.ndarray                     # (K,) pitch class of the key's tonic, 0 = C
    mode: np.ndarray                      # (K,) index into MODES
    downbeat: np.ndarray                  # (K,) the first bar line's step (a pickup bar comes before it)

    def __len__(self) -> int:
        return len(self.names)

    def piece(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.starts[k], self.starts[k + 1]
        return self.pitch[a:b], self.onset[a:b]

    def subset(self, chosen: np.ndarray) -> Pieces:
        """The pieces at the indices `chosen`, in that order."""
        chosen = np.asarray(chosen, np.int64)
        spans = [np.arange(self.starts[k], self.starts[k + 1]) for k in chosen]
        steps = np.concatenate(spans) if spans else np.zeros(0, np.int64)
        lengths = [len(span) for span in spans]
        return Pieces(self.pitch[steps], self.onset[steps], np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                      [self.names[k] for k in chosen], self.tonic[chosen], self.mode[chosen], self.downbeat[chosen])


def require_music21():
    try:
        import music21
    except ImportError:
        raise DatasetUnavailableError(f"the chorales come from music21's corpus, which is not installed: "
                                      f"{INSTALL}") from None
    return music21


def downbeat_of(score) -> int:
    """The step of the first full bar's start: 0 unless the piece opens with a pickup."""
    measures = list(score.parts[0].getElementsByClass("Measure"))
    if len(measures) < 2:
        return 0
    return int(round(float(measures[1].offset) * STEPS_PER_QUARTER)) % (4 * STEPS_PER_QUARTER)


def voices_of(score, voices: int = 4,
              meters: tuple[str, ...] = ("4/4",)) -> tuple[np.ndarray, np.ndarray] | None:
    """A music21 score -> (pitch (T, V), onset (T, V)), or None when it is not a V-part piece on the grid whose
    time signatures are all among `meters` (each a bar of 16 sixteenths)."""
    music21 = require_music21()
    if len(score.parts) != voices:
        return None
    found = {ts.ratioString for ts in score.recurse().getElementsByClass(music21.meter.TimeSignature)}
    if not found or not found <= set(meters):
        return None
    length = int(round(float(score.highestTime) * STEPS_PER_QUARTER))
    pitch = np.zeros((length, voices), np.uint8)
    onset = np.zeros((length, voices), bool)
    for v, part in enumerate(score.parts):
        for note in part.flatten().notes:
            start = float(note.offset) * STEPS_PER_QUARTER
            steps = float(note.quarterLength) * STEPS_PER_QUARTER
            if start != int(start) or steps != int(steps):
                return None                                          # off the sixteenth grid (a few ornaments)
            a, b = int(start), int(start + steps)
            midi = max(p.midi for p in note.pitches)
            tied = note.tie is not None and note.tie.type in ("stop", "continue")
            pitch[a:b, v] = midi
            onset[a, v] = not tied or bool(a and pitch[a - 1, v] != midi)
    return pitch, onset


def _row(name: str, score, voices: int, meters: tuple[str, ...] = ("4/4",)) -> dict | None:
    found = voices_of(score, voices, meters)
    if found is None:
        return None
    key = score.analyze("key")
    return {"name": name, "pitch": found[0], "onset": found[1], "tonic": key.tonic.pitchClass,
            "mode": MODES.index(key.mode) if key.mode in MODES else 0, "downbeat": downbeat_of(score)}


def _progress(done: int, total: int, kept: int, what: str) -> None:
    print(f"duelo: parsed {done}/{total} {what}, {kept} kept", file=sys.stderr, flush=True)


def parse_chorales(progress: bool = True) -> list[dict]:
    music21 = require_music21()
    names = list(music21.corpus.chorales.Iterator(returnType="filename"))
    rows: list[dict] = []
    for k, name in enumerate(names):
        row = _row(name, music21.corpus.parse(name), 4)
        rows += [row] if row else []
        if progress and (k + 1) % 25 == 0:
            _progress(k + 1, len(names), len(rows), "chorales")
    return rows


def _parse_abc(collection: str, what: str, meters: tuple[str, ...], progress: bool) -> list[dict]:
    """The melodies of one of the corpus's ABC collections: files of one tune (a score) or of many (an opus)."""
    music21 = require_music21()
    files = sorted(music21.corpus.getComposer(collection))
    rows: list[dict] = []
    for k, path in enumerate(files):
        parsed = music21.corpus.parse(path)
        for number, score in enumerate(parsed.scores if hasattr(parsed, "scores") else [parsed]):
            row = _row(f"{Path(path).stem}/{number}", score, 1, meters)
            rows += [row] if row else []
        if progress:
            _progress(k + 1, len(files), len(rows), what)
    return rows


def parse_folk(progress: bool = True) -> list[dict]:
    """The Essen collection's ABC files, each an opus of melodies."""
    return _parse_abc("essenFolksong", "Essen files", ("4/4",), progress)


def parse_irish(progress: bool = True) -> list[dict]:
    """O'Neill's 1850 tunes (ABC): the reels and hornpipes, written in 2/2 or 4/4."""
    return _parse_abc("oneills1850", "O'Neill files", ("4/4", "2/2"), progress)


@dataclass(frozen=True)
class Corpus:
    parse: Callable[[bool], list[dict]]
    voices: int
    what: str


CORPORA = {"chorales": Corpus(parse_chorales, 4, "four-part 4/4 chorales"),
           "folk": Corpus(parse_folk, 1, "4/4 folk melodies"),
           "irish": Corpus(parse_irish, 1, "2/2 and 4/4 Irish tunes")}


def from_pieces(rows: list[dict]) -> Pieces:
    """Pieces from per-piece dicts (name, pitch, onset, tonic, mode, downbeat)."""
    if not rows:
        raise DataError("music21's corpus gave no piece duelo keeps; is its corpus complete? " + INSTALL)
    lengths = [len(row["pitch"]) for row in rows]
    return Pieces(np.concatenate([row["pitch"] for row in rows]), np.concatenate([row["onset"] for row in rows]),
                    np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), [row["name"] for row in rows],
                    *(np.array([row[key] for row in rows], np.int64) for key in ("tonic", "mode", "downbeat")))


def store_path(name: str = "chorales") -> Path:
    return dataset_cache_dir(name) / STORE_FILE


def save(pieces: Pieces, path: Path) -> Path:
    return write_npz_atomically(path, {
        "pitch": pieces.pitch, "onset": pieces.onset, "starts": pieces.starts, "tonic": pieces.tonic,
        "mode": pieces.mode, "downbeat": pieces.downbeat}, {"format": STORE_FORMAT, "names": pieces.names},
        compressed=True)


def load(path: Path | None = None, name: str = "chorales") -> Pieces:
    """A named corpus from the cache (or the .npz at `path`, written by save())."""
    given = path is not None
    path = path or store_path(name)
    if given and not path.is_file():
        raise DataError(f"{path}: no such file; give a file written by duelo.tasks.music.corpus.save, or a named set "
                        f"({', '.join(CORPORA)})")
    if not path.is_file():
        raise DatasetUnavailableError(f"{name} is not parsed yet: run `duelo datasets fetch {name}` "
                                      f"(needs {INSTALL}; a few minutes, once)")
    try:
        arrays, meta = read_npz_store(path)
        if meta.get("format") != STORE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        pieces = Pieces(arrays["pitch"], arrays["onset"].astype(bool), arrays["starts"], list(meta["names"]),
                        arrays["tonic"], arrays["mode"], arrays["downbeat"])
        count, total = len(pieces.names), len(pieces.pitch)
        if (pieces.starts.shape != (count + 1,) or pieces.starts[0] != 0 or pieces.starts[-1] != total
                or (np.diff(pieces.starts) < 0).any() or pieces.pitch.ndim != 2
                or pieces.pitch.shape[0] != total or pieces.onset.shape != pieces.pitch.shape
                or any(a.shape != (count,) for a in (pieces.tonic, pieces.mode, pieces.downbeat))):
            raise ValueError("the arrays do not fit together")
        if pieces.pitch.dtype.kind not in "ui" or (pieces.pitch > 127).any():
            raise ValueError("pitch must hold MIDI numbers 0..127 (0 = rest)")
        if not (np.isin(pieces.mode, range(len(MODES))).all() and np.isin(pieces.tonic, range(12)).all()):
            raise ValueError(f"mode must be 0..{len(MODES) - 1} ({', '.join(MODES)}) and tonic 0..11")
        return pieces
    except Exception as error:          # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        if given:
            raise DataError(f"{path} is not a file of pieces duelo can read ({error}); write one with "
                            f"duelo.tasks.music.corpus.save, or give a named set ({', '.join(CORPORA)})") from None
        raise DataError(f"the music cache {path} is damaged ({error}); delete it and run `duelo datasets fetch "
                        f"{name}` again") from None


def fetch(name: str, force: bool = False) -> str:
    if store_path(name).is_file() and not force:
        return f"{name} is already parsed in {store_path(name).parent} (use --force to parse it again)"
    corpus = CORPORA[name]
    pieces = from_pieces(corpus.parse(True))
    save(pieces, store_path(name))
    return (f"{name} parsed from music21's corpus: {len(pieces):,} {corpus.what}, "
            f"{len(pieces.pitch) // (4 * STEPS_PER_QUARTER):,} bars, cached in {store_path(name).parent}")
