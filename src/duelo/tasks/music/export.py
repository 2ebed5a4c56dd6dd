"""Four voices on a sixteenth grid -> a music21 score -> MIDI (.mid) or MusicXML (.musicxml), written atomically.
The score has one part per voice (soprano, alto, tenor, bass; treble clefs above, bass clefs below), 4/4, the
key's signature where known; notes are the runs of notes() (scores.py), rests fill the gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from duelo.errors import ConfigError
from duelo.io.atomic import atomic_write
from duelo.tasks.music.corpus import STEPS_PER_QUARTER, VOICES, require_music21
from duelo.tasks.music.scores import notes

FORMATS = {".mid": "midi", ".midi": "midi", ".musicxml": "musicxml", ".xml": "musicxml"}


def to_score(pitch: np.ndarray, onset: np.ndarray, tonic: int | None = None, mode: int | None = None,
             title: str = "duelo"):
    music21 = require_music21()
    score = music21.stream.Score()
    score.insert(0, music21.metadata.Metadata(title=title))
    found = notes(pitch, onset)
    for v in range(pitch.shape[1]):
        part = music21.stream.Part(id=VOICES[v] if pitch.shape[1] > 1 else "melody")
        part.partName = part.id
        part.insert(0, music21.clef.TrebleClef() if v < 2 else music21.clef.BassClef())
        part.insert(0, music21.meter.TimeSignature("4/4"))
        if tonic is not None and mode is not None:
            part.insert(0, music21.key.Key(music21.pitch.Pitch(tonic).name, "minor" if mode == 1 else "major"))
        for voice, start, length, midi in found:
            if voice == v:
                note = music21.note.Note(midi)
                note.quarterLength = length / STEPS_PER_QUARTER
                part.insert(start / STEPS_PER_QUARTER, note)
        part.makeRests(fillGaps=True, inPlace=True, timeRangeFromBarDuration=True)
        score.insert(0, part)
    return score


def write_piece(path: Path, pitch: np.ndarray, onset: np.ndarray, tonic: int | None = None,
                mode: int | None = None) -> Path:
    """Write one piece as MIDI or MusicXML, by the file's suffix."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: write music as .mid or .musicxml")
    score = to_score(pitch, onset, tonic, mode, path.stem)
    return atomic_write(path, lambda temp: score.write(kind, fp=str(temp)))
