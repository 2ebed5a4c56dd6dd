"""Spectral views of clips, in torch (CPU or GPU; no torchaudio):

* the SpecGAN / GANSynth representation (Engel et al., ICLR 2019, "GANSynth"): a short-time Fourier transform
  (N_FFT, HOP, Hann window) of which the generator draws two channels, the log magnitude and the instantaneous
  frequency (the phase's advance from frame to frame, wrapped to (-pi, pi]), both scaled to [-1, 1]; drawing the
  phase's derivative rather than the phase keeps a steady tone a steady picture. `spec_encode` / `spec_decode`
  go between waves (N, L) and these pictures (N, 2, N_FFT / 2, L / HOP) (the Nyquist bin and the last frame are
  dropped, and put back as zeros); decoding integrates the instantaneous frequency back to a phase. A format with
  `mel` draws the same pictures with their rows spaced evenly on the mel scale instead (GANSynth's "IF-Mel"):
  the low harmonics, which set a note's pitch and much of its timbre, get several rows per bin, the high
  frequencies share rows, and a note moved up an interval moves its harmonic stack by about one distance.
* a log-mel spectrogram (MELS triangular bands on the mel scale over MEL_FFT-point frames), the input of the
  scoring classifier, and the picture `spectrogram_images` draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

N_FFT, HOP = 512, 128
MEL_FFT, MELS = 1024, 96                                   # finer bins for the classifier's pitch
FULL_SCALE_BAND = 6e4                                      # log_mel's power in the band of a full-scale tone
LOG_FLOOR, LOG_CEIL = math.log(1e-5), math.log(256.0)      # the log magnitudes mapped to [-1, 1]
LOG_GAIN_SCALE = 2 / (LOG_CEIL - LOG_FLOOR)                  # one unit of natural-log gain in that mapping


def _stft(waves: torch.Tensor, n_fft: int = N_FFT, hop: int = HOP) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=waves.device)
    return torch.stft(waves.float(), n_fft, hop, window=window, center=True, return_complex=True)


MEL_BREAK_HZ, MEL_RATE = 700.0, 16_000           # the mel curve's knee, placed on the bins as at the named sets' rate


@lru_cache(maxsize=8)
def mel_rows(bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The warp between `bins` linear frequency bins and as many rows evenly spaced on the mel scale (log(1 + f /
    700 Hz), placed as at MEL_RATE; clips of another rate keep the same curve over their bins): to_rows (rows,
    bins) averages the bins each row's band overlaps (a row narrower than a bin copies it); to_bins (bins, rows)
    takes each bin back from the rows that lie wholly inside it where there are any (exact there), else from the
    rows overlapping it, by their overlap. Both rows sum to 1, so a flat picture stays flat."""
    knee = MEL_BREAK_HZ / (MEL_RATE / 2 / bins)                       # in bins
    top = math.log1p(bins / knee)
    edges = knee * torch.expm1(torch.linspace(0.0, top, bins + 1, dtype=torch.float64))
    edges[-1] = bins
    low, high = edges[:-1, None], edges[1:, None]                      # row m covers [low, high) in bin units
    k = torch.arange(bins, dtype=torch.float64)[None]                  # bin k covers [k, k + 1)
    overlap = (torch.minimum(high, k + 1) - torch.maximum(low, k)).clamp_min(0.0)
    to_rows = overlap / overlap.sum(1, keepdim=True)
    inside = ((low >= k - 1e-9) & (high <= k + 1 + 1e-9)).double()
    back = overlap * (inside + 1e-6)
    to_bins = (back / back.sum(0, keepdim=True)).T
    return to_rows.float(), to_bins.float()


def _warp(pictures: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """(N, C, F, T) with its frequency axis mapped by `matrix` (F', F) -> (N, C, F', T)."""
    return torch.einsum("rf,ncft->ncrt", matrix.to(pictures.device), pictures)


@dataclass(frozen=True)
class SpecFormat:
    """One short-time Fourier transform (n_fft-point Hann window, hop) and its pictures. Magnitudes are scaled by
    N_FFT / n_fft, so a steady tone has the same log magnitude in every format and one [-1, 1] mapping fits all.
    mel: the pictures' rows are spaced evenly on the mel scale (mel_rows), as many as the bins."""

    n_fft: int = N_FFT
    hop: int = HOP
    mel: bool = False

    def shape(self, length: int) -> tuple[int, int, int]:
        return 2, self.n_fft // 2, length // self.hop

    def encode(self, waves: torch.Tensor) -> torch.Tensor:
        """(N, L) in [-1, 1] -> (N, 2, n_fft / 2, L / hop) log magnitude and instantaneous frequency in [-1, 1]."""
        frames = waves.shape[1] // self.hop
        spec = _stft(waves, self.n_fft, self.hop)[:, :self.n_fft // 2, :frames] * (N_FFT / self.n_fft)
        magnitude = spec.abs().clamp_min(math.exp(LOG_FLOOR)).log().clamp(max=LOG_CEIL)
        magnitude = 2 * (magnitude - LOG_FLOOR) / (LOG_CEIL - LOG_FLOOR) - 1
        phase = spec.angle()
        advance = torch.diff(phase, dim=2, prepend=torch.zeros_like(phase[:, :, :1]))
        advance = torch.remainder(advance + math.pi, 2 * math.pi) - math.pi
        pictures = torch.stack([magnitude, advance / math.pi], dim=1)
        return _warp(pictures, mel_rows(self.n_fft // 2)[0]).clamp(-1, 1) if self.mel else pictures

    def decode(self, pictures: torch.Tensor, length: int, refine: int = 0) -> torch.Tensor:
        """The inverse of encode (up to the dropped bin and frame): (N, 2, F, T) -> (N, length) waves. refine > 0:
        that many Griffin-Lim rounds (Griffin & Lim 1984) from the drawn phase, each keeping the drawn magnitude
        and taking the phase of the transform of the wave so far, so that overlapping frames agree."""
        pictures = pictures.float().clamp(-1, 1)
        if self.mel:
            pictures = _warp(pictures, mel_rows(self.n_fft // 2)[1])
        magnitude = ((pictures[:, 0] + 1) / 2 * (LOG_CEIL - LOG_FLOOR) + LOG_FLOOR).exp() * (self.n_fft / N_FFT)
        magnitude = torch.where(pictures[:, 0] <= -1 + 1e-4, torch.zeros_like(magnitude), magnitude)
        phase = torch.cumsum(pictures[:, 1] * math.pi, dim=2)
        frames = length // self.hop + 1
        magnitude = torch.nn.functional.pad(magnitude, (0, frames - magnitude.shape[2], 0, 1))  # Nyquist, last frame
        phase = torch.nn.functional.pad(phase, (0, frames - phase.shape[2], 0, 1))
        window = torch.hann_window(self.n_fft, device=pictures.device)

        def wave(phase: torch.Tensor) -> torch.Tensor:
            return torch.istft(torch.polar(magnitude, phase), self.n_fft, self.hop, window=window, center=True,
                               length=length)

        for _ in range(refine):
            phase = torch.stft(wave(phase), self.n_fft, self.hop, window=window, center=True,
                               return_complex=True)[:, :, :frames].angle()
        return wave(phase).clamp(-1, 1)


SPECGAN = SpecFormat()                          # SpecGAN's 512-point transform: 31 Hz bins, 8 ms hops
HIGH_RESOLUTION = SpecFormat(2048, 512)         # GANSynth's "+H": 7.8 Hz bins (a semitone at C3), 32 ms hops
MID_RESOLUTION = SpecFormat(1024, 256)          # between the two: 15.6 Hz bins, 16 ms hops
MID_MEL = SpecFormat(1024, 256, mel=True)        # its 512 bins as 512 mel rows: 3.4 Hz apart at 0, 42 Hz at 8 kHz
spec_shape, spec_encode, spec_decode = SPECGAN.shape, SPECGAN.encode, SPECGAN.decode


def mel_filters(rate: int, device=None) -> torch.Tensor:
    """(MELS, MEL_FFT / 2 + 1) triangular filters evenly spaced on the mel scale from 0 Hz to rate / 2."""
    def to_mel(hz):
        return 2595.0 * torch.log10(1.0 + hz / 700.0)

    def to_hz(mel):
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    edges = to_hz(torch.linspace(0.0, float(to_mel(torch.tensor(rate / 2.0))), MELS + 2))
    bins = torch.linspace(0.0, rate / 2.0, MEL_FFT // 2 + 1)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None] - low) / (centre - low)
    falling = (high - bins[None]) / (high - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).to(device)


def log_mel(waves: torch.Tensor, rate: int, floor: float = 1e-6) -> torch.Tensor:
    """(N, L) -> (N, MELS, L / HOP + 1) log mel power (MEL_FFT-point frames), from log(floor) up to about 11 (a
    full-scale tone's band holds about FULL_SCALE_BAND)."""
    power = _stft(waves, MEL_FFT).abs().pow(2)
    return (mel_filters(rate, waves.device) @ power).clamp_min(floor).log()


def spectrogram_images(waves: torch.Tensor, rate: int) -> torch.Tensor:
    """(N, L) -> uint8 (N, 3, MELS, frames) pictures, low frequencies at the bottom, louder brighter (a
    dark-blue-to-yellow scale)."""
    mel = log_mel(waves, rate).flip(1)
    level = ((mel + 9.0) / 18.0).clamp(0, 1)                                         # -9 .. 9 -> 0 .. 1
    colour = torch.stack([level.pow(0.7), level.pow(1.4), (1 - level) * 0.5 + level.pow(3) * 0.2], dim=1)
    return (colour * 255).round().to(torch.uint8)
