"""`resnet`: residual GAN of SNGAN/BigGAN kind (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral
Normalization for Generative Adversarial Networks", appendix B.4, the ResNet used for CIFAR-10;
Miyato & Koyama 2018, "cGANs with projection discriminator"; Zhang et al. 2019, "Self-Attention GANs";
Brock, Donahue & Simonyan 2019, "Large Scale GAN Training", BigGAN).

Generator: Linear(z -> 4x4 x width), then one up-block per doubling up to the resolution, then
BN -> ReLU -> conv3x3 -> tanh. Up-block: [cBN -> ReLU -> upsample x2 -> conv3x3 -> cBN -> ReLU -> conv3x3]
plus the shortcut [conv1x1 -> upsample x2]. With c_dim > 0 the block norms are class-conditional batch
norms (duelo.nn.conditional_norm), plain BatchNorm2d otherwise.

Discriminator: an "optimized" first block [conv3x3 -> ReLU -> conv3x3 -> avgpool] + [avgpool -> conv1x1],
then down-blocks [ReLU -> conv3x3 -> ReLU -> conv3x3 -> avgpool] + [conv1x1 -> avgpool] until the features
are 4x4; then ReLU -> sum over space -> Linear(-> 1), plus the projection term <embed(y), features> when
c_dim > 0 (Miyato & Koyama 2018, eq. 3). Spectral norm on every conv, linear and embedding of D is
built in (spectral_norm=True). No batch norm in D.
Departure from the CIFAR network of Miyato et al.: that D stops downsampling at 8x8 (its last two blocks
keep 8x8); here every block after the first halves the size down to 4x4, which gives the same number of
blocks (four) at 32x32 and extends to any power-of-two resolution.

Every block has `width` channels (the CIFAR networks of the paper use 256 in G and 128 in D).
Optional SAGAN self-attention at one feature-map size (`attention_at`), and optional minibatch standard
deviation on D's last 4x4 features (Karras et al. 2018, section 3; `mbstd_group`).

Initialisation as in the SNGAN code: Xavier-uniform (Glorot) weights with gain sqrt(2) for the 3x3
convolutions inside the residual branches, gain 1 for shortcuts, the first linear layer, the output
convolution and the final linear layer; biases 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from duelo.errors import ConfigError
from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, check_labels,
                               check_resolution, check_sizes)
from duelo.nn.attention import SelfAttention2d
from duelo.nn.conditional_norm import ConditionalBatchNorm2d
from duelo.nn.conditioning import ClassProjection
from duelo.nn.minibatch_std import MinibatchStd
from duelo.nn.spectral_norm import apply_spectral_norm

_RESIDUAL_GAIN = math.sqrt(2.0)  # SNGAN code: GlorotUniform(sqrt(2)) inside the residual branches


def _xavier(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    nn.init.xavier_uniform_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def _check_attention(attention_at: int, sizes: list[int], width: int) -> None:
    if attention_at == 0:
        return
    if attention_at not in sizes:
        raise ConfigError(f"resnet: attention_at={attention_at} is not a feature-map size this network has; "
                          f"choose one of {', '.join(map(str, sizes))}, or 0 for no attention")
    if width < 8:
        raise ConfigError(f"resnet: attention_at needs width >= 8 (got width={width}); "
                          "queries and keys have width // 8 channels")


def _block_norm(channels: int, c_dim: int) -> nn.Module:
    return ConditionalBatchNorm2d(channels, c_dim) if c_dim > 0 else nn.BatchNorm2d(channels)


class GeneratorBlock(nn.Module):
    """Up-block: norm -> ReLU -> upsample x2 -> conv3x3 -> norm -> ReLU -> conv3x3, plus the shortcut
    conv1x1 -> upsample x2 (a 1x1 conv commutes with nearest upsampling; running it first is cheaper)."""

    def __init__(self, in_channels: int, out_channels: int, c_dim: int):
        super().__init__()
        self.norm1 = _block_norm(in_channels, c_dim)
        self.conv1 = _xavier(nn.Conv2d(in_channels, out_channels, 3, 1, 1), _RESIDUAL_GAIN)
        self.norm2 = _block_norm(out_channels, c_dim)
        self.conv2 = _xavier(nn.Conv2d(out_channels, out_channels, 3, 1, 1), _RESIDUAL_GAIN)
        self.shortcut = _xavier(nn.Conv2d(in_channels, out_channels, 1, 1, 0))
        self.conditional = c_dim > 0

    def _norm(self, norm: nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return norm(x, labels) if self.conditional else norm(x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        h = F.relu(self._norm(self.norm1, x, labels))
        h = self.conv1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.conv2(F.relu(self._norm(self.norm2, h, labels)))
        return h + F.interpolate(self.shortcut(x), scale_factor=2, mode="nearest")


class DiscriminatorBlock(nn.Module):
    """Down-block. optimized=False: ReLU -> conv3x3 -> ReLU -> conv3x3 -> avgpool, shortcut conv1x1 ->
    avgpool. optimized=True (the first block, reading images): conv3x3 -> ReLU -> conv3x3 -> avgpool,
    shortcut avgpool -> conv1x1 (no ReLU on the raw pixels)."""

    def __init__(self, in_channels: int, out_channels: int, optimized: bool = False):
        super().__init__()
        self.optimized = optimized
        self.conv1 = _xavier(nn.Conv2d(in_channels, out_channels, 3, 1, 1), _RESIDUAL_GAIN)
        self.conv2 = _xavier(nn.Conv2d(out_channels, out_channels, 3, 1, 1), _RESIDUAL_GAIN)
        self.shortcut = _xavier(nn.Conv2d(in_channels, out_channels, 1, 1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.optimized else F.relu(x)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        if self.optimized:
            return h + self.shortcut(F.avg_pool2d(x, 2))
        return h + F.avg_pool2d(self.shortcut(x), 2)


@GENERATORS.register("resnet")
class ResNetGenerator(Generator):
    """z -> Linear -> 4x4 -> [up-block] x log2(R/4) -> BN -> ReLU -> conv3x3 -> tanh (Miyato et al. 2018,
    table 4; conditional batch norm as in Miyato & Koyama 2018 and BigGAN; SAGAN attention optional)."""

    def __init__(self,
        resolution:   int,                  # output height = width in pixels: a power of two >= 16
        channels:     int,                  # output channels (1 grey, 3 RGB)
        c_dim:        int   = 0,            # number of classes; 0 = unconditional (> 0: conditional BN)
        z_dim:        int   = 128,          # latent size (SNGAN: 128)
        width:        int   = 128,          # channels of every block (SNGAN CIFAR generator: 256)
        attention_at: int   = 0,            # map size (4 .. resolution) followed by attention; 0 = none
    ):
        check_resolution("resnet", resolution, 16)
        check_sizes("resnet", channels=channels, c_dim=c_dim, z_dim=z_dim, width=width, attention_at=attention_at)
        sizes = [4 * 2**level for level in range(resolution.bit_length() - 2)]   # 4, 8, ..., resolution
        _check_attention(attention_at, sizes, width)
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels)
        self.width = width
        self.attention_at = attention_at
        self.to_4x4 = _xavier(nn.Linear(z_dim, 4 * 4 * width))
        blocks: list[nn.Module] = [SelfAttention2d(width)] if attention_at == 4 else []
        for size in sizes[1:]:                                     # one up-block per doubling
            blocks.append(GeneratorBlock(width, width, c_dim))
            if size == attention_at:
                blocks.append(SelfAttention2d(width))
        self.blocks = nn.ModuleList(blocks)
        self.output_norm = nn.BatchNorm2d(width)
        self.to_image = _xavier(nn.Conv2d(width, channels, 3, 1, 1))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n = z.shape[0]
        check_labels(self, labels, n)
        h = self.to_4x4(z).view(n, self.width, 4, 4)              # (N, width, 4, 4)
        for block in self.blocks:
            h = block(h, labels) if isinstance(block, GeneratorBlock) else block(h)
        h = F.relu(self.output_norm(h))                           # (N, width, R, R)
        return torch.tanh(self.to_image(h))                       # (N, C, R, R)


@DISCRIMINATORS.register("resnet", mbstd="optional")
class ResNetDiscriminator(Discriminator):
    """Optimized block -> [down-block] ... -> 4x4 features h; phi = sum over space of ReLU(h);
    logit = Linear(phi) + <embed(y), phi>
    (Miyato et al. 2018, table 4, with projection from Miyato & Koyama 2018). With mbstd_group > 0 the
    linear layer also reads the minibatch-std channels appended to h (Karras et al. 2018, section 3);
    the projection term uses h alone. Spectral norm on every weight when spectral_norm=True."""

    def __init__(self,
        resolution:     int,                # input height = width in pixels: a power of two >= 16
        channels:       int,                # input channels (1 grey, 3 RGB)
        c_dim:          int     = 0,        # number of classes; 0 = unconditional (>0: projection term)
        width:          int     = 128,      # channels of every block (SNGAN CIFAR discriminator: 128)
        attention_at:   int     = 0,        # map size (resolution/2 .. 4) followed by attention; 0 = none
        spectral_norm:  bool    = True,     # spectral norm on every conv/linear/embedding
        mbstd_group:    int     = 0,        # minibatch-std group size (Karras et al. 2018); 0 = off
        mbstd_channels: int     = 1,        # channels added by minibatch std; divides width
        classify:       bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        check_resolution("resnet", resolution, 16)
        check_sizes("resnet", channels=channels, c_dim=c_dim, width=width, attention_at=attention_at,
                        mbstd_group=mbstd_group, mbstd_channels=mbstd_channels)
        sizes = [resolution // 2**level for level in range(1, resolution.bit_length() - 2)]  # R/2, ..., 4
        _check_attention(attention_at, sizes, width)
        if not isinstance(spectral_norm, bool):
            raise ConfigError(f"resnet: spectral_norm must be true or false (got {spectral_norm!r})")
        if mbstd_group > 0 and width % mbstd_channels:
            raise ConfigError(f"resnet: mbstd_channels ({mbstd_channels}) must divide width ({width})")
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels)
        self.width = width
        self.attention_at = attention_at
        blocks: list[nn.Module] = []
        for index, size in enumerate(sizes):                       # block `index` outputs size x size
            blocks.append(DiscriminatorBlock(channels if index == 0 else width, width, optimized=index == 0))
            if size == attention_at:
                blocks.append(SelfAttention2d(width))
        self.blocks = nn.Sequential(*blocks)
        self.mbstd = MinibatchStd(mbstd_group, mbstd_channels) if mbstd_group > 0 else None
        self.to_logit = _xavier(nn.Linear(width + (mbstd_channels if mbstd_group > 0 else 0), 1))
        self.projection = ClassProjection(c_dim, width) if c_dim > 0 else None
        self._classifier_head(classify, width)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        features = self.blocks(images)                             # (N, width, 4, 4)
        head_input = features if self.mbstd is None else self.mbstd(features)  # (N, width [+ k], 4, 4)
        pooled = F.relu(head_input).sum(dim=(2, 3))               # (N, width [+ k]) global sum pooling
        logits = self.to_logit(pooled).flatten()                   # (N,)
        if self.projection is not None:
            logits = logits + self.projection(pooled[:, :self.width], labels)  # (N,)
        return logits
