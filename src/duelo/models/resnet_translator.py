"""`resnet` translator: the residual generator of Johnson, Alahi & Fei-Fei 2016 ("Perceptual Losses for
Real-Time Style Transfer and Super-Resolution", supplementary material) as used by CycleGAN (Zhu, Park,
Isola & Efros 2017, appendix 7.2: c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3).

  stem      reflection pad 3 -> conv 7x7 (width) -> norm -> ReLU
  down      n_down x [conv 3x3 stride 2 (channels x2) -> norm -> ReLU]
  residual  n_blocks x [x + (reflect pad 1 -> conv 3x3 -> norm -> ReLU -> reflect pad 1 -> conv 3x3 -> norm)]
  up        n_down x [nearest x2 -> reflect pad 1 -> conv 3x3 (channels / 2) -> norm -> ReLU]
  out       reflection pad 3 -> conv 7x7 (out_channels) -> tanh

Up-sampling departs from CycleGAN, which uses stride-2 3x3 transposed convolutions: nearest-neighbour
doubling followed by a 3x3 convolution computes the same kind of map without the uneven kernel overlap
that prints checkerboard patterns (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard
Artifacts"), and it exports to ONNX as Resize + Conv for any input size.
Reflection padding (instead of zeros) avoids dark borders; it needs every padded map larger than the pad,
hence min_size = max(4, 2**(n_down + 1)): the bottleneck is at least 2x2.
Initialisation: N(0, 0.02) weights, batch-norm scales N(1, 0.02), biases 0 (the CycleGAN code's default).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.errors import ConfigError
from duelo.models.base import check_sizes
from duelo.models.translation import TRANSLATORS, Translator, check_norm, conv_bias, norm_layer
from duelo.nn.weight_init import dcgan_init_


def _conv_norm_relu(channels_in: int, channels_out: int, norm: str, kernel: int,
                    stride: int = 1) -> nn.Sequential:
    """[reflect pad] -> conv kernel x kernel -> norm -> ReLU; stride 2 convs pad with zeros like CycleGAN."""
    pad = kernel // 2
    if stride == 1:
        layers: list[nn.Module] = [nn.ReflectionPad2d(pad), nn.Conv2d(channels_in, channels_out, kernel,
                                                                         bias=conv_bias(norm))]
    else:
        layers = [nn.Conv2d(channels_in, channels_out, kernel, stride, pad, bias=conv_bias(norm))]
    return nn.Sequential(*layers, norm_layer(norm, channels_out), nn.ReLU())


class ResidualBlock(nn.Module):
    """x + F(x) with F = pad -> conv3x3 -> norm -> ReLU -> pad -> conv3x3 -> norm (no ReLU after the sum,
    as in Johnson et al. 2016, following Gross & Wilber's "Training and investigating residual nets")."""

    def __init__(self, channels: int, norm: str):
        super().__init__()
        self.branch = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=conv_bias(norm)),
            norm_layer(norm, channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=conv_bias(norm)),
            norm_layer(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)                                 # (N, C, h, w)


class UpBlock(nn.Module):
    """Nearest x2 -> reflect pad 1 -> conv3x3 -> norm -> ReLU (see the module doc for why not ConvT)."""

    def __init__(self, channels_in: int, channels_out: int, norm: str):
        super().__init__()
        self.conv = _conv_norm_relu(channels_in, channels_out, norm, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))  # (N, C', 2h, 2w)


@TRANSLATORS.register("resnet")
class ResNetTranslator(Translator):
    """c7s1-w, d2w, d4w, R4w x n_blocks, u2w, uw, c7s1-out, tanh (Zhu et al. 2017, appendix 7.2)."""

    def __init__(self, *,
        in_channels:  int,                      # source channels (1 grey, 3 RGB, 2 image + mask)
        out_channels: int,                      # target channels
        resolution:   int,                      # training height = width; a multiple of 2**n_down
        width:        int         = 64,         # stem channels (CycleGAN's 64); x2 per down-sampling
        n_blocks:     int | None  = None,       # residual blocks; None = 9 at resolution >= 256, else 6
        n_down:       int         = 2,          # stride-2 down-samplings (and as many up-samplings); 0 = none
        norm:         str         = "instance", # "instance" (CycleGAN) | "batch" | "none"
    ):
        if n_blocks is None:
            n_blocks = 9 if isinstance(resolution, int) and resolution >= 256 else 6
        check_sizes("resnet", in_channels=in_channels, out_channels=out_channels, resolution=resolution,
                    width=width, n_blocks=n_blocks)
        if not isinstance(n_down, int) or isinstance(n_down, bool) or n_down < 0:
            raise ConfigError(f"resnet: n_down must be an integer >= 0 (got {n_down!r}); CycleGAN uses 2")
        check_norm("resnet", norm)
        multiple, smallest = 2**n_down, max(4, 2**(n_down + 1))
        if resolution % multiple or resolution < smallest:
            suggestion = max(smallest, -(-resolution // multiple) * multiple)
            raise ConfigError(f"resnet: resolution ({resolution}) must be a multiple of 2**n_down = "
                              f"{multiple} and at least {smallest} (reflection padding needs a 2x2 bottleneck); "
                              f"lower n_down or use resolution {suggestion}")
        super().__init__(in_channels=in_channels, out_channels=out_channels, resolution=resolution)
        self.size_multiple = multiple
        self.min_size = smallest
        self.n_blocks, self.n_down = n_blocks, n_down
        bottleneck = width * 2**n_down

        self.stem = _conv_norm_relu(in_channels, width, norm, 7)
        self.down = nn.Sequential(*(_conv_norm_relu(width * 2**i, width * 2**(i + 1), norm, 3, stride=2)
                                    for i in range(n_down)))
        self.blocks = nn.Sequential(*(ResidualBlock(bottleneck, norm) for _ in range(n_blocks)))
        self.up = nn.Sequential(*(UpBlock(width * 2**(i + 1), width * 2**i, norm)
                                  for i in reversed(range(n_down))))
        self.to_image = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh())
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        h = self.down(self.stem(x))                               # (N, bottleneck, H / 2**n_down, ...)
        h = self.up(self.blocks(h))                               # (N, width, H, W)
        return self.to_image(h)                                   # (N, out_channels, H, W)

