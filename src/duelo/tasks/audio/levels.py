"""One peak level for a set's clips and for G's.

The drums and spoken words are brought to one peak when they are read (decode.fit_clip: every clip's loudest
sample at 0.9 of full scale); a user's own set may be too. A generator trained on such a set draws clips whose
peaks scatter around it, and a spectral generator's clips come out quieter still where the phases of overlapping
frames cancel. `audio.peak` brings every generated clip to the set's level when it becomes a wave (samples,
scores, `duelo sample`), as the real clips were brought to it; the scores of the clips as drawn are kept beside
(summary keys ending `_as_drawn`).

    auto     the training clips' level when they share one (SHARE of them within TOLERANCE_DB of the median
             peak), else off: drums and spoken on, notes (velocities kept) off
    off      clips as drawn
    0.5      any level in (0, 1]: the loudest sample of every clip there
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.tasks.audio.clips import FULL_SCALE

SHARE = 0.95
TOLERANCE_DB = 0.1
SILENT = 1e-4              # a clip whose loudest sample is below this stays as drawn (nothing to scale)


def shared_peak(waves: np.ndarray) -> float | None:
    """The peak the clips (N, L) share (floats in [-1, 1], or the clips store's int16), rounded to 4 places, or
    None when they do not share one."""
    if len(waves) == 0:
        return None
    peaks = np.abs(waves).max(axis=1).astype(np.float64)
    if np.issubdtype(waves.dtype, np.integer):
        peaks /= FULL_SCALE
    median = float(np.median(peaks))
    if median < SILENT:
        return None
    within = np.abs(20 * np.log10(np.maximum(peaks, SILENT) / median)) <= TOLERANCE_DB
    return round(median, 4) if within.mean() >= SHARE else None


def chosen_peak(setting: str, waves: np.ndarray) -> float | None:
    """The level G's clips are brought to under audio.peak = `setting`, for a set of training clips `waves`."""
    if setting == "off":
        return None
    if setting == "auto":
        return shared_peak(waves)
    return float(setting)


def to_peak(waves: torch.Tensor, peak: float | None) -> torch.Tensor:
    """(N, L) waves, each scaled so its loudest sample is at `peak` (None: unchanged; silent clips unchanged)."""
    if not peak:
        return waves
    loudest = waves.abs().amax(dim=1, keepdim=True)
    return torch.where(loudest >= SILENT, waves * (peak / loudest.clamp_min(SILENT)), waves)
