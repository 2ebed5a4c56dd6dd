"""The convolutional baseline for windows of a multivariate series: G and D are stacks of dilated residual 1-D
convolutions (dilations 1, 2, 4, ..., as in WaveNet and TCNs), so one network handles any window length and
sees the whole of a 24-step window after four blocks (receptive field 1 + 2 * (2^blocks - 1) steps).

Generator: z = [a latent shared by every step (z_dim) ++ fresh noise at every step (step_noise x T)], as one
  vector per sample (the contract of duelo.models.base); the shared latent [++ class code] is broadcast over
  time and concatenated with the step noise and `positions` pairs of fixed position features (sin and cos of
  pi * k * t for t in [0, 1], k = 1..positions) -> conv1x1 -> residual blocks -> conv1x1 -> tanh: (N, T, C) in
  [-1, 1]. Without the position features the only clock G has is the zero padding at the window's edges and the
  step noise: sines came out smooth in shape but jittery step to step (second differences 10-20x the real ones).
Discriminator: (N, T, C) -> conv1x1 -> residual blocks (leaky ReLU) -> mean and max over time -> linear -> one
  logit, plus the projection term <embed(y), h> (Miyato & Koyama 2018) when conditional. The max matters: with the
  mean alone D averaged a local flaw away (a sines G drew windows 20x rougher than the real ones, which a post-hoc
  classifier told apart every time, while D trained on the same two sets reached 61-71 %; with mean and max, 96-100 %).
Windows are (N, T, C) at the interface (time-major, as tables of rows); the convolutions run on (N, C, T).
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.models.base import standard_latents
from duelo.nn.conditioning import ClassProjection, LabelEmbedding

SLOPE = 0.2
ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU}          # G's: SiLU is smooth, ReLU draws kinks
POOLINGS = ("mean", "mean+max")                            # D's, over time


def blocks_to_cover(window: int) -> int:
    """The fewest blocks whose receptive field, 1 + 2 * (2^blocks - 1) steps, covers `window` steps."""
    blocks = 1
    while 1 + 2 * (2**blocks - 1) < window:
        blocks += 1
    return blocks


def position_features(window: int, positions: int) -> torch.Tensor:
    """(2 * positions, window): sin and cos of pi * k * t, t = 0..1 over the window, k = 1..positions."""
    t = torch.linspace(0.0, 1.0, window)
    k = torch.arange(1, positions + 1, dtype=torch.float32)[:, None]
    return torch.cat([torch.sin(torch.pi * k * t), torch.cos(torch.pi * k * t)])


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
                 width: int = 64, blocks: int = 4, embed_dim: int = 8, positions: int = 0,
                 activation: str = "relu"):
        super().__init__()                       # positions=0: folders saved before position features load as they were
        self.window, self.channels, self.c_dim = int(window), int(channels), int(c_dim)
        self.shared_dim, self.step_noise = int(z_dim), int(step_noise)
        self.z_dim = self.shared_dim + self.step_noise * self.window
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        self.register_buffer("clock", position_features(self.window, int(positions)), persistent=False)
        inputs = self.shared_dim + self.step_noise + len(self.clock) + (embed_dim if c_dim > 0 else 0)
        self.read = nn.Conv1d(inputs, width, 1)
        self.blocks = nn.Sequential(*[Block(width, 2**i, ACTIVATIONS[activation]()) for i in range(blocks)])
        self.last = ACTIVATIONS[activation]()
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
        clock = self.clock.unsqueeze(0).expand(n, -1, -1)                             # (N, 2 positions, T)
        x = torch.cat([shared.unsqueeze(2).expand(-1, -1, steps), noise, clock], dim=1)   # (N, inputs, T)
        x = self.write(self.last(self.blocks(self.read(x))))                            # (N, C, T)
        return torch.tanh(x).transpose(1, 2)                                         # (N, T, C)


class SeriesDiscriminator(nn.Module):
    def __init__(self, window: int, channels: int, c_dim: int = 0, width: int = 64, blocks: int = 4,
                 pooling: str = "mean+max"):
        super().__init__()
        self.window, self.channels, self.c_dim = int(window), int(channels), int(c_dim)
        act = nn.LeakyReLU(SLOPE)
        self.read = nn.Conv1d(channels, width, 1)
        self.blocks = nn.Sequential(*[Block(width, 2**i, act) for i in range(blocks)])
        self.act = act
        self.pooling = pooling
        features = width * len(pooling.split("+"))
        self.out = nn.Linear(features, 1)
        self.projection = ClassProjection(c_dim, features) if c_dim > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.act(self.blocks(self.read(x.transpose(1, 2))))                      # (N, width, T)
        pooled = [h.mean(dim=2)] + ([h.amax(dim=2)] if self.pooling == "mean+max" else [])
        h = torch.cat(pooled, dim=1)                                                 # (N, features)
        logits = self.out(h).squeeze(1)                                              # (N,)
        if self.projection is not None:
            if labels is None:
                raise ValueError("this discriminator is class-conditional: pass labels")
            logits = logits + self.projection(h, labels)
        return logits


