"""A note's partials in the probes of benchmarks/audio_envelope_probe.py (issue 20): where each partial's harmonic
lobe lies in an N_FFT-point STFT, moving the partials' levels or the cells between them from one clip to another,
reading each partial's level, fall and course, and how a spectral picture's loud cells step from frame to frame."""

from __future__ import annotations

import math

import numpy as np
import torch

MAX_GAIN_DB = 40.0                       # the largest gain a transform applies either way
N_FFT = 1024
PARTIALS = 8
LOBE_BINS, LOBE_SHARE = 2.0, 0.015       # a partial's lobe: a Hann window's main lobe, widened for inharmonicity
LOBE_CAP = 0.25                          # ... by at most this share of f0, so the middle of each gap stays between
COURSE_S = (0.03, 0.1, 0.2, 0.4, 0.7, 0.9)   # when partial_courses reads each partial's level


def stft(waves: torch.Tensor) -> torch.Tensor:
    """(N, L) -> (N, N_FFT / 2 + 1, frames) complex, hop N_FFT / 4, Hann window, in float64."""
    return torch.stft(waves.double(), N_FFT, N_FFT // 4, window=torch.hann_window(N_FFT, dtype=torch.float64),
                      return_complex=True)


def istft(spec: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The inverse of stft, as long and of the dtype of `like`."""
    return torch.istft(spec, N_FFT, N_FFT // 4, window=torch.hann_window(N_FFT, dtype=torch.float64),
                       length=like.shape[1]).to(like.dtype)


def hz(midi: int) -> float:
    """A MIDI pitch's fundamental frequency (A4 = 69 = 440 Hz, equal temperament)."""
    return 440.0 * 2 ** ((midi - 69) / 12)


def partial_index(midis: list[int], bins: int, rate: int) -> torch.Tensor:
    """(N, bins) the partial k (1, 2, ...) whose harmonic lobe each bin lies in (LOBE_BINS, LOBE_SHARE, LOBE_CAP),
    0 between the lobes, up to the Nyquist."""
    width = rate / 2 / (bins - 1)                                            # Hz per bin
    centre = torch.arange(bins, dtype=torch.float64) * width
    index = torch.zeros(len(midis), bins, dtype=torch.long)
    for row, midi in enumerate(midis):
        f0 = hz(midi)
        k = torch.round(centre / f0).clamp_min(1)
        inside = (centre - k * f0).abs() <= LOBE_BINS * width + (LOBE_SHARE * k).clamp(max=LOBE_CAP) * f0
        index[row] = torch.where(inside, k.long(), 0)
    return index


def lobes(midis: list[int], bins: int, rate: int) -> torch.Tensor:
    """(N, bins, 1) True in the bins of each note's harmonic lobes (partial_index)."""
    return (partial_index(midis, bins, rate) > 0)[:, :, None]


def partial_envelopes(source: torch.Tensor, target: torch.Tensor, midis: list[int], rate: int,
                      over_time: bool = True, seconds: tuple[float, float] | None = None) -> torch.Tensor:
    """Each `source` clip with every partial's level over time taken from the `target` clip of the same row: in
    each frame, the bins of partial k's lobe (partial_index) scaled by the root of the target's and the source's
    energy ratio there (at most MAX_GAIN_DB either way). The source keeps its partials' frequencies and fine
    structure and everything between them; the target gives each partial's rise and decay. over_time False: one
    gain per partial from the energies summed over the whole clip (the partials' balance, the source's shapes).
    seconds (start, stop): only the frames whose centres lie in that span are moved."""
    mine, theirs = stft(source), stft(target)
    index = partial_index(midis, mine.shape[1], rate)
    limit = 10 ** (MAX_GAIN_DB / 20)
    centres = torch.arange(mine.shape[2]) * (N_FFT // 4) / rate
    moved = torch.ones_like(centres, dtype=torch.bool) if seconds is None else (
        (centres >= seconds[0]) & (centres < seconds[1]))
    out = mine.clone()
    for row in range(len(source)):
        for k in index[row].unique().tolist():
            if k == 0:
                continue
            bins = index[row] == k
            axes = 0 if over_time else (0, 1)
            ratio = theirs[row, bins].abs().pow(2).sum(axes) / mine[row, bins].abs().pow(2).sum(axes).clamp_min(1e-20)
            gain = ratio.sqrt().clamp(1 / limit, limit)
            out[row, bins] = mine[row, bins] * torch.where(moved, gain, torch.ones_like(gain))
    return istft(out, source)


def smoothed(pictures: torch.Tensor) -> torch.Tensor:
    """Spectral pictures with the log magnitude smoothed along time by (1, 2, 1) / 4, which takes out a pattern that
    alternates from frame to frame."""
    out = pictures.clone()
    padded = torch.nn.functional.pad(pictures[:, :1], (1, 1, 0, 0), mode="replicate")
    out[:, 0] = (0.25 * padded[..., :-2] + 0.5 * padded[..., 1:-1] + 0.25 * padded[..., 2:])[:, 0]
    return out


def flicker(pictures: torch.Tensor) -> dict:
    """How the loud cells of spectral pictures (within 30 dB of each one's loudest, 0.1-0.7 of the way through)
    move from frame to frame: the median step (dB), the share of steps that turn back, and the median difference
    of each row's even and odd frames (dB) -- a stride-2 layer's checkerboard along time shows in the last two."""
    from duelo.tasks.audio.spectral import LOG_GAIN_SCALE

    unit = 20 / math.log(10) / LOG_GAIN_SCALE                                   # dB per unit of the picture
    frames = pictures.shape[3]
    span = pictures[:, 0, :, round(0.1 * frames):round(0.7 * frames)]
    loud = span > span.flatten(1).amax(1).view(-1, 1, 1) - 30 / unit
    steps = span.diff(dim=2)
    both = loud[:, :, 1:] & loud[:, :, :-1]
    turns = (steps[:, :, 1:] * steps[:, :, :-1] < 0)[both[:, :, 1:] & both[:, :, :-1]]
    pairs = span.shape[2] // 2 * 2
    even_odd = (span[:, :, 0:pairs:2] - span[:, :, 1:pairs:2]).mean(2)[loud.any(2)]
    return {"step_db": round(float(steps.abs()[both].median()) * unit, 2),
            "turning_share": round(float(turns.double().mean()), 3),
            "even_odd_db": round(float(even_odd.abs().median()) * unit, 2)}


def exchanged(partials_from: torch.Tensor, between_from: torch.Tensor, midis: list[int], rate: int) -> torch.Tensor:
    """Each clip of `partials_from` keeping its harmonic lobes (lobes()) and taking the rest of its N_FFT-point STFT,
    magnitude and phase, from the clip of the same row of `between_from` (the same instrument and pitch)."""
    mine, theirs = stft(partials_from), stft(between_from)
    return istft(torch.where(lobes(midis, mine.shape[1], rate), mine, theirs), partials_from)


def _spectrum(wave: np.ndarray, rate: int, start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
    """The power spectrum (Hann window) of seconds start .. stop of a wave, and its frequencies."""
    part = wave[int(start * rate):int(stop * rate)]
    return np.abs(np.fft.rfft(part * np.hanning(len(part)))) ** 2, np.fft.rfftfreq(len(part), 1 / rate)


def _peaks_db(power: np.ndarray, freq: np.ndarray, f0: float) -> list[float]:
    """Partials 1..PARTIALS: the peak power within 3 % of k * f0, in dB."""
    return [10 * np.log10(power[(freq > f0 * k * 0.97) & (freq < f0 * k * 1.03)].max() + 1e-20)
            for k in range(1, PARTIALS + 1)]


def partial_decays(wave: np.ndarray, midi: int, rate: int) -> list[float]:
    """How fast each of a note's partials 1..PARTIALS falls while the note is held: its peak level in 0.1-0.3 s
    less that in 0.5-0.7 s, in dB per second (positive: it dies away)."""
    early, late = (_peaks_db(*_spectrum(wave, rate, start, start + 0.2), hz(midi)) for start in (0.1, 0.5))
    return [(a - b) / 0.4 for a, b in zip(early, late)]


def partials(wave: np.ndarray, midi: int, rate: int) -> tuple[list[float], list[float]]:
    """One note's partials 1..PARTIALS (the peak within 3 % of k * f0) and the level between each pair (the median
    over k + 0.3 .. k + 0.7 times f0), in dB against its strongest partial, from the held part (0.1-0.7 s)."""
    power, freq = _spectrum(wave, rate, 0.1, 0.7)
    f0 = hz(midi)
    peaks = _peaks_db(power, freq, f0)
    between = [10 * np.log10(np.median(power[(freq > f0 * (k + 0.3)) & (freq < f0 * (k + 0.7))]) + 1e-20)
               for k in range(1, PARTIALS)]
    top = max(peaks)
    return [p - top for p in peaks], [b - top for b in between]


def partial_courses(waves: torch.Tensor, midis: list[int], rate: int) -> np.ndarray:
    """(N, PARTIALS, len(COURSE_S)) each note's partials' levels at the COURSE_S seconds, in dB under that partial's
    own loudest frame: the energy of its harmonic lobe (partial_index) in the frame nearest each time."""
    spec = stft(waves)
    index = partial_index(midis, spec.shape[1], rate)
    at = [min(spec.shape[2] - 1, round(t * rate / (N_FFT // 4))) for t in COURSE_S]
    out = np.full((len(waves), PARTIALS, len(COURSE_S)), np.nan)
    for row in range(len(waves)):
        for k in range(1, PARTIALS + 1):
            bins = index[row] == k
            if bins.any():
                level = 10 * torch.log10(spec[row, bins].abs().pow(2).sum(0) + 1e-20)
                out[row, k - 1] = (level[at] - level.max()).numpy()
    return out


def partial_profile(waves: torch.Tensor, midis: list[int], rate: int) -> dict:
    """The median over a set's notes of partials(), partial_decays() and partial_courses()."""
    waves = waves.double().numpy()
    rows = [partials(w, m, rate) for w, m in zip(waves, midis)]
    decays = [partial_decays(w, m, rate) for w, m in zip(waves, midis)]
    courses = np.nanmedian(partial_courses(torch.from_numpy(waves), midis, rate), axis=0)
    return {"course_s": list(COURSE_S), "course_db": [[round(float(v), 1) for v in row] for row in courses],
            "decay_db_per_s": [round(float(v), 1) for v in np.median(decays, axis=0)],
            "partials_db": [round(float(v), 1) for v in np.median([r[0] for r in rows], axis=0)],
            "between_db": [round(float(v), 1) for v in np.median([r[1] for r in rows], axis=0)]}
