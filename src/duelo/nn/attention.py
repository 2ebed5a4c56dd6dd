"""Self-attention over the positions of a feature map (Zhang, Goodfellow, Metaxas & Odena 2019,
"Self-Attention Generative Adversarial Networks", section 3).

Every position attends to every other: queries and keys are 1x1 projections to C/8 channels, values a
1x1 projection to C/2 channels, the attention weights a softmax over the H*W key positions, and the
attended values are mapped back to C channels by a final 1x1 convolution (the C/8 and C/2 sizes follow
BigGAN's implementation of SAGAN). The result is added to the input scaled by a learned gamma that
starts at 0 (SAGAN eq. 3), so a freshly built block is the identity and the network first learns local
structure, then leans on the attention as gamma grows. Unlike BigGAN, keys and values are not
max-pooled: at the small resolutions this library targets the full H*W x H*W map is cheap.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError


class SelfAttention2d(nn.Module):
    """(N, C, H, W) -> (N, C, H, W): x + gamma * W_o(softmax(q^T k) applied to v). No batch mixing."""

    def __init__(self,
        channels: int,                      # C, >= 8 so that the C/8 query/key projections are not empty
    ):
        super().__init__()
        if not isinstance(channels, int) or isinstance(channels, bool) or channels < 8:
            raise ConfigError(f"SelfAttention2d: channels must be an integer >= 8 (got {channels!r}); "
                              "queries and keys have channels // 8 features")
        self.channels = channels
        self.query = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.key = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.value = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.out = nn.Conv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))             # SAGAN: initialised to 0

    def extra_repr(self) -> str:
        return f"channels={self.channels}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        query = self.query(x).flatten(2)                       # (N, C/8, HW)
        key = self.key(x).flatten(2)                           # (N, C/8, HW)
        value = self.value(x).flatten(2)                       # (N, C/2, HW)
        weights = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (N, HW queries, HW keys)
        attended = (value @ weights.transpose(1, 2)).view(n, c // 2, h, w)  # (N, C/2, H, W)
        return x + self.gamma * self.out(attended)
