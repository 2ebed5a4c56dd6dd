"""`unet`: the pix2pix generator (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", section 3.2.1 and appendix 6.1.1), a U-Net (Ronneberger, Fischer &
Brox 2015) with skip connections between mirrored layers.

Encoder: `depth` stride-2 4x4 convolutions, each halving the size; layer i has min(width * 2**i, max_width)
channels (pix2pix at 256: C64-C128-C256-C512-C512-C512-C512-C512). Activations come first (LeakyReLU 0.2
before every encoder conv but the first), so the skip carries the normalised, not yet activated features.
Decoder: `depth` stride-2 4x4 transposed convolutions, each doubling the size, after ReLU; the input of
every decoder layer but the innermost is [encoder features of that size, decoder features] concatenated
along channels. The last layer maps to out_channels and ends in tanh.

Norms: none on the first encoder layer (as in the paper), none on the innermost encoder layer (at the
training resolution it is 1x1, where instance norm is undefined and batch norm of batch 1 zeroes it),
none on the output layer; `norm` everywhere else.
Dropout: rate `dropout` on the _DROPOUT_LAYERS innermost decoder layers ("CD512-CD1024-CD1024-C1024..."
of appendix 6.1.1; the pix2pix code leaves the innermost one out). Unlike the paper, which keeps dropout on
at test time as its noise source, duelo follows the module mode: eval() turns dropout off, so that a
trained model is deterministic; call train() on the translator to sample with dropout noise.
Initialisation: N(0, 0.02) weights (appendix 6.2), batch-norm scales N(1, 0.02), biases 0.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models.base import check_sizes
from duelo.models.translation import TRANSLATORS, Translator, check_norm, conv_bias, norm_layer
from duelo.nn.weight_init import dcgan_init_

_NEGATIVE_SLOPE = 0.2   # Isola et al. 2017, appendix 6.1: encoder ReLUs "are leaky, with slope 0.2"
_DROPOUT_LAYERS = 3     # appendix 6.1.1: the first three decoder layers are "CD" (dropout 50%)
_MAX_DEFAULT_DEPTH = 8  # the paper's 256x256 network: 8 down-samplings to a 1x1 bottleneck


def default_depth(resolution: int) -> int:
    """Halvings until the training size stops being even (log2 for a power of two), at most 8."""
    depth = 0
    while resolution % 2 == 0 and resolution > 1 and depth < _MAX_DEFAULT_DEPTH:
        resolution //= 2
        depth += 1
    return depth


def unet_channels(depth: int, width: int = 64, max_width: int = 512) -> tuple[int, ...]:
    """Channels of encoder layers 0 .. depth-1: min(width * 2**i, max_width) (decoder mirrors them)."""
    return tuple(min(width * 2**level, max_width) for level in range(depth))


@TRANSLATORS.register("unet")
class UNetTranslator(Translator):
    """[Conv4x4/2] x depth -> [ConvT4x4/2 on concat(skip, h)] x depth -> tanh (Isola et al. 2017, fig. 3)."""

    def __init__(self, *,
        in_channels:  int,                      # source channels (1 grey, 3 RGB, 2 image + mask)
        out_channels: int,                      # target channels
        resolution:   int,                      # training height = width; a multiple of 2**depth
        width:        int         = 64,         # channels of the first encoder layer (the paper's 64)
        max_width:    int         = 512,        # cap on the channels of any layer (the paper's 512)
        depth:        int | None  = None,       # down-samplings; None = to 1x1 (log2 resolution), <= 8
        norm:         str         = "instance", # "instance" | "batch" (the paper) | "none"
        dropout:      float       = 0.5,        # dropout rate in the innermost decoder layers; 0 = off
    ):
        check_sizes("unet", in_channels=in_channels, out_channels=out_channels, resolution=resolution,
                    width=width, max_width=max_width)
        check_norm("unet", norm)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ConfigError(f"unet: dropout must be a rate in [0, 1) (got {dropout!r}); 0 turns it off")
        if depth is None:
            depth = default_depth(resolution)
            if depth == 0:
                raise ConfigError(f"unet: resolution must be even to down-sample at least once (got "
                                  f"{resolution}); pad the images to an even size such as {resolution + 1}")
        check_sizes("unet", depth=depth)
        if resolution % 2**depth:
            raise ConfigError(f"unet: resolution ({resolution}) must be a multiple of 2**depth = {2**depth}; "
                              f"lower depth or use resolution {-(-resolution // 2**depth) * 2**depth}")
        super().__init__(in_channels=in_channels, out_channels=out_channels, resolution=resolution)
        self.depth = depth
        self.size_multiple = 2**depth          # every encoder layer must halve an even size
        self.min_size = 2**depth               # the innermost features are then 1x1
        self.widths = unet_channels(depth, width, max_width)

        self.encoder = nn.ModuleList()
        for level, channels in enumerate(self.widths):           # layer `level` outputs size / 2**(level+1)
            innermost, outermost = level == depth - 1, level == 0
            has_norm = not (innermost or outermost) and norm != "none"
            layers: list[nn.Module] = [] if outermost else [nn.LeakyReLU(_NEGATIVE_SLOPE)]
            channels_in = in_channels if outermost else self.widths[level - 1]
            layers.append(nn.Conv2d(channels_in, channels, 4, 2, 1, bias=not has_norm or conv_bias(norm)))
            if has_norm:
                layers.append(norm_layer(norm, channels))
            self.encoder.append(nn.Sequential(*layers))

        self.decoder = nn.ModuleList()                           # innermost first
        for step, level in enumerate(reversed(range(depth))):   # layer for `level` outputs size / 2**level
            innermost, outermost = level == depth - 1, level == 0
            channels_in = self.widths[level] * (1 if innermost else 2)  # [skip, h] below the innermost
            layers = [nn.ReLU()]
            if outermost:
                layers += [nn.ConvTranspose2d(channels_in, out_channels, 4, 2, 1), nn.Tanh()]
            else:
                channels = self.widths[level - 1]
                layers += [nn.ConvTranspose2d(channels_in, channels, 4, 2, 1, bias=conv_bias(norm)),
                           norm_layer(norm, channels)]
                if dropout > 0 and step < _DROPOUT_LAYERS:
                    layers.append(nn.Dropout(dropout))
            self.decoder.append(nn.Sequential(*layers))
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        skips: list[torch.Tensor] = []
        h = x                                                    # (N, in_channels, H, W)
        for layer in self.encoder:
            h = layer(h)                                         # (N, widths[i], H / 2**(i+1), W / 2**(i+1))
            skips.append(h)
        for step, layer in enumerate(self.decoder):
            if step > 0:
                h = torch.cat([skips[-1 - step], h], dim=1)      # (N, 2 widths[i], H / 2**(i+1), ...)
            h = layer(h)
        return h                                                 # (N, out_channels, H, W)
