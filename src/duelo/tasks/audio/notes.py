"""The `notes` dataset: single instrument notes rendered from the FluidR3 General-MIDI sound font (Debian
fluid-soundfont-gm, MIT; real recorded samples) with tinysoundfont — an NSynth-like set: every instrument of
NOTE_PROGRAMS at every pitch of NOTE_PITCHES and every velocity of NOTE_VELOCITIES, held HOLD_S then released,
RATE Hz, labelled by instrument and pitch.

tinysoundfont is installed with `pip install --no-deps tinysoundfont` (its declared PyAudio dependency is for
playback, which duelo does not use).
"""

from __future__ import annotations

import numpy as np

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.tasks.audio.clips import LENGTH, RATE, Clips, to_int16

SOUND_FONT = "usr/share/sounds/sf2/FluidR3_GM.sf2"
NOTE_PROGRAMS = ((0, "piano"), (11, "vibraphone"), (19, "organ"), (24, "guitar"), (32, "bass"), (40, "violin"),
                 (56, "trumpet"), (65, "saxophone"), (73, "flute"), (71, "clarinet"))
NOTE_PITCHES = tuple(range(48, 73))             # C3 .. C5
NOTE_VELOCITIES = (50, 70, 90, 110, 127)
HOLD_S = 0.75
INSTALL = "pip install --no-deps tinysoundfont"


def require_tinysoundfont():
    try:
        import tinysoundfont
    except ImportError as error:
        raise DatasetUnavailableError(f"rendering notes needs tinysoundfont ({error}): {INSTALL}") from None
    return tinysoundfont


def pitch_name(pitch: int) -> str:
    return f"{('C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B')[pitch % 12]}{pitch // 12 - 1}"


def render_notes(sound_font: bytes, programs=NOTE_PROGRAMS, pitches=NOTE_PITCHES,
                 velocities=NOTE_VELOCITIES) -> Clips:
    tsf = require_tinysoundfont()
    synth = tsf.Synth(samplerate=RATE)
    try:
        font = synth.sfload(sound_font)
    except Exception as error:                  # tinysoundfont raises its own and OSError-like types
        raise DataError(f"{SOUND_FONT}: tinysoundfont cannot read the sound font ({error})") from None
    hold = int(HOLD_S * RATE)
    waves, labels, names = [], [], []
    for i, (program, instrument) in enumerate(programs):
        synth.program_select(0, font, 0, program)
        for p, pitch in enumerate(pitches):
            for velocity in velocities:
                synth.noteon(0, pitch, velocity)
                held = np.frombuffer(synth.generate(hold), np.float32).reshape(-1, 2)
                synth.noteoff(0, pitch)
                released = np.frombuffer(synth.generate(LENGTH - hold), np.float32).reshape(-1, 2)
                synth.sounds_off(0)
                synth.generate(RATE // 10)                            # let the voice die before the next note
                waves.append(np.concatenate([held, released]).mean(axis=1))
                labels.append((i, p))
                names.append(f"{instrument}-{pitch_name(pitch)}-v{velocity}")
    waves = np.stack(waves)
    peak = float(np.abs(waves).max())
    if peak < 1e-4:
        raise DataError(f"{SOUND_FONT}: every rendered note is silent")
    scale = min(1.0, 0.95 / peak)                                     # keep velocities' loudness differences
    return Clips(to_int16(waves * scale), RATE, np.array(labels, np.int64), ["instrument", "pitch"],
                 [[name for _, name in programs], [pitch_name(p) for p in pitches]], names, "fluid-soundfont-gm",
                 [f"rendered with tinysoundfont at {RATE} Hz, velocities {list(velocities)}, scaled by {scale:.3f}"])
