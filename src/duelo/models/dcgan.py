"""`dcgan`: deep convolutional GAN (Radford, Metz & Chintala 2015, "Unsupervised Representation Learning
with Deep Convolutional Generative Adversarial Networks").

The generator doubles the spatial size with stride-2 transposed convolutions from 4x4 up to the
resolution, halving the channels each time; the discriminator mirrors it with stride-2 convolutions down
to 4x4. Width at spatial size s (both networks): min(width * resolution / (2 s), max_width), see
`dcgan_channels`. The paper's rules are kept: batch norm everywhere except the generator output and the
discriminator input, ReLU in G, LeakyReLU(0.2) in D, tanh output, N(0, 0.02) weights.

Conditioning: label code concatenated to z in G (duelo.nn.conditioning.LabelEmbedding); projection term
<embed(y), sum-pooled 4x4 features> in D (Miyato & Koyama 2018).
Optional minibatch standard deviation in D (Karras et al. 2018, section 3): `mbstd_group` > 0 appends
batch-statistic channels to the 4x4 features before the final conv (duelo.nn.minibatch_std.MinibatchStd).
Non-square images (`aspect`, duelo.aspect): the first ConvT of G and the last conv of D have an h0 x w0 kernel
instead of 4x4, so every "s x s" grid below is (s h0/4) x (s w0/4); the stride-2 layers are unchanged.
"""

from __future__ import annotations

import math

from typing import Callable, NamedTuple

import torch
from torch import nn

from duelo.aspect import SQUARE, parse_aspect
from duelo.errors import ConfigError
from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, check_labels,
                               check_resolution, check_sizes)
from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.nn.minibatch_std import MinibatchStd
from duelo.nn.weight_init import dcgan_init_

_NEGATIVE_SLOPE = 0.2  # Radford et al. 2015, section 3: "the slope of the leak was set to 0.2"


class _Norm(NamedTuple):
    layer: Callable[[int], nn.Module]   # channels -> normalisation layer
    conv_bias: bool                     # a bias before batch norm is cancelled by its mean, so drop it


# Discriminator normalisation, by name. "none" is for WGAN-GP critics: batch norm mixes the samples of a
# batch, which breaks the per-sample gradient penalty (Gulrajani et al. 2017, section 4). "group" normalises each
# sample on its own (Wu & He 2018, 8 groups): what differentially private training needs, since DP-SGD clips each
# record's gradient and batch norm would let one record move every other record's output.
DISCRIMINATOR_NORMS: dict[str, _Norm] = {
    "batch": _Norm(layer=nn.BatchNorm2d, conv_bias=False),
    "group": _Norm(layer=lambda channels: nn.GroupNorm(math.gcd(8, channels), channels), conv_bias=False),
    "none":  _Norm(layer=lambda channels: nn.Identity(), conv_bias=True),
}


def dcgan_channels(resolution: int, width: int = 64, max_width: int = 512) -> tuple[int, ...]:
    """Channels at spatial sizes 4, 8, ..., resolution/2 (generator order; the discriminator reverses it).

    Size s gets min(width * resolution / (2 s), max_width), so the last hidden layer has `width` channels:
    resolution 32, width 64 -> (256, 128, 64) at 4x4, 8x8, 16x16.
    """
    check_resolution("dcgan", resolution, 8)
    sizes = [4 * 2**level for level in range(resolution.bit_length() - 3)]  # 4, 8, ..., resolution/2
    return tuple(min(width * resolution // (2 * size), max_width) for size in sizes)


@GENERATORS.register("dcgan", aspects=True)
class DCGANGenerator(Generator):
    """[z, label code] -> ConvT 1->4 -> [ConvT x2] ... -> ConvT -> tanh (Radford et al. 2015, figure 1)."""

    def __init__(self,
        resolution: int,                    # output size in pixels (the long side): a power of two >= 8
        channels:   int,                    # output channels (1 grey, 3 RGB)
        c_dim:      int         = 0,        # number of classes; 0 = unconditional
        z_dim:      int         = 100,      # latent size (the paper's 100)
        width:      int         = 64,       # channels of the last hidden layer (at resolution/2)
        max_width:  int         = 512,      # cap on the channels of any layer
        embed_dim:  int         = 8,        # size of the label code concatenated with z (c_dim > 0); small on purpose:
                                            # a code as large as z lets G ignore z (intra-class collapse, measured)
        aspect:     str         = SQUARE,   # width:height, "1:1" (square) or one of duelo.aspect.SUPPORTED_ASPECTS
    ):
        check_resolution("dcgan", resolution, 8)
        check_sizes("dcgan", channels=channels, c_dim=c_dim, z_dim=z_dim, width=width, max_width=max_width,
                        embed_dim=embed_dim)
        grid = parse_aspect(aspect, "dcgan: aspect")                  # (h0, w0): the first grid, 4x4 when square
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        self.widths = dcgan_channels(resolution, width, max_width)
        self.label_embedding = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        in_channels = z_dim + (embed_dim if c_dim > 0 else 0)

        layers: list[nn.Module] = [                         # project and reshape: 1x1 -> h0 x w0 (4x4)
            nn.ConvTranspose2d(in_channels, self.widths[0], grid, 1, 0, bias=False),
            nn.BatchNorm2d(self.widths[0]),
            nn.ReLU(),
        ]
        for channels_in, channels_out in zip(self.widths[:-1], self.widths[1:]):  # s -> 2s
            layers += [nn.ConvTranspose2d(channels_in, channels_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(channels_out),
                       nn.ReLU()]
        layers += [nn.ConvTranspose2d(self.widths[-1], channels, 4, 2, 1), nn.Tanh()]  # R/2 -> R, no norm
        self.body = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n = z.shape[0]
        check_labels(self, labels, n)
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)  # (N, z_dim + embed_dim)
        return self.body(z.view(n, -1, 1, 1))                         # (N, C, H, W)


@DISCRIMINATORS.register("dcgan", mbstd="optional", aspects=True)
class DCGANDiscriminator(Discriminator):
    """Conv x2 down to 4x4 -> features h; logit = Conv4x4(h) + <embed(y), sum-pooled h> (Radford et al. 2015,
    projection term from Miyato & Koyama 2018). With mbstd_group > 0 the final conv reads [h, minibatch std]
    (Karras et al. 2018, section 3); the projection term still uses h alone."""

    def __init__(self,
        resolution:     int,                    # input size in pixels (the long side): a power of two >= 8
        channels:       int,                    # input channels (1 grey, 3 RGB)
        c_dim:          int         = 0,        # number of classes; 0 = unconditional
        width:          int         = 64,       # channels of the first layer (at resolution/2)
        max_width:      int         = 512,      # cap on the channels of any layer
        norm:           str         = "batch",  # norm after each hidden conv: "batch", or "none" for WGAN-GP
        mbstd_group:    int         = 0,        # minibatch-std group size (Karras et al. 2018); 0 = off
        mbstd_channels: int         = 1,        # channels added by minibatch std; divides the 4x4 channels
        aspect:         str         = SQUARE,   # width:height, "1:1" (square) or one of duelo.aspect.SUPPORTED_ASPECTS
        classify:       bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        check_resolution("dcgan", resolution, 8)
        check_sizes("dcgan", channels=channels, c_dim=c_dim, width=width, max_width=max_width,
                        mbstd_group=mbstd_group, mbstd_channels=mbstd_channels)
        if norm not in DISCRIMINATOR_NORMS:
            raise ConfigError(f"dcgan: unknown discriminator norm {norm!r}; choose one of: "
                              f"{', '.join(sorted(DISCRIMINATOR_NORMS))}")
        grid = parse_aspect(aspect, "dcgan: aspect")                  # (h0, w0): the last grid, 4x4 when square
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        self.widths = dcgan_channels(resolution, width, max_width)[::-1]  # at R/2, R/4, ..., 4
        chosen = DISCRIMINATOR_NORMS[norm]

        layers: list[nn.Module] = [                         # R -> R/2, no norm on the input layer
            nn.Conv2d(channels, self.widths[0], 4, 2, 1),
            nn.LeakyReLU(_NEGATIVE_SLOPE),
        ]
        for channels_in, channels_out in zip(self.widths[:-1], self.widths[1:]):  # s -> s/2
            layers += [nn.Conv2d(channels_in, channels_out, 4, 2, 1, bias=chosen.conv_bias),
                       chosen.layer(channels_out),
                       nn.LeakyReLU(_NEGATIVE_SLOPE)]
        self.body = nn.Sequential(*layers)
        if mbstd_group > 0 and self.widths[-1] % mbstd_channels:
            raise ConfigError(f"dcgan: mbstd_channels ({mbstd_channels}) must divide the {self.widths[-1]} "
                              f"channels of the 4x4 features (width={width}, max_width={max_width})")
        self.mbstd = MinibatchStd(mbstd_group, mbstd_channels) if mbstd_group > 0 else None
        head_channels = self.widths[-1] + (mbstd_channels if mbstd_group > 0 else 0)
        self.to_logit = nn.Conv2d(head_channels, 1, grid, 1, 0)         # h0 x w0 (4x4) -> 1x1
        self.projection = ClassProjection(c_dim, self.widths[-1]) if c_dim > 0 else None
        self._classifier_head(classify, self.widths[-1])
        dcgan_init_(self)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        features = self.body(images)                                  # (N, F, 4, 4)
        head_input = features if self.mbstd is None else self.mbstd(features)  # (N, F [+ k], 4, 4)
        logits = self.to_logit(head_input).flatten()                  # (N,)
        if self.projection is not None:
            logits = logits + self.projection(features.sum(dim=(2, 3)), labels)  # (N,)
        return logits
