"""`r3gan`: the modernised baseline of Huang, Gokaslan, Kuleshov & Tompkin 2024, "The GAN is dead; long live the
GAN! A Modern GAN Baseline" (NeurIPS 2024), section 4, config E, written from the paper's text.

Both networks are plain residual ConvNets without any normalisation, built from one block (ResNeXt-style
inverted bottleneck, ConvNeXt's "modernisation" without depthwise convolutions):
  block        x + conv1x1(lrelu(grouped conv3x3(lrelu(conv1x1(x)))))   widths C -> eC -> eC -> C,
               e = `expansion` (paper: 2), the 3x3 convolution in groups of `group_channels` channels (paper: 16),
               leaky ReLU slope 0.2 (as in the paper), biases everywhere, nothing after the addition.
  fix-up init  (Zhang, Dauphin & Ma 2019): the last convolution of every residual branch starts at zero, so every
               block starts as the identity; the branch's other convolutions get He initialisation scaled by
               L^(-1/(2m - 2)) = L^(-1/4), with L the network's number of blocks and m = 3 convolutions per branch.
  transitions  between stages of different resolution: G upsamples x2 and changes width with a 1x1 convolution;
               D changes width with a 1x1 convolution and downsamples x2. Resampling is linear interpolation with
               the [1, 2, 1] low-pass filter: up = zero insertion then [1, 2, 1] / 2 per axis, down = [1, 2, 1] / 4
               per axis then every other sample (the border sample repeated).
Generator: z [++ class embedding] -> linear layer -> C4 coefficients that weight a learned 4x4 basis (one 4x4 map
  per channel) -> stages 4, 8, ..., R (a transition, then `blocks_per_stage` blocks) -> conv1x1 to `channels`.
Discriminator: conv1x1 from `channels` -> stages R, ..., 4 (`blocks_per_stage` blocks, then a transition) -> the
  4x4 basis layer (a depthwise 4x4 convolution down to 1x1) -> linear (-> 1), plus the projection term
  <embed(y), h> of Miyato & Koyama 2018 on those C4 features h when c_dim > 0.
Non-square images (`aspect`, duelo.aspect): G's basis and D's basis layer are h0 x w0 instead of 4x4, so every
"s x s" grid above is (s h0/4) x (s w0/4); the resampling filters work on any even size.

Departures from the paper (documented in docs/models.md):
  * widths follow duelo's rule min(channel_base // res, channel_max), 256 at most by default: a 64x64 model has a
    few million parameters per network, comparable to duelo's stylegan2; the paper's networks are far wider;
  * G's output is left linear in training mode (D sees it unbounded, as in the paper) and clamped to [-1, 1] in
    eval mode, duelo's contract for what users get;
  * each transition runs its 1x1 convolution on the coarser grid (before G's upsampling, after D's downsampling):
    both operators are linear and the filter's taps sum to 1, so the two orders give the same function;
  * the losses (RpGAN with R1 and R2), the learning-rate and gamma schedules, EMA and augmentation are training
    settings, not part of the model (`--preset r3gan`).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from duelo.aspect import SQUARE, parse_aspect
from duelo.errors import ConfigError
from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, channels_at,
                               check_labels, check_resolution, check_sizes)
from duelo.nn.conditioning import ClassProjection, LabelEmbedding

SLOPE = 0.2                                                  # leaky ReLU slope of every activation
_LRELU_GAIN = math.sqrt(2.0 / (1.0 + SLOPE**2))               # He gain for a layer followed by lrelu(0.2)


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, SLOPE)


def _init(layer: nn.Module, gain: float = 1.0) -> nn.Module:
    """Weights ~ N(0, (gain / sqrt(fan_in))^2), bias 0: gain 1 keeps a linear layer's output variance, _LRELU_GAIN
    a layer followed by leaky ReLU (He et al. 2015); gain 0 gives a zero layer."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    nn.init.zeros_(layer.bias)
    return layer


def _upsample_axis(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Double `dim` by linear interpolation: out[2i] = x[i], out[2i + 1] = (x[i] + x[i + 1]) / 2, i.e. zero
    insertion then [1, 2, 1] / 2, with the last sample repeated."""
    n = x.shape[dim]
    following = torch.cat([x.narrow(dim, 1, n - 1), x.narrow(dim, n - 1, 1)], dim=dim)    # x[i + 1], clamped
    return torch.stack([x, 0.5 * (x + following)], dim=dim + 1).flatten(dim, dim + 1)


def _downsample_axis(x: torch.Tensor, dim: int) -> torch.Tensor:
    """Halve `dim`: out[j] = (x[2j - 1] + 2 x[2j] + x[2j + 1]) / 4, i.e. [1, 2, 1] / 4 then every other sample,
    with the first sample repeated (x[-1] = x[0])."""
    pairs = x.unflatten(dim, (x.shape[dim] // 2, 2))
    even, odd = pairs.select(dim + 1, 0), pairs.select(dim + 1, 1)                         # x[2j], x[2j + 1]
    previous = torch.cat([even.narrow(dim, 0, 1), odd.narrow(dim, 0, odd.shape[dim] - 1)], dim=dim)
    return 0.25 * previous + 0.5 * even + 0.25 * odd


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, 2H, 2W) by the [1, 2, 1] interpolation filter (see _upsample_axis)."""
    return _upsample_axis(_upsample_axis(x, 2), 3)


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H/2, W/2) by the [1, 2, 1] low-pass filter (see _downsample_axis)."""
    return _downsample_axis(_downsample_axis(x, 2), 3)


class ResidualBlock(nn.Module):
    """x + project(lrelu(spatial(lrelu(expand(x))))), C -> eC -> eC (grouped 3x3) -> C, fix-up initialised."""

    def __init__(self, width: int, hidden: int, groups: int, scale: float):
        super().__init__()
        self.expand = _init(nn.Conv2d(width, hidden, 1), _LRELU_GAIN * scale)
        self.spatial = _init(nn.Conv2d(hidden, hidden, 3, padding=1, groups=groups), _LRELU_GAIN * scale)
        self.project = _init(nn.Conv2d(hidden, width, 1), 0.0)           # the block starts as the identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(_lrelu(self.spatial(_lrelu(self.expand(x)))))


def _widths(resolution, channel_base, channel_max, width, expansion, group_channels, extra: dict) -> dict[int, int]:
    """Check every argument; return {stage size: width} for the sizes 4 .. resolution."""
    check_resolution("r3gan", resolution, 8)
    channel_max = channel_max if width is None else width
    check_sizes("r3gan", **extra, channel_base=channel_base,
                **{"channel_max" if width is None else "width": channel_max},
                expansion=expansion, group_channels=group_channels)
    widths = {2**k: channels_at(2**k, channel_base, channel_max) for k in range(2, resolution.bit_length())}
    for size, stage_width in widths.items():
        hidden = stage_width * expansion
        if hidden > group_channels and hidden % group_channels:
            raise ConfigError(f"r3gan: the {size}x{size} stage's bottleneck has {hidden} channels (width "
                              f"{stage_width} x expansion {expansion}), which do not split into groups of "
                              f"group_channels={group_channels}; choose widths that are multiples of "
                              f"{group_channels // math.gcd(group_channels, expansion)} (powers of two work)")
    return widths


def _blocks(width: int, expansion: int, group_channels: int, count: int, scale: float) -> nn.Sequential:
    hidden = width * expansion
    groups = max(1, hidden // group_channels)    # a bottleneck narrower than one group is a single group
    return nn.Sequential(*[ResidualBlock(width, hidden, groups, scale) for _ in range(count)])


@GENERATORS.register("r3gan", linear_output=True, aspects=True)
class R3GANGenerator(Generator):
    """z [++ class embedding] -> 4x4 basis -> residual stages 4 .. R with [1, 2, 1] upsampling transitions ->
    conv1x1 (Huang et al. 2024, config E). Linear output in training mode, clamped to [-1, 1] in eval mode."""

    def __init__(self,
        resolution:       int,                # output size (the long side): a power of two >= 8
        channels:         int,                # output channels (1 grey, 3 RGB, 4 RGBA)
        c_dim:            int   = 0,          # number of classes; 0 = unconditional
        z_dim:            int   = 128,        # latent size
        channel_base:     int   = 8192,       # stage width = min(channel_base // res, channel_max)
        channel_max:      int   = 256,        # (as duelo's stylegan2)
        width:            int | None = None,  # alias of channel_max (what --width sets); wins when given
        blocks_per_stage: int   = 2,          # residual blocks at every resolution
        expansion:        int   = 2,          # bottleneck width / stage width (inverted bottleneck; paper: 2)
        group_channels:   int   = 16,         # channels per group of the 3x3 convolutions (paper: 16)
        embed_dim:        int   = 64,         # class embedding size, concatenated to z (c_dim > 0)
        aspect:           str   = SQUARE,     # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
    ):
        widths = _widths(resolution, channel_base, channel_max, width, expansion, group_channels,
                         {"channels": channels, "c_dim": c_dim, "z_dim": z_dim,
                          "blocks_per_stage": blocks_per_stage, "embed_dim": embed_dim})
        grid = parse_aspect(aspect, "r3gan: aspect")                      # (h0, w0); (4, 4) when square
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        scale = (len(widths) * blocks_per_stage) ** -0.25                 # fix-up: L^(-1/(2m - 2)), m = 3
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        self.coefficients = _init(nn.Linear(z_dim + (embed_dim if c_dim > 0 else 0), widths[4]))
        self.basis = nn.Parameter(torch.randn(widths[4], *grid))           # one learned h0 x w0 map per channel
        sizes = sorted(widths)
        self.transitions = nn.ModuleList([_init(nn.Conv2d(widths[size // 2], widths[size], 1))
                                          for size in sizes[1:]])          # run before the upsampling
        self.stages = nn.ModuleList([_blocks(widths[size], expansion, group_channels, blocks_per_stage, scale)
                                     for size in sizes])
        self.to_image = _init(nn.Conv2d(widths[resolution], channels, 1))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, z.shape[0])
        if self.embed is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)
        x = self.basis * self.coefficients(z)[:, :, None, None]             # (N, C4, h0, w0)
        x = self.stages[0](x)
        for transition, stage in zip(self.transitions, self.stages[1:]):
            x = stage(upsample2x(transition(x)))                              # (N, C, 2H, 2W)
        x = self.to_image(x)                                                  # (N, channels, H, W)
        return x if self.training else x.clamp(-1.0, 1.0)


@DISCRIMINATORS.register("r3gan", aspects=True)
class R3GANDiscriminator(Discriminator):
    """conv1x1 -> residual stages R .. 4 with [1, 2, 1] downsampling transitions -> depthwise 4x4 basis layer ->
    linear (-> 1), plus the projection term <embed(y), h> when c_dim > 0 (Huang et al. 2024, config E)."""

    def __init__(self,
        resolution:       int,                # input size (the long side): a power of two >= 8
        channels:         int,                # input channels (1 grey, 3 RGB, 4 RGBA)
        c_dim:            int   = 0,          # number of classes; 0 = unconditional (> 0: projection term)
        channel_base:     int   = 8192,       # stage width = min(channel_base // res, channel_max)
        channel_max:      int   = 256,
        width:            int | None = None,  # alias of channel_max (what --width sets); wins when given
        blocks_per_stage: int   = 2,          # residual blocks at every resolution
        expansion:        int   = 2,          # bottleneck width / stage width
        group_channels:   int   = 16,         # channels per group of the 3x3 convolutions
        aspect:           str   = SQUARE,     # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
        classify:         bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        widths = _widths(resolution, channel_base, channel_max, width, expansion, group_channels,
                         {"channels": channels, "c_dim": c_dim, "blocks_per_stage": blocks_per_stage})
        grid = parse_aspect(aspect, "r3gan: aspect")                      # (h0, w0) of the last grid
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        scale = (len(widths) * blocks_per_stage) ** -0.25
        sizes = sorted(widths, reverse=True)                                  # R, R/2, ..., 4
        self.from_image = _init(nn.Conv2d(channels, widths[resolution], 1))
        self.stages = nn.ModuleList([_blocks(widths[size], expansion, group_channels, blocks_per_stage, scale)
                                     for size in sizes])
        self.transitions = nn.ModuleList([_init(nn.Conv2d(widths[size], widths[size // 2], 1))
                                          for size in sizes[:-1]])            # run after the downsampling
        self.basis = _init(nn.Conv2d(widths[4], widths[4], grid, groups=widths[4]))   # depthwise h0 x w0 -> 1x1
        self.out = _init(nn.Linear(widths[4], 1))
        self.projection = ClassProjection(c_dim, widths[4]) if c_dim > 0 else None
        self._classifier_head(classify, widths[4])

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        x = self.from_image(images)                                           # (N, C_R, H, W)
        for stage, transition in zip(self.stages, self.transitions):
            x = transition(downsample2x(stage(x)))                            # (N, C, H/2, W/2)
        h = self.basis(self.stages[-1](x)).flatten(1)                         # (N, C4)
        logits = self.out(h).flatten()                                        # (N,)
        if self.projection is not None:
            logits = logits + self.projection(h, labels)
        return logits
