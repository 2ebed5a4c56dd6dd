"""Bach's four-part chorales from the music21 corpus (PyPI `music21`, its bundled corpus: works offline), parsed
once into voices on a sixteenth-note grid and cached.

A chorale is kept when it has exactly four parts, one time signature of 4/4 and notes on the sixteenth grid. Each
voice (soprano, alto, tenor, bass) becomes, per sixteenth, its MIDI pitch (0 = rest) and whether a note starts
there (so repeated notes stay apart from held ones); chords inside a voice keep their highest note. The key music21
finds (Krumhansl-Schmuckler) is kept as tonic pitch class and mode, the condition of a key-aware model.

Parsing is slow (music21 reads MusicXML: about 0.2-0.6 s a chorale), so `duelo datasets fetch chorales` does it
once into DUELO_CACHE_DIR/datasets/chorales/voices.npz (no pickle).
"""

from __future__ import annotations

import sys
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
class Chorales:
    """Voices of every kept chorale, one after the other: pitch (S, 4) uint8 (0 = rest) and onset (S, 4) bool per
    sixteenth; chorale k spans steps starts[k]:starts[k + 1]."""

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


def _music21():
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


def voices_of(score) -> tuple[np.ndarray, np.ndarray] | None:
    """A music21 score -> (pitch (T, 4), onset (T, 4)), or None when it is not a four-part 4/4 piece on the grid."""
    music21 = _music21()
    if len(score.parts) != len(VOICES):
        return None
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass(music21.meter.TimeSignature)}
    if meters != {"4/4"}:
        return None
    length = int(round(float(score.highestTime) * STEPS_PER_QUARTER))
    pitch = np.zeros((length, len(VOICES)), np.uint8)
    onset = np.zeros((length, len(VOICES)), bool)
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


def parse_corpus(progress: bool = True) -> Chorales:
    music21 = _music21()
    names = list(music21.corpus.chorales.Iterator(returnType="filename"))
    rows: list[dict] = []
    for k, name in enumerate(names):
        score = music21.corpus.parse(name)
        found = voices_of(score)
        if found is not None:
            key = score.analyze("key")
            rows.append({"name": name, "pitch": found[0], "onset": found[1], "tonic": key.tonic.pitchClass,
                         "mode": MODES.index(key.mode) if key.mode in MODES else 0, "downbeat": downbeat_of(score)})
        if progress and (k + 1) % 25 == 0:
            print(f"duelo: parsed {k + 1}/{len(names)} chorales, {len(rows)} kept", file=sys.stderr, flush=True)
    return from_pieces(rows)


def from_pieces(rows: list[dict]) -> Chorales:
    """Chorales from per-piece dicts (name, pitch, onset, tonic, mode, downbeat)."""
    if not rows:
        raise DataError("music21's corpus gave no four-part 4/4 chorale; is its corpus complete? " + INSTALL)
    lengths = [len(row["pitch"]) for row in rows]
    return Chorales(np.concatenate([row["pitch"] for row in rows]), np.concatenate([row["onset"] for row in rows]),
                    np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), [row["name"] for row in rows],
                    *(np.array([row[key] for row in rows], np.int64) for key in ("tonic", "mode", "downbeat")))


def store_path() -> Path:
    return dataset_cache_dir("chorales") / STORE_FILE


def save(chorales: Chorales, path: Path | None = None) -> Path:
    return write_npz_atomically(path or store_path(), {
        "pitch": chorales.pitch, "onset": chorales.onset, "starts": chorales.starts, "tonic": chorales.tonic,
        "mode": chorales.mode, "downbeat": chorales.downbeat}, {"format": STORE_FORMAT, "names": chorales.names},
        compressed=True)


def load(path: Path | None = None) -> Chorales:
    path = path or store_path()
    if not path.is_file():
        raise DatasetUnavailableError(f"the chorales are not parsed yet: run `duelo datasets fetch chorales` "
                                      f"(needs {INSTALL}; about two minutes, once)")
    try:
        arrays, meta = read_npz_store(path)
        if meta.get("format") != STORE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        chorales = Chorales(arrays["pitch"], arrays["onset"].astype(bool), arrays["starts"], list(meta["names"]),
                            arrays["tonic"], arrays["mode"], arrays["downbeat"])
        count, total = len(chorales.names), len(chorales.pitch)
        if (chorales.starts.shape != (count + 1,) or chorales.starts[-1] != total
                or chorales.pitch.shape != (total, len(VOICES)) or chorales.onset.shape != chorales.pitch.shape
                or any(a.shape != (count,) for a in (chorales.tonic, chorales.mode, chorales.downbeat))):
            raise ValueError("the arrays do not fit together")
        return chorales
    except Exception as error:          # a damaged file can fail anywhere in zipfile, numpy, json or the checks
        raise DataError(f"the chorales cache {path} is damaged ({error}); delete it and run `duelo datasets fetch "
                        f"chorales` again") from None


def fetch(force: bool = False) -> str:
    if store_path().is_file() and not force:
        return f"chorales are already parsed in {store_path().parent} (use --force to parse them again)"
    chorales = parse_corpus()
    save(chorales)
    return (f"chorales parsed from music21's corpus: {len(chorales)} four-part 4/4 chorales, "
            f"{len(chorales.pitch) // (4 * STEPS_PER_QUARTER):,} bars, cached in {store_path().parent}")
