"""Reading sound files into clips: any format libsndfile reads (WAV, AIFF, FLAC, Ogg Vorbis, Opus; through
`soundfile`, the `audio` extra) decoded from bytes, mixed to mono, resampled (polyphase, scipy), trimmed of the
silence before the sound starts, cut or padded to the clip length with a short fade where it is cut, and
optionally brought to a common peak."""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np

from duelo.data.errors import DataError, DatasetUnavailableError

INSTALL = "pip install 'duelo[audio]' (soundfile, which bundles libsndfile)"
ONSET_LEVEL = 0.02          # of the clip's peak: where the sound is taken to start
FADE_S = 0.01
PEAK = 0.9


def require_soundfile():
    try:
        import soundfile
    except (ImportError, OSError) as error:
        raise DatasetUnavailableError(f"reading sound files needs soundfile ({error}): {INSTALL}") from None
    return soundfile


def decode_audio(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """(mono float32 samples, rate) of one encoded file; DataError naming `what` when it cannot be read."""
    soundfile = require_soundfile()
    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, ValueError, EOFError) as error:
        raise DataError(f"{what}: not a sound file libsndfile reads ({error})") from None
    if not len(samples):
        raise DataError(f"{what}: holds no samples")
    return samples.mean(axis=1), int(rate)


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return wave.astype(np.float32)
    from scipy.signal import resample_poly

    ratio = Fraction(target, rate).limit_denominator(1000)
    return resample_poly(wave, ratio.numerator, ratio.denominator).astype(np.float32)


def fit_clip(wave: np.ndarray, rate: int, target_rate: int, length: int, normalise: bool) -> np.ndarray | None:
    """`length` samples at `target_rate` starting where the sound starts; None for a silent file."""
    wave = resample(np.asarray(wave, np.float32), rate, target_rate)
    peak = float(np.abs(wave).max()) if len(wave) else 0.0
    if peak < 1e-4:
        return None
    start = int(np.argmax(np.abs(wave) >= ONSET_LEVEL * peak))
    wave = wave[start:start + length]
    if len(wave) == length:
        fade = min(length, int(FADE_S * target_rate))
        wave = wave.copy()
        wave[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    else:
        wave = np.pad(wave, (0, length - len(wave)))
    if normalise:
        wave = wave * (PEAK / peak)
    return np.clip(wave, -1.0, 1.0)
