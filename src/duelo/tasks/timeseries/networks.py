"""The convolutional baseline for windows of a multivariate series: G and D are stacks of dilated residual 1-D
convolutions (dilations 1, 2, 4, ..., as in WaveNet and TCNs), so one network handles any window length and
sees the whole of a 24-step window after four blocks (receptive field 1 + 2 * (2^blocks - 1) steps).

Generator: z = [a latent shared by every step (z_dim) ++ fresh noise at every step (step_noise x T)], as one
  vector per sample (the contract of duelo.models.base); the shared latent [++ class code] is broadcast over
  time and concatenated with the step noise -> conv1x1 -> residual blocks -> conv1x1 -> tanh: (N, T, C) in [-1, 1].
Discriminator: (N, T, C) -> conv1x1 -> residual blocks (leaky ReLU) -> mean over time -> linear -> one logit, plus
  the projection term <embed(y), h> (Miyato & Koyama 2018) when conditional.
Windows are (N, T, C) at the interface (time-major, as tables of rows); the convolutions run on (N, C, T).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.models.base import standard_latents
from duelo.nn.conditioning import ClassProjection, LabelEmbedding

SLOPE = 0.2


def blocks_to_cover(window: int) -> int:
    """The fewest blocks whose receptive field, 1 + 2 * (2^blocks - 1) steps, covers `window` steps."""
    blocks = 1
    while 1 + 2 * (2**blocks - 1) < window:
        blocks += 1
    return blocks


class Block(nn.Module):
    """x + conv3(act(conv3_dilated(act(x)))), both convolutions `width` wide, same length."""

    def __init__(self, width: int, dilation: int, act):
        super().__init__()
        self.act = act
        self.conv1 = nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(width, width, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(self.act(x))))


class SeriesGenerator(nn.Module):
    def __init__(self, window: int, channels: int, c_dim: int = 0, z_dim: int = 32, step_noise: int = 4,
                 width: int = 64, blocks: int = 4, embed_dim: int = 8):
        super().__init__()
        self.window, self.channels, self.c_dim = int(window), int(channels), int(c_dim)
        self.shared_dim, self.step_noise = int(z_dim), int(step_noise)
        self.z_dim = self.shared_dim + self.step_noise * self.window
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        inputs = self.shared_dim + self.step_noise + (embed_dim if c_dim > 0 else 0)
        self.read = nn.Conv1d(inputs, width, 1)
        self.blocks = nn.Sequential(*[Block(width, 2**i, nn.ReLU()) for i in range(blocks)])
        self.write = nn.Conv1d(width, channels, 1)

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        return standard_latents(self, n, generator, device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n, steps = z.shape[0], self.window
        shared = z[:, :self.shared_dim]                                              # (N, z_dim)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            shared = torch.cat([shared, self.embed(labels)], dim=1)
        noise = z[:, self.shared_dim:].reshape(n, self.step_noise, steps)            # (N, step_noise, T)
        x = torch.cat([shared.unsqueeze(2).expand(-1, -1, steps), noise], dim=1)     # (N, inputs, T)
        x = self.write(F.relu(self.blocks(self.read(x))))                            # (N, C, T)
        return torch.tanh(x).transpose(1, 2)                                         # (N, T, C)


class SeriesDiscriminator(nn.Module):
    def __init__(self, window: int, channels: int, c_dim: int = 0, width: int = 64, blocks: int = 4):
        super().__init__()
        self.window, self.channels, self.c_dim = int(window), int(channels), int(c_dim)
        act = nn.LeakyReLU(SLOPE)
        self.read = nn.Conv1d(channels, width, 1)
        self.blocks = nn.Sequential(*[Block(width, 2**i, act) for i in range(blocks)])
        self.act = act
        self.out = nn.Linear(width, 1)
        self.projection = ClassProjection(c_dim, width) if c_dim > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.act(self.blocks(self.read(x.transpose(1, 2)))).mean(dim=2)          # (N, width)
        logits = self.out(h).squeeze(1)                                              # (N,)
        if self.projection is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logits = logits + self.projection(h, labels)
        return logits


GENERATOR_ARGS = ("window", "channels", "c_dim", "z_dim", "step_noise", "width", "blocks", "embed_dim")
