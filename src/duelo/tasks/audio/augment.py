"""What the audio discriminator sees: every clip, real or generated, in every phase, delayed and made louder or
softer with probability p (`audio.augment`), the audio counterpart of DiffAugment's translation and brightness
(Zhao et al. 2020): with a thousand notes D memorises the training clips within minutes (an auxiliary classifier
names them perfectly while G's clips fool it and no other judge); moved and rescaled copies are harder to
memorise. Neither changes what a clip is (its instrument, pitch, kind or word), so conditional models can use
it; fakes go through the same draws' distribution and G is trained through it (the ops are differentiable).

Both work on the model's own samples, the last axis being time:
    delay   every channel moved later by 0 .. `MAX_DELAY` of the length, the start filled with silence
            (the value each channel takes on a silent clip: 0 for a wave, -1 for log magnitude, 0 for
            instantaneous frequency) — the notes start at the clip's start, so a delay keeps their attack
    gain    +-`max_gain_db` (`audio.augment_gain_db`, default `MAX_GAIN_DB`; 0 = delay alone): a wave
            multiplied, a log magnitude shifted (its [-1, 1] scale spans LOG_FLOOR .. LOG_CEIL) above its floor and
            floored there, instantaneous frequency unchanged
    cutout  (`audio.augment_cutout`, a fraction r of each side; 0 = off, DiffAugment's 1/2) a rectangle of r of the
            frequencies by r of the frames, centred on a random cell and clipped at the edges, set to silence; on a
            wave, a span of r of the samples. DiffAugment's cutout, the op that helped most on its smallest sets
            (Zhao et al. 2020, table 6); what is left of a cut clip still says what the clip is.
"""

from __future__ import annotations

import math

import torch

from duelo.augment.base import Augment, integers, uniform
from duelo.augment.diffaugment import cutout_box

Tensor = torch.Tensor
MAX_DELAY = 0.125
MAX_GAIN_DB = 6.0


class ClipAugment(Augment):
    def __init__(self, p: float, silence: tuple[float, ...], log_gain_scale: tuple[float, ...],
                 max_gain_db: float = MAX_GAIN_DB, cutout: float = 0.0):
        """p: probability of each op per clip; silence: per channel, the value of a silent clip; log_gain_scale:
        per channel, 0 for a channel multiplied by the gain (a wave), else how much one unit of natural log gain
        moves that channel (a log magnitude), NaN for a channel the gain leaves alone; cutout: the side of the cut
        rectangle as a fraction of each axis (0 = no cutout: no random numbers are drawn for it)."""
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"augmentation probability {p} is outside [0, 1]")
        if not 0.0 <= max_gain_db <= 40.0:
            raise ValueError(f"augmentation gain {max_gain_db} dB is outside [0, 40]")
        if not 0.0 <= cutout < 1.0:
            raise ValueError(f"cutout fraction {cutout} is outside [0, 1)")
        self.max_gain_db = float(max_gain_db)
        self.cutout = float(cutout)
        self.p = float(p)
        self.register_buffer("silence", torch.tensor(silence, dtype=torch.float32).view(1, -1, 1), persistent=False)
        self.scales = tuple(float(s) for s in log_gain_scale)

    def forward(self, x: Tensor, generator: torch.Generator) -> Tensor:
        if self.p <= 0:
            return x
        n, channels, length = x.shape[0], x.shape[1], x.shape[-1]
        flat = x.reshape(n, channels, -1, length)                               # (N, C, rows, T)
        silence = self.silence.to(x.dtype).view(1, channels, 1, 1)
        # delay: sample t of the output is sample t - d of the input, silence before d
        on = uniform((n,), 0.0, 1.0, x, generator) < self.p
        delay = integers((n,), 0, int(MAX_DELAY * length) + 1, x, generator) * on          # (N,)
        source = torch.arange(length, device=x.device).view(1, length) - delay.view(n, 1)   # (N, T)
        index = source.clamp_min(0).view(n, 1, 1, length).expand_as(flat)
        moved = torch.where((source >= 0).view(n, 1, 1, length), flat.gather(3, index), silence)
        # gain
        on = uniform((n,), 0.0, 1.0, x, generator) < self.p
        log_gain = uniform((n,), -1.0, 1.0, x, generator) * (self.max_gain_db / 20 * math.log(10)) * on   # (N,)
        out = []
        for c, scale in enumerate(self.scales):
            channel = moved[:, c]
            if math.isnan(scale):
                out.append(channel)
            elif scale == 0:
                out.append(channel * log_gain.exp().view(n, 1, 1))
            else:   # as re-encoding the rescaled wave would: silence (the floor) stays, the rest moves, floored
                floor = self.silence[0, c].to(x.dtype)
                out.append(torch.where(channel > floor, (channel + scale * log_gain.view(n, 1, 1)).clamp_min(floor),
                                       channel))
        out = torch.stack(out, dim=1)
        if self.cutout > 0:
            out = self._cut(out, silence, generator)
        return out.reshape(x.shape)

    def _cut(self, flat: Tensor, silence: Tensor, generator: torch.Generator) -> Tensor:
        """(N, C, rows, T) with one rectangle per chosen clip set to silence (a wave's single row: a span)."""
        on = uniform((len(flat),), 0.0, 1.0, flat, generator) < self.p
        inside = cutout_box(flat, generator, self.cutout, min_side=1) & on.view(-1, 1, 1)
        return torch.where(inside.unsqueeze(1), silence, flat)
