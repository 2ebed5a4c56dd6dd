"""Minibatch standard deviation layer (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs
for Improved Quality, Stability, and Variation", section 3; grouped form of StyleGAN2, Karras et al. 2020).

A discriminator that sees one image at a time cannot tell a collapsed generator (every sample alike)
from a varied one. This layer gives it a batch statistic: for each group of samples it computes the
standard deviation of every feature over the group, averages those into one number per appended
channel, and concatenates that number to every sample of the group as a constant extra channel. A batch
of near-identical fakes then shows up as a value near zero, which D learns to reject.

Layout (as in StyleGAN2): the batch of N splits into m = N / g groups of g samples, group j holding the
samples j, j + m, j + 2m, ... The group size g is the largest divisor of N that is <= group_size, so
every batch size works and shapes stay static (N is read from .shape, a Python int at trace time).
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError

EPSILON = 1e-8  # added to the variance before the square root (ProGAN); identical samples give sqrt(1e-8)


def mbstd_group_size(batch: int, group_size: int) -> int:
    """The group size actually used for a batch of `batch`: the largest divisor of it <= group_size."""
    for size in range(min(group_size, batch), 0, -1):
        if batch % size == 0:
            return size
    return 1


class MinibatchStd(nn.Module):
    """(N, C, H, W) -> (N, C + num_channels, H, W), or (N, F) -> (N, F + num_channels).

    Appended channel k of sample i is mean over the k-th slice of the features of
    sqrt(Var_group(feature) + 1e-8), the variance taken over the group of sample i with divisor g
    (ProGAN section 3 / StyleGAN2 `MinibatchStdLayer`). No parameters, no buffers.
    """

    def __init__(self,
        group_size:   int = 4,              # samples per group (at most); 4 in ProGAN/StyleGAN2
        num_channels: int = 1,              # appended channels; the C features are split into this many
                                            # slices, each averaged into its own channel (StyleGAN2: 1)
    ):
        super().__init__()
        for field, value in (("group_size", group_size), ("num_channels", num_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"MinibatchStd: {field} must be an integer >= 1 (got {value!r})")
        self.group_size = group_size
        self.num_channels = num_channels

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() not in (2, 4):
            raise ValueError(f"MinibatchStd expects (N, C, H, W) or (N, F) input, got shape {tuple(x.shape)}")
        n, c = x.shape[0], x.shape[1]
        k = self.num_channels
        if c % k:
            raise ValueError(f"MinibatchStd: num_channels={k} must divide the {c} input channels")
        g = mbstd_group_size(n, self.group_size)
        m = n // g
        spatial = tuple(x.shape[2:])                                   # (H, W) or ()

        work = torch.promote_types(x.dtype, torch.float32)            # statistics in >= float32
        y = x.to(work).reshape(g, m, k, c // k, *spatial)             # sample a*m + j -> [a, j]
        y = y - y.mean(dim=0)                                         # deviation from the group mean
        y = (y.square().mean(dim=0) + EPSILON).sqrt()                 # (m, k, c/k, *spatial) std per feature
        y = y.flatten(2).mean(dim=2)                                  # (m, k) one value per slice
        y = y.unsqueeze(0).expand(g, m, k).reshape(n, k).to(x.dtype)  # back to sample order (N, k)
        if spatial:
            y = y.view(n, k, 1, 1).expand(n, k, *spatial)              # constant feature maps (N, k, H, W)
        return torch.cat([x, y], dim=1)
