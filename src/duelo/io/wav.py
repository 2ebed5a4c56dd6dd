"""WAV files: 16-bit PCM mono, written (atomically) and read with the standard library (no dependency)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from duelo.data.errors import DataError


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """samples: (L,) floats in [-1, 1] (clipped) as the bytes of a 16-bit PCM mono WAV file."""
    import io

    pcm = np.round(np.clip(np.asarray(samples, np.float64), -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """samples: (L,) floats in [-1, 1] (clipped); written atomically (a crash leaves the old file or none)."""
    from duelo.io.atomic import atomic_write_bytes

    return atomic_write_bytes(Path(path), wav_bytes(samples, rate))


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(mono float32 samples in [-1, 1], rate) of a 16-bit PCM WAV file (channels averaged)."""
    try:
        with wave.open(str(path), "rb") as source:
            if source.getsampwidth() != 2:
                raise DataError(f"{path}: {8 * source.getsampwidth()}-bit samples; read_wav reads 16-bit PCM")
            frames = np.frombuffer(source.readframes(source.getnframes()), "<i2")
            channels, rate = source.getnchannels(), source.getframerate()
    except (wave.Error, EOFError) as error:
        raise DataError(f"{path}: not a PCM WAV file ({error})") from None
    return frames.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32767, rate
