"""The layers a spectral G doubles its picture with (`audio.upsample`, UPSAMPLERS) and a spectral D halves it with
(`audio.downsample`, DOWNSAMPLERS).

* transposed / strided: SpecGAN's 4 x 4 (transposed) convolutions of stride 2.
* nearest: repeat each pixel, then a 3 x 3 convolution, as GANSynth's and ProGAN's generators do: no checkerboard
  from overlapping strides (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016).
* residual: a residual block (He et al. 2016) as the SNGAN/BigGAN networks use them, two 3 x 3 convolutions and a
  1 x 1 shortcut, so each resolution has two layers of drawing (or judging) where the plain layers have one. The
  size changes between the two convolutions, so the first works at the smaller size: G's block is [conv ->
  ReLU -> repeat pixels -> conv] + [repeat pixels -> 1 x 1], D's [conv -> LeakyReLU -> average 2 x 2 -> conv] +
  [average -> 1 x 1]; about twice the arithmetic of the plain layers (G 2.1, D 1.9 times at width 64). The inner
  width is the narrower side's (never below half the wider one's, so the first and last layers, with their 2
  channels, are not squeezed).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.registry import Registry

SLOPE = 0.2


class UpsampleConv(nn.Module):
    """A picture (N, C, F, T) made `scale` times larger by repeating pixels, then a 3 x 3 convolution to
    `out_channels`."""

    def __init__(self, in_channels: int, out_channels: int, scale: tuple[int, int]):
        super().__init__()
        self.scale = tuple(int(s) for s in scale)
        self.out_channels = int(out_channels)
        self.conv = nn.Conv2d(in_channels, out_channels, 3, 1, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(h, scale_factor=self.scale, mode="nearest"))


class _Residual(nn.Module):
    """A residual block's three convolutions: two 3 x 3 on the main path (inner width: the narrower side's, never
    below half the wider one's) and a 1 x 1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.out_channels = int(out_channels)
        inner = max(min(in_channels, out_channels), max(in_channels, out_channels) // 2)
        self.first = nn.Conv2d(in_channels, inner, 3, 1, 1)
        self.second = nn.Conv2d(inner, out_channels, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1)


class ResidualUp(_Residual):
    """(N, C, F, T) -> (N, out_channels, F * scale[0], T * scale[1]): [3 x 3 -> ReLU -> repeat -> 3 x 3] plus
    [repeat -> 1 x 1]."""

    def __init__(self, in_channels: int, out_channels: int, scale: tuple[int, int]):
        super().__init__(in_channels, out_channels)
        self.scale = tuple(int(s) for s in scale)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        main = F.interpolate(F.relu(self.first(h)), scale_factor=self.scale, mode="nearest")
        return self.second(main) + self.shortcut(F.interpolate(h, scale_factor=self.scale, mode="nearest"))


class ResidualDown(_Residual):
    """(N, C, F, T) -> (N, out_channels, F / 2, T / 2): [3 x 3 -> LeakyReLU -> average 2 x 2 -> 3 x 3] plus
    [average 2 x 2 -> 1 x 1]."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        main = self.second(F.avg_pool2d(F.leaky_relu(self.first(h), SLOPE), 2))
        return main + self.shortcut(F.avg_pool2d(h, 2))


def _scale(in_time: bool) -> tuple[int, int]:
    return (2, 2) if in_time else (2, 1)


# how a spectral G's layer doubles its picture (`audio.upsample`): (in, out channels, in_time) -> the layer, where
# in_time says whether it doubles time as well as frequency
UPSAMPLERS: Registry = Registry("upsampling")
UPSAMPLERS.add("transposed", lambda cin, cout, in_time: nn.ConvTranspose2d(cin, cout, 4 if in_time else (4, 3),
                                                                           2 if in_time else (2, 1), 1))
UPSAMPLERS.add("nearest", lambda cin, cout, in_time: UpsampleConv(cin, cout, _scale(in_time)))
UPSAMPLERS.add("residual", lambda cin, cout, in_time: ResidualUp(cin, cout, _scale(in_time)))
DRAWING_LAYERS = (nn.ConvTranspose1d, nn.ConvTranspose2d, UpsampleConv, ResidualUp)   # what FiLM follows

# how a spectral D's layer halves its picture (`audio.downsample`): (in, out channels) -> the layer
DOWNSAMPLERS: Registry = Registry("downsampling")
DOWNSAMPLERS.add("strided", lambda cin, cout: nn.Conv2d(cin, cout, 4, 2, 1))
DOWNSAMPLERS.add("residual", ResidualDown)
