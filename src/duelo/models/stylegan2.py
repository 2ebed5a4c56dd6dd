"""`stylegan2`: StyleGAN2 with skip generator and residual discriminator (Karras, Laine, Aittala, Hellsten,
Lehtinen & Aila 2020, "Analyzing and Improving the Image Quality of StyleGAN"; conditioning as in Karras
et al. 2020, "Training Generative Adversarial Networks with Limited Data", StyleGAN2-ADA).

Generator = mapping network + synthesis network (paper section 2 and figure 2d):
  mapping    z -> pixel norm [-> concat pixel-normed class embedding] -> mapping_layers x EqualLinear
             (leaky ReLU 0.2, lr multiplier 0.01) -> w, broadcast to num_ws = 2 log2(R) - 2 copies.
             A running mean `w_avg` (updated in training mode) gives the truncation trick (StyleGAN 2019,
             appendix B): w' = w_avg + psi (w - w_avg).
  synthesis  learned constant 4x4 -> per resolution [modulated/demodulated conv3x3 (eqs. 1-3), noise, bias,
             lrelu] (the first one at each doubling upsamples x2) -> toRGB (modulated 1x1, no demodulation)
             summed over resolutions through bilinear x2 upsampling: the "skip" generator of figure 7.
Discriminator = the "residual" D of figure 7: fromRGB 1x1 at full resolution, then per resolution
  [conv3x3 -> lrelu -> conv3x3 (x1/2) -> lrelu] + [x1/2 -> conv1x1], summed and scaled by 1/sqrt(2), down to
  4x4; epilogue: minibatch std -> conv3x3 -> flatten -> linear -> linear(-> 1), plus a projection term
  <embed(y), features> (Miyato & Koyama 2018) when c_dim > 0.

Resampling follows the paper's [1 3 3 1] FIR filter: G's x2 upsampling is bilinear interpolation, which is
zero insertion followed by that filter (duelo.nn.resample; the border pixel is repeated where the paper pads
with zeros); D downsamples with the filter itself (resample="fir": a blur then a stride-2 3x3 convolution in
the main branch, a filtered x2 downsampling before the 1x1 skip convolution, as in the paper's code).

Non-square images (`aspect`, duelo.aspect): the learned constant is h0 x w0 instead of 4x4 and D's epilogue
flattens h0 x w0 features, so every "s x s" grid above is (s h0/4) x (s w0/4); noise maps follow each layer's size.

Departures from the paper (documented in docs/models.md):
  * the output goes through tanh by default (the paper's is linear). output="linear" gives the paper's: linear
    while training and clamped to [-1, 1] in eval mode (duelo's model contract). Measured on the Fluent emoji at
    64 px (docs/benchmarks.md), the linear output trained far worse: images whose background is exactly white
    (+1) put a wall at the edge of the data's range, D learns at once that any value above it is fake, and G
    retreated into dark images; tanh keeps G inside the range by construction;
  * widths are min(channel_base / res, channel_max) with smaller defaults (8192 and 256; paper: 32768 and 512),
    latents of 128 (paper: 512); the mapping network has the paper's 8 layers;
  * resample="box" (2x2 average pooling after the activation, duelo <= 0.1) remains for saved models;
  * style mixing (section 2 of StyleGAN 2019, p = 0.9) mixes with the w of the batch's next latent
    (z rolled by one, same labels), at a crossover layer drawn by a hash of z: deterministic, no host sync;
  * path-length regularisation (section 3.2) and lazy regularisation belong to the training loss and are
    not part of the model.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from duelo.aspect import SQUARE, parse_aspect, stage_size
from duelo.errors import ConfigError
from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, channels_at,
                               check_labels, check_resolution, check_sizes)
from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.nn.minibatch_std import MinibatchStd
from duelo.nn.modulated import EqualConv2d, EqualLinear, ModulatedConv2d, NoiseInput, lrelu, pixel_norm
from duelo.nn.resample import FirFilter, upsample2x_bilinear

NOISE_MODES = ("auto", "random", "const", "none")
OUTPUTS = ("linear", "tanh")          # G's last step: see the module docstring
RESAMPLES = ("fir", "box")            # D's downsampling: see the module docstring


def _check_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"stylegan2: {field} must be one of {', '.join(choices)} (got {value!r})")


def _check_common(resolution, integers: dict, floats: dict | None = None) -> None:
    check_resolution("stylegan2", resolution, 8)
    check_sizes("stylegan2", **integers)
    for field, (value, low, high) in (floats or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ConfigError(f"stylegan2: {field} must be a number in [{low}, {high}] (got {value!r})")


class SynthesisLayer(nn.Module):
    """Modulated conv3x3 (optionally upsampling) -> noise -> bias -> lrelu."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, size: tuple[int, int], upsample: bool):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, upsample=upsample)
        self.noise = NoiseInput(size)                                   # (height, width) of this layer
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        x = self.noise(self.conv(x, w), noise_mode)
        return lrelu(x + self.bias.view(1, -1, 1, 1))


class ToRGB(nn.Module):
    """Modulated conv1x1 without demodulation, plus bias (no activation)."""

    def __init__(self, in_channels: int, channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1)


@GENERATORS.register("stylegan2", style=True, linear_output=True, aspects=True)   # linear: with output="linear"
class StyleGAN2Generator(Generator):
    """Mapping network z (+ class) -> w, synthesis network ws -> image (Karras et al. 2020, figure 2d and the
    skip architecture of figure 7), tanh (or linear) output. forward(z, labels, psi) = synthesis(mapping(...))."""

    def __init__(self,
        resolution:     int,                # output size (the long side): a power of two >= 8
        channels:       int,                # output channels (1 grey, 3 RGB)
        c_dim:          int   = 0,          # number of classes; 0 = unconditional
        z_dim:          int   = 128,        # latent size (paper: 512)
        w_dim:          int   = 128,        # intermediate latent size (paper: 512)
        mapping_layers: int   = 8,          # depth of the mapping MLP (paper: 8; StyleGAN2-ADA's small configs: 2)
        channel_base:   int   = 8192,       # stage width = min(channel_base // res, channel_max)
        channel_max:    int   = 256,        # (paper: 32768 and 512)
        width:          int | None = None,  # alias of channel_max (what --width sets); wins when given
        embed_dim:      int   = 128,        # class embedding size, concatenated to the normalised z
        w_avg_beta:     float = 0.995,      # decay of the tracked mean of w (truncation centre)
        mixing_prob:    float = 0.9,        # style-mixing probability in training mode; 0 = off
        noise_mode:     str   = "auto",     # "auto" (random in train, const in eval), "random", "const",
                                            # or "none"
        output:         str   = "tanh",     # "tanh" or "linear" (the paper's; clamped to [-1, 1] in eval mode)
        aspect:         str   = SQUARE,     # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
    ):
        channel_max = channel_max if width is None else width
        _check_common(resolution,
                      {"channels": channels, "c_dim": c_dim, "z_dim": z_dim, "w_dim": w_dim,
                       "mapping_layers": mapping_layers, "channel_base": channel_base,
                       "channel_max" if width is None else "width": channel_max, "embed_dim": embed_dim},
                      {"w_avg_beta": (w_avg_beta, 0.0, 1.0), "mixing_prob": (mixing_prob, 0.0, 1.0)})
        _check_choice("noise_mode", noise_mode, NOISE_MODES)
        _check_choice("output", output, OUTPUTS)
        grid = parse_aspect(aspect, "stylegan2: aspect")                           # (h0, w0); (4, 4) when square
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        self.output = output
        self.w_dim = w_dim
        self.w_avg_beta = float(w_avg_beta)
        self.mixing_prob = float(mixing_prob)
        self.noise_mode = noise_mode
        log2 = resolution.bit_length() - 1
        self.num_ws = 2 * log2 - 2

        # mapping network
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        features = z_dim + (embed_dim if c_dim > 0 else 0)
        self.mapping_net = nn.Sequential(*[
            EqualLinear(features if i == 0 else w_dim, w_dim, lr_multiplier=0.01, activation=True)
            for i in range(mapping_layers)])
        self.register_buffer("w_avg", torch.zeros(w_dim))

        # synthesis network
        width_at = {2**k: channels_at(2**k, channel_base, channel_max) for k in range(2, log2 + 1)}
        self.const = nn.Parameter(torch.randn(width_at[4], *grid))
        layers: list[nn.Module] = [SynthesisLayer(width_at[4], width_at[4], w_dim, grid, upsample=False)]
        to_rgb: list[nn.Module] = [ToRGB(width_at[4], channels, w_dim)]
        for k in range(3, log2 + 1):
            res = 2**k
            size = stage_size(res, grid)
            layers.append(SynthesisLayer(width_at[res // 2], width_at[res], w_dim, size, upsample=True))
            layers.append(SynthesisLayer(width_at[res], width_at[res], w_dim, size, upsample=False))
            to_rgb.append(ToRGB(width_at[res], channels, w_dim))
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleList(to_rgb)

    def _map(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        x = pixel_norm(z)
        if self.embed is not None:
            x = torch.cat([x, pixel_norm(self.embed(labels))], dim=1)
        return self.mapping_net(x)                                                  # (N, w_dim)

    def mapping(self, z: torch.Tensor, labels: torch.Tensor | None = None, psi: float = 1.0) -> torch.Tensor:
        """z (N, z_dim) [, labels (N,)] -> ws (N, num_ws, w_dim). Training mode also updates w_avg and
        applies style mixing; psi != 1 truncates towards w_avg."""
        check_labels(self, labels, z.shape[0])
        w = self._map(z, labels)
        if self.training:
            with torch.no_grad():                                                   # running mean of w
                self.w_avg.copy_(w.detach().float().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if psi != 1:
            w = self.w_avg.to(w.dtype).lerp(w, psi)
        ws = w.unsqueeze(1).expand(-1, self.num_ws, -1)                             # (N, num_ws, w_dim)
        if self.training and self.mixing_prob > 0:
            ws = self._mix(z, labels, ws, psi)
        return ws

    def _mix(self, z: torch.Tensor, labels: torch.Tensor | None, ws: torch.Tensor,
             psi: float) -> torch.Tensor:
        """Style mixing: from a crossover layer on, use the w of the batch's next latent (same labels).
        The coin and the crossover come from a hash of z: reproducible for a given z, free of host
        syncs."""
        other = self._map(z.roll(1, dims=0), labels)
        if psi != 1:
            other = self.w_avg.to(other.dtype).lerp(other, psi)
        with torch.autocast(z.device.type, enabled=False):   # float32: in bf16 the fractions would all be 0
            phase = z.detach().float() @ torch.linspace(1.0, 2.0, z.shape[1], device=z.device)   # (N,)
            coin = torch.frac(torch.sin(phase * 12.9898).abs() * 43758.5453)       # ~U[0, 1) per sample
            cut_u = torch.frac(torch.sin(phase * 78.233).abs() * 24634.6345)
        cutoff = torch.where(coin < self.mixing_prob, 1 + (cut_u * (self.num_ws - 1)).floor(),
                             torch.full_like(coin, float(self.num_ws)))            # num_ws = no mixing
        index = torch.arange(self.num_ws, device=z.device, dtype=cutoff.dtype)
        take_other = (index.unsqueeze(0) >= cutoff.unsqueeze(1)).unsqueeze(2)      # (N, num_ws, 1)
        return torch.where(take_other, other.unsqueeze(1), ws)

    def _noise_mode(self) -> str:
        if self.noise_mode == "auto":
            return "random" if self.training else "const"
        return self.noise_mode

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """ws (N, num_ws, w_dim) -> images (N, channels, H, W): in [-1, 1] in eval mode; while training, a linear
        output may overshoot (D sees it as it is, as in the paper)."""
        mode = self._noise_mode()
        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)                 # (N, C4, h0, w0)
        x = self.layers[0](x, ws[:, 0], mode)
        image = self.to_rgb[0](x, ws[:, 1])
        for stage in range(1, len(self.to_rgb)):                                    # one stage per doubling
            x = self.layers[2 * stage - 1](x, ws[:, 2 * stage - 1], mode)           # upsampling conv
            x = self.layers[2 * stage](x, ws[:, 2 * stage], mode)
            image = upsample2x_bilinear(image)
            image = image + self.to_rgb[stage](x, ws[:, 2 * stage + 1])
        if self.output == "tanh":
            return torch.tanh(image)
        return image if self.training else image.clamp(-1.0, 1.0)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None, psi: float = 1.0) -> torch.Tensor:
        return self.synthesis(self.mapping(z, labels, psi))


class DiscriminatorBlock(nn.Module):
    """Residual block, the sum scaled by 1/sqrt 2. resample="fir": [conv3x3 -> lrelu -> blur -> conv3x3 stride 2
    -> lrelu] + [FIR x1/2 -> conv1x1]; "box": [conv3x3 -> lrelu -> conv3x3 -> lrelu -> avgpool] + [avgpool ->
    conv1x1]."""

    def __init__(self, in_channels: int, out_channels: int, resample: str = "fir"):
        super().__init__()
        fir = resample == "fir"
        self.conv1 = EqualConv2d(in_channels, in_channels, 3, activation=True)
        self.blur = FirFilter(pad=2) if fir else None
        self.conv2 = EqualConv2d(in_channels, out_channels, 3, activation=True, stride=2 if fir else 1,
                                 padding=0 if fir else None)
        self.down = FirFilter(pad=1, stride=2) if fir else nn.AvgPool2d(2)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x)
        h = self.conv2(self.blur(h)) if self.blur is not None else nn.functional.avg_pool2d(self.conv2(h), 2)
        return (h + self.skip(self.down(x))) / math.sqrt(2.0)


@DISCRIMINATORS.register("stylegan2", mbstd="built-in", legacy=(("resample", "box"),), aspects=True)
class StyleGAN2Discriminator(Discriminator):
    """fromRGB -> residual blocks R .. 8 -> 4x4 epilogue [mbstd -> conv3x3 -> linear -> linear(-> 1)], plus
    the projection term <embed(y), h> on the epilogue features h when c_dim > 0 (figure 7, "residual" D)."""

    def __init__(self,
        resolution:     int,                # input size (the long side): a power of two >= 8
        channels:       int,                # input channels (1 grey, 3 RGB)
        c_dim:          int   = 0,          # number of classes; 0 = unconditional (> 0: projection term)
        channel_base:   int   = 8192,       # stage width = min(channel_base // res, channel_max)
        channel_max:    int   = 256,        # (paper: 32768 and 512)
        width:          int | None = None,  # alias of channel_max (what --width sets); wins when given
        mbstd_group:    int   = 4,          # minibatch-std group size (on, as in StyleGAN2); 0 = off
        mbstd_channels: int   = 1,          # channels added by minibatch std; divides the 4x4 width
        resample:       str   = "fir",      # downsampling: "fir" ([1 3 3 1], the paper) or "box" (duelo <= 0.1)
        aspect:         str   = SQUARE,     # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
        classify:       bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        channel_max = channel_max if width is None else width
        _check_common(resolution,
                      {"channels": channels, "c_dim": c_dim, "channel_base": channel_base,
                       "channel_max" if width is None else "width": channel_max,
                       "mbstd_group": mbstd_group, "mbstd_channels": mbstd_channels})
        _check_choice("resample", resample, RESAMPLES)
        self.resample = resample
        width4 = channels_at(4, channel_base, channel_max)
        if mbstd_group > 0 and width4 % mbstd_channels:
            raise ConfigError(f"stylegan2: mbstd_channels ({mbstd_channels}) must divide the 4x4 width "
                              f"({width4})")
        h0, w0 = parse_aspect(aspect, "stylegan2: aspect")                         # the epilogue's grid
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        log2 = resolution.bit_length() - 1
        self.from_rgb = EqualConv2d(channels, channels_at(resolution, channel_base, channel_max), 1,
                                    activation=True)
        self.blocks = nn.Sequential(*[
            DiscriminatorBlock(channels_at(2**k, channel_base, channel_max),
                               channels_at(2**(k - 1), channel_base, channel_max), resample)
            for k in range(log2, 2, -1)])                                           # R -> R/2, ..., 8 -> 4
        self.mbstd = MinibatchStd(mbstd_group, mbstd_channels) if mbstd_group > 0 else None
        extra = mbstd_channels if mbstd_group > 0 else 0
        self.conv = EqualConv2d(width4 + extra, width4, 3, activation=True)
        self.fc = EqualLinear(width4 * h0 * w0, width4, activation=True)
        self.out = EqualLinear(width4, 1)
        self.projection = ClassProjection(c_dim, width4) if c_dim > 0 else None
        self._classifier_head(classify, width4)

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        x = self.blocks(self.from_rgb(images))                                      # (N, C4, h0, w0)
        if self.mbstd is not None:
            x = self.mbstd(x)                                                       # (N, C4 + k, h0, w0)
        h = self.fc(self.conv(x).flatten(1))                                        # (N, C4)
        logits = self.out(h).flatten()                                              # (N,)
        if self.projection is not None:
            logits = logits + self.projection(h, labels)
        return logits
