"""Two small MLPs on 2-D points (the set-up of Metz et al. 2017 and VEEGAN, at width 128), with the generator
and discriminator contract of duelo.models.base (c_dim, sample_latents, one logit per sample)."""

from __future__ import annotations

import torch
from torch import nn


def _mlp(inputs: int, width: int, depth: int, outputs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(inputs, width), nn.ReLU()]
        inputs = width
    return nn.Sequential(*layers, nn.Linear(inputs, outputs))


class PointGenerator(nn.Module):
    c_dim = 0

    def __init__(self, z_dim: int, width: int, depth: int):
        super().__init__()
        self.z_dim = z_dim
        self.net = _mlp(z_dim, width, depth, 2)

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = generator.device if generator is not None else next(self.parameters()).device
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)                                           # (N, 2)


class PointDiscriminator(nn.Module):
    c_dim = 0

    def __init__(self, width: int, depth: int):
        super().__init__()
        self.net = _mlp(2, width, depth, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)                                # (N,)
