"""`patchgan`: the Markovian patch discriminator of pix2pix (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image
Translation with Conditional Adversarial Networks", section 3.2.2 and appendix 6.1.2), also CycleGAN's.

With n_layers = 3 it is the paper's 70x70 discriminator C64-C128-C256-C512: 4x4 convolutions with stride 2
for the first n_layers, then one stride-1 4x4 convolution, then a 1-channel stride-1 4x4 convolution that
gives one logit per overlapping patch. LeakyReLU 0.2 after every hidden convolution; no norm on the first
layer. Channels of hidden layer i: min(width * 2**i, max_width).

Sizes (padding 1 everywhere): a stride-2 4x4 conv maps s -> floor(s / 2), a stride-1 4x4 conv s -> s - 1,
so an H x W input gives (floor(H / 2**n) - 2) x (floor(W / 2**n) - 2) logits: 30x30 at 256 for n = 3,
and min_size = 3 * 2**n leaves one logit.
Receptive field: 4 pixels for the output conv, 7 with the stride-1 conv before it, then r -> 2r + 2 per
stride-2 conv: 9 * 2**n - 2 = 16, 34, 70, 142, 286 pixels for n = 1 .. 5 (the paper's 16x16, 34x34, 70x70
and 286x286 discriminators are n = 1, 2, 3 and 5).

Norms: "instance" (CycleGAN), "batch" (pix2pix), "none", or "spectral" (spectral normalisation of every
convolution, Miyato et al. 2018, no other norm; duelo.nn.spectral_norm as in the resnet discriminator).
Initialisation: N(0, 0.02) weights, batch-norm scales N(1, 0.02), biases 0 (appendix 6.2).
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.models.base import check_sizes
from duelo.models.translation import (NORMS, PATCH_DISCRIMINATORS, PatchDiscriminator, check_norm, conv_bias,
                                      norm_layer)
from duelo.nn.spectral_norm import apply_spectral_norm
from duelo.nn.weight_init import dcgan_init_

_NEGATIVE_SLOPE = 0.2   # Isola et al. 2017, appendix 6.1: "All ReLUs are leaky, with slope 0.2"
PATCHGAN_NORMS = (*NORMS, "spectral")


def patchgan_receptive_field(n_layers: int) -> int:
    """Side in pixels of the input patch that one logit sees: 9 * 2**n_layers - 2 (70 for n_layers = 3)."""
    return 9 * 2**n_layers - 2


def patchgan_output_size(size: int, n_layers: int) -> int:
    """Logits along one axis of length `size`: floor(size / 2**n_layers) - 2 (see the module doc)."""
    return size // 2**n_layers - 2


@PATCH_DISCRIMINATORS.register("patchgan")
class PatchGANDiscriminator(PatchDiscriminator):
    """[Conv4x4/2 -> (norm) -> LReLU] x n_layers -> Conv4x4/1 -> norm -> LReLU -> Conv4x4/1 -> logits
    (Isola et al. 2017, appendix 6.1.2)."""

    def __init__(self, *,
        in_channels: int,                       # channels read: source + image (pix2pix) or image (CycleGAN)
        resolution:  int,                       # training height = width; >= 3 * 2**n_layers
        width:       int         = 64,          # channels of the first layer (the paper's 64)
        max_width:   int         = 512,         # cap on the channels of any layer (the paper's 512)
        n_layers:    int         = 3,           # stride-2 convs: 3 = 70x70 patches (1: 16, 2: 34, 4: 142)
        norm:        str         = "instance",  # "instance" | "batch" (pix2pix) | "none" | "spectral"
    ):
        check_sizes("patchgan", in_channels=in_channels, resolution=resolution, width=width,
                    max_width=max_width, n_layers=n_layers)
        check_norm("patchgan", norm, PATCHGAN_NORMS)
        smallest = 3 * 2**n_layers
        if resolution < smallest:
            left = patchgan_output_size(resolution, n_layers)
            raise ConfigError(f"patchgan: resolution {resolution} is too small for n_layers={n_layers}: it "
                              f"leaves {left}x{left} logits; use resolution >= {smallest} or fewer n_layers")
        super().__init__(in_channels=in_channels, resolution=resolution)
        self.n_layers = n_layers
        self.min_size = smallest
        self.receptive_field = patchgan_receptive_field(n_layers)
        layer_norm = "none" if norm == "spectral" else norm
        widths = [min(width * 2**level, max_width) for level in range(n_layers + 1)]

        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 4, 2, 1),   # no norm on the first layer
                                   nn.LeakyReLU(_NEGATIVE_SLOPE)]
        for level in range(1, n_layers + 1):                     # stride 2 up to n_layers, then stride 1
            stride = 2 if level < n_layers else 1
            layers += [nn.Conv2d(widths[level - 1], widths[level], 4, stride, 1, bias=conv_bias(layer_norm)),
                       norm_layer(layer_norm, widths[level]),
                       nn.LeakyReLU(_NEGATIVE_SLOPE)]
        layers.append(nn.Conv2d(widths[-1], 1, 4, 1, 1))          # one logit per patch
        self.body = nn.Sequential(*layers)
        dcgan_init_(self)
        if norm == "spectral":
            apply_spectral_norm(self)                            # after init: sigma starts from these weights

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(h, w) of the logit map for an input of height x width."""
        return patchgan_output_size(height, self.n_layers), patchgan_output_size(width, self.n_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.body(x).squeeze(1)                           # (N, 1, h, w) -> (N, h, w)
