"""The music networks, written from MuseGAN (Dong et al., AAAI 2018), its hybrid model for multi-track piano
rolls: every track (voice) is drawn bar by bar from four latents,

    z_inter       shared by all tracks, the same in every bar      (the piece's character)
    z_intra[i]    track i's own, the same in every bar              (the voice's style)
    t_inter[b]    shared by all tracks, bar b's                     (the harmony's course: a temporal network
                                                                     maps one latent to one code per bar)
    t_intra[i,b]  track i's, bar b's                                 (its line's course, idem)

and a bar generator (shared by the tracks, told the track by an embedding) turns them into a bar of the roll:
transposed convolutions doubling time and pitch from 4x7 to 16x56, tanh. The discriminator reads the whole roll
(voices as channels) with strided convolutions, with a projection term for the condition (mode).

MusicGenerator: z (N, 10 * z_dim) -> rolls (N, tracks, bars * 16, pitches) in (-1, 1).
MusicDiscriminator: rolls -> (N,) logits.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.nn.conditioning import ClassProjection, LabelEmbedding

SLOPE = 0.2
TRACK_EMBED = 8


class MusicGenerator(nn.Module):
    def __init__(self, tracks: int = 4, bars: int = 4, pitches: int = 56, z_dim: int = 32, width: int = 128,
                 c_dim: int = 0, embed_dim: int = 8):
        super().__init__()
        if pitches % 8:
            raise ValueError(f"pitches {pitches}: the bar generator doubles pitch three times; give a multiple of 8")
        self.tracks, self.bars, self.pitches, self.c_dim = int(tracks), int(bars), int(pitches), int(c_dim)
        self.component = int(z_dim)
        self.z_dim = (2 + 2 * self.tracks) * self.component
        self.temporal_inter = nn.Sequential(nn.Linear(z_dim, bars * z_dim), nn.LeakyReLU(SLOPE))
        self.temporal_intra = nn.Sequential(nn.Linear(z_dim, bars * z_dim), nn.LeakyReLU(SLOPE))
        self.track = nn.Embedding(self.tracks, TRACK_EMBED)
        self.label = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        inputs = 4 * z_dim + TRACK_EMBED + (embed_dim if c_dim > 0 else 0)
        self.width = int(width)
        self.start = nn.Sequential(nn.Linear(inputs, width * 4 * (pitches // 8)), nn.LeakyReLU(SLOPE))
        self.body = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, 2, 1), nn.LeakyReLU(SLOPE),          # 4 x p/8 -> 8 x p/4
            nn.ConvTranspose2d(width // 2, width // 4, 4, 2, 1), nn.LeakyReLU(SLOPE),     # -> 16 x p/2
            nn.ConvTranspose2d(width // 4, 1, (3, 4), (1, 2), (1, 1)), nn.Tanh())          # -> 16 x p

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        device = device or (generator.device if generator is not None else self.track.weight.device)
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n, d, T, B = z.shape[0], self.component, self.tracks, self.bars
        inter, intra, inter_t, intra_t = torch.split(z, [d, T * d, d, T * d], dim=1)
        codes = [inter[:, None, None].expand(n, T, B, d),                                      # (N, T, B, d)
                 intra.view(n, T, 1, d).expand(n, T, B, d),
                 self.temporal_inter(inter_t).view(n, 1, B, d).expand(n, T, B, d),
                 self.temporal_intra(intra_t.reshape(n * T, d)).view(n, T, B, d),
                 self.track.weight[None, :, None].expand(n, T, B, TRACK_EMBED)]
        if self.label is not None:
            if labels is None:
                raise ValueError("this generator is conditional: pass labels")
            code = self.label(labels)
            codes.append(code[:, None, None].expand(n, T, B, code.shape[1]))
        h = self.start(torch.cat(codes, dim=3).reshape(n * T * B, -1))
        bars = self.body(h.view(n * T * B, self.width, 4, self.pitches // 8))                # (N*T*B, 1, 16, P)
        return bars.view(n, T, B * 16, self.pitches)


class MusicDiscriminator(nn.Module):
    def __init__(self, tracks: int = 4, steps: int = 64, pitches: int = 56, width: int = 64, c_dim: int = 0):
        super().__init__()
        self.c_dim = int(c_dim)
        self.body = nn.Sequential(
            nn.Conv2d(tracks, width, (4, 4), (2, 2), (1, 1)), nn.LeakyReLU(SLOPE),         # bars' halves
            nn.Conv2d(width, 2 * width, (4, 4), (2, 2), (1, 1)), nn.LeakyReLU(SLOPE),
            nn.Conv2d(2 * width, 4 * width, (4, 4), (2, 2), (1, 1)), nn.LeakyReLU(SLOPE),
            nn.Conv2d(4 * width, 4 * width, (4, 3), (4, 1), (0, 1)), nn.LeakyReLU(SLOPE))   # a beat per step
        features = 4 * width
        self.out = nn.Linear(features, 1)
        self.projection = ClassProjection(c_dim, features) if c_dim > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.body(x).mean(dim=(2, 3))                                                   # (N, 4 width)
        logits = self.out(h)[:, 0]
        if self.projection is not None:
            logits = logits + self.projection(h, labels)
        return logits
