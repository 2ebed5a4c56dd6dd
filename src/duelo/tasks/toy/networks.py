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
    """An MLP critic; with mbstd_group > 1 its last layer also sees the minibatch standard deviation of the
    hidden features over groups of that many samples (Karras et al. 2018), which makes collapse visible to D."""

    c_dim = 0

    def __init__(self, width: int, depth: int, mbstd_group: int = 0):
        super().__init__()
        self.mbstd_group = int(mbstd_group)
        extra = 1 if self.mbstd_group > 1 else 0
        self.body = _mlp(2, width, depth - 1, width)                 # the first depth hidden layers, pre-ReLU
        self.act = nn.ReLU()
        self.out = nn.Linear(width + extra, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.act(self.body(x))                                   # (N, width)
        if self.mbstd_group > 1:
            n, group = h.shape[0], min(self.mbstd_group, h.shape[0])
            if n % group:
                raise ValueError(f"minibatch std: batch {n} is not a multiple of the group size {group}")
            std = h.reshape(group, n // group, -1).var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=1)
            h = torch.cat([h, std.repeat(group).unsqueeze(1)], dim=1)   # (N, width + 1)
        return self.out(h).squeeze(1)                                # (N,)
