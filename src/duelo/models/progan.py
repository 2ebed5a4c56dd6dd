"""`progan`: progressively grown GAN (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs for
Improved Quality, Stability, and Variation", table 2 and section 4; conditioning: label embedding in G and a
projection term in D, Miyato & Koyama 2018).

Both networks hold every stage from the start and grow by their level of detail (duelo.nn.growth): the
training loop moves the level from 0 (4x4) to log2(R) - 2 (R x R) following the growth schedule
(duelo.training.growth), fading each new stage in. Shapes never change while growing: G always returns
R x R images (the current stage's output upsampled, nearest neighbour) and D always takes R x R images
(average-pooled down to the current stage), so data, augmentation, penalties, metrics and samples see
the same tensors at every stage.

Generator: z -> pixel norm [-> concat pixel-normed class embedding] -> EqualLinear to 4x4 (the paper's
  4x4 convolution of a 1x1 latent) -> lrelu -> pixel norm -> conv3x3 -> lrelu -> pixel norm; each later stage:
  upsample x2 (nearest) -> [conv3x3 -> lrelu -> pixel norm] x 2; toRGB: 1x1 convolution per stage. While
  stage k fades in: image = lerp(upsample(toRGB_{k-1}(x_{k-1})), toRGB_k(x_k), alpha).
Discriminator: fromRGB (1x1 -> lrelu) per stage; each stage: [conv3x3 -> lrelu] x 2 -> avgpool x1/2; 4x4
  epilogue: minibatch std -> conv3x3 -> lrelu -> linear -> lrelu -> linear(-> 1) [+ projection term]. While
  stage k fades in, D blends fromRGB_{k-1}(avgpool(image)) with block_k(fromRGB_k(image)) by alpha.
Every layer uses the equalised learning rate (section 4.1).

Departures from the paper (docs/models.md): tanh on G's output (duelo images lie in [-1, 1]); real images are
not blended between resolutions during a fade-in (the paper does, in its data pipeline; blending every input
inside D instead would weight the fakes' new detail by alpha squared and the reals' by alpha); widths follow
StyleGAN2's rule min(channel_base / res,
channel_max); class conditioning as described above (the paper's CIFAR-10 runs appended a one-hot label).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, channels_at,
                               check_labels, check_resolution, check_sizes)
from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.nn.growth import LevelOfDetail
from duelo.nn.minibatch_std import MinibatchStd
from duelo.nn.modulated import EqualConv2d, EqualLinear, pixel_norm


def _check(resolution, level, sizes: dict) -> None:
    from duelo.errors import ConfigError

    check_resolution("progan", resolution, 8)
    check_sizes("progan", **sizes)
    max_level = resolution.bit_length() - 3
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, float))
                              or not 0 <= level <= max_level):
        raise ConfigError(f"progan: level must be a number in [0, {max_level}] for resolution {resolution} "
                          f"(got {level!r}); leave it out for the fully grown network")


def _inactive(module: nn.Module, prefix_stages: dict[str, int], lod: LevelOfDetail) -> set[str]:
    """Names of the parameters the current level does not use (per-stage ModuleLists, by stage index)."""
    used_rgb = {lod.stage, lod.stage - 1} if lod.fading else {lod.stage}
    names = set()
    for name, _ in module.named_parameters():
        parts = name.split(".")
        if parts[0] in prefix_stages:
            stage = int(parts[1]) + prefix_stages[parts[0]]          # blocks[i] belongs to stage i + 1
            if (parts[0] == "blocks" and stage > lod.stage) or (parts[0] != "blocks" and stage not in used_rgb):
                names.add(name)
    return names


class GeneratorBlock(nn.Module):
    """upsample x2 (nearest) -> [conv3x3 -> lrelu -> pixel norm] x 2."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activation=True)
        self.conv2 = EqualConv2d(out_channels, out_channels, 3, activation=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return pixel_norm(self.conv2(pixel_norm(self.conv1(x))))


@GENERATORS.register("progan", grows=True)
class ProGANGenerator(Generator):
    """Progressively grown generator; forward returns R x R images at every level (see the module doc)."""

    def __init__(self,
        resolution:   int,                  # output height = width: a power of two >= 8
        channels:     int,                  # output channels (1 grey, 3 RGB)
        c_dim:        int   = 0,            # number of classes; 0 = unconditional
        z_dim:        int   = 128,          # latent size (paper: 512)
        channel_base: int   = 8192,         # stage width = min(channel_base // res, channel_max)
        channel_max:  int   = 256,          # (paper: 8192 and 512)
        width:        int | None = None,    # alias of channel_max (what --width sets); wins when given
        embed_dim:    int   = 32,           # class embedding size, concatenated to the normalised z
        level:        float | None = None,  # initial level of detail; None = fully grown (log2(R) - 2)
    ):
        channel_max = channel_max if width is None else width
        _check(resolution, level, {"channels": channels, "c_dim": c_dim, "z_dim": z_dim,
                                   "channel_base": channel_base, "channel_max" if width is None else "width":
                                   channel_max, "embed_dim": embed_dim})
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels)
        sizes = [4 * 2**k for k in range(resolution.bit_length() - 2)]              # 4, 8, ..., R
        width_at = [channels_at(res, channel_base, channel_max) for res in sizes]
        self.lod = LevelOfDetail(len(sizes) - 1, level)
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        features = z_dim + (embed_dim if c_dim > 0 else 0)
        self.input = EqualLinear(features, width_at[0] * 16, activation=True)
        self.input_conv = EqualConv2d(width_at[0], width_at[0], 3, activation=True)
        self.blocks = nn.ModuleList([GeneratorBlock(width_at[k - 1], width_at[k]) for k in range(1, len(sizes))])
        self.to_rgb = nn.ModuleList([EqualConv2d(width_at[k], channels, 1) for k in range(len(sizes))])

    def set_level(self, level: float) -> None:
        self.lod.set(level)

    def inactive_parameter_names(self) -> set[str]:
        """Parameters the current level leaves out of the computation (they get no gradient)."""
        return _inactive(self, {"blocks": 1, "to_rgb": 0}, self.lod)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, z.shape[0])
        x = pixel_norm(z)
        if self.embed is not None:
            x = torch.cat([x, pixel_norm(self.embed(labels))], dim=1)
        x = pixel_norm(self.input(x).view(z.shape[0], -1, 4, 4))
        x = pixel_norm(self.input_conv(x))                                          # (N, C4, 4, 4)
        stage, fading = self.lod.stage, self.lod.fading
        previous = x
        for k in range(1, stage + 1):
            previous = x
            x = self.blocks[k - 1](x)
        image = self.to_rgb[stage](x)
        if fading:                                    # stage k fades in over the upsampled stage k - 1
            low = F.interpolate(self.to_rgb[stage - 1](previous), scale_factor=2, mode="nearest")
            image = torch.lerp(low, image, self.lod.alpha().to(image.dtype))
        factor = 2 ** (self.lod.max_level - stage)
        if factor > 1:
            image = F.interpolate(image, scale_factor=factor, mode="nearest")
        return torch.tanh(image)


class DiscriminatorBlock(nn.Module):
    """[conv3x3 -> lrelu] x 2 -> avgpool x1/2."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = EqualConv2d(in_channels, in_channels, 3, activation=True)
        self.conv2 = EqualConv2d(in_channels, out_channels, 3, activation=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.conv2(self.conv1(x)), 2)


@DISCRIMINATORS.register("progan", grows=True, mbstd="built-in")
class ProGANDiscriminator(Discriminator):
    """Progressively grown discriminator; takes R x R images at every level (see the module doc)."""

    def __init__(self,
        resolution:     int,                # input height = width: a power of two >= 8
        channels:       int,                # input channels (1 grey, 3 RGB)
        c_dim:          int   = 0,          # number of classes; 0 = unconditional (> 0: projection term)
        channel_base:   int   = 8192,       # stage width = min(channel_base // res, channel_max)
        channel_max:    int   = 256,        # (paper: 8192 and 512)
        width:          int | None = None,  # alias of channel_max (what --width sets); wins when given
        mbstd_group:    int   = 4,          # minibatch-std group size (ProGAN section 3); 0 = off
        level:          float | None = None,  # initial level of detail; None = fully grown
        classify:       bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        channel_max = channel_max if width is None else width
        _check(resolution, level, {"channels": channels, "c_dim": c_dim, "channel_base": channel_base,
                                   "channel_max" if width is None else "width": channel_max,
                                   "mbstd_group": mbstd_group})
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels)
        sizes = [4 * 2**k for k in range(resolution.bit_length() - 2)]
        width_at = [channels_at(res, channel_base, channel_max) for res in sizes]
        self.lod = LevelOfDetail(len(sizes) - 1, level)
        self.from_rgb = nn.ModuleList([EqualConv2d(channels, width_at[k], 1, activation=True)
                                       for k in range(len(sizes))])
        self.blocks = nn.ModuleList([DiscriminatorBlock(width_at[k], width_at[k - 1])
                                     for k in range(1, len(sizes))])                # block k-1: stage k -> k-1
        self.mbstd = MinibatchStd(mbstd_group, 1) if mbstd_group > 0 else None
        self.conv = EqualConv2d(width_at[0] + (1 if mbstd_group > 0 else 0), width_at[0], 3, activation=True)
        self.fc = EqualLinear(width_at[0] * 16, width_at[0], activation=True)
        self.out = EqualLinear(width_at[0], 1)
        self.projection = ClassProjection(c_dim, width_at[0]) if c_dim > 0 else None
        self._classifier_head(classify, width_at[0])

    def set_level(self, level: float) -> None:
        self.lod.set(level)

    def inactive_parameter_names(self) -> set[str]:
        """Parameters the current level leaves out of the computation (they get no gradient)."""
        return _inactive(self, {"blocks": 1, "from_rgb": 0}, self.lod)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        stage, fading = self.lod.stage, self.lod.fading
        factor = 2 ** (self.lod.max_level - stage)
        x = F.avg_pool2d(images, factor) if factor > 1 else images                  # the current stage's size
        if fading:                                    # the new stage's path fades in over the previous one's
            alpha = self.lod.alpha().to(x.dtype)
            low = F.avg_pool2d(x, 2)
            h = torch.lerp(self.from_rgb[stage - 1](low), self.blocks[stage - 1](self.from_rgb[stage](x)), alpha)
            stage -= 1
        else:
            h = self.from_rgb[stage](x)
        for k in range(stage, 0, -1):
            h = self.blocks[k - 1](h)                                               # (N, C4, 4, 4) at the end
        if self.mbstd is not None:
            h = self.mbstd(h)
        h = self.fc(self.conv(h).flatten(1))                                        # (N, C4)
        logits = self.out(h).flatten()
        if self.projection is not None:
            logits = logits + self.projection(h, labels)
        return logits
