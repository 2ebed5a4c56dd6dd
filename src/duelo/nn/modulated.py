"""Equalised learning-rate layers and the modulated convolution of StyleGAN2.

Equalised learning rate (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs", section 4.1):
weights are *stored* as N(0, 1) / lr_multiplier and multiplied at run time by the He constant
gain = lr_multiplier / sqrt(fan_in). Adam's update is invariant to the scale of a parameter, so every
layer then learns at the same speed whatever its fan-in; lr_multiplier < 1 slows a layer down (StyleGAN
uses 0.01 for the mapping network, Karras, Laine & Aila 2019, appendix C).

Modulated convolution (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN",
section 2.2): a per-sample style s (N, in) scales the input channels of the weight,
    w'_ijk = s_i * w_ijk                                   (eq. 1)
and demodulation rescales every output channel back to unit expected standard deviation,
    w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps)      (eq. 3)
which replaces AdaIN's instance normalisation (no more "droplet" artefacts). The per-sample weights are
applied in one grouped convolution (groups = N, section 2.2 "implementation"), or, equivalently, by
scaling the activations before and after one shared convolution (`fused=False`). ModulatedConv2d takes
the fused form in eval mode only: training runs the unfused one, much faster on cuDNN (as StyleGAN2's
own code does), and so does export, where the group count cannot follow a symbolic batch size.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from duelo.nn.resample import upsample2x_bilinear

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)   # keeps the activation variance of leaky ReLU(0.2) ~ that of the identity
DEMOD_EPSILON = 1e-8


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU(0.2) times sqrt(2), the activation of every StyleGAN layer."""
    return F.leaky_relu(x, LRELU_SLOPE) * LRELU_GAIN


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalise every feature vector (dim 1: a row, or a pixel's channels) to unit second moment
    (Karras et al. 2018, "Progressive Growing of GANs", section 4.2)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def _exporting() -> bool:
    return bool(torch.onnx.is_in_onnx_export() or torch.compiler.is_exporting())


class EqualLinear(nn.Module):
    """y = x @ (W * gain)^T + b * lr_multiplier, optionally followed by lrelu; W stored ~ N(0, 1/lr_mul^2)."""

    def __init__(self,
        in_features:   int,                 # input size (the fan-in of the He constant)
        out_features:  int,                 # output size
        bias_init:     float = 0.0,         # initial bias (1 for style affines: styles start at 1)
        lr_multiplier: float = 1.0,         # learning-rate multiplier (0.01 in the mapping network)
        activation:    bool  = False,       # apply lrelu (leaky ReLU 0.2 * sqrt 2) after the bias
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_multiplier))
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.activation = activation

    def extra_repr(self) -> str:
        return (f"{self.weight.shape[1]}, {self.weight.shape[0]}, gain={self.weight_gain:.4g}, "
                f"activation={self.activation}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)
        return lrelu(y) if self.activation else y


class EqualConv2d(nn.Module):
    """k x k convolution (same-padded by default) with equalised learning rate, optional bias and lrelu."""

    def __init__(self,
        in_channels:  int,                  # input channels
        out_channels: int,                  # output channels
        kernel_size:  int,                  # odd kernel size (1 or 3)
        bias:         bool = True,          # learned bias, initialised 0
        activation:   bool = False,         # apply lrelu after the bias
        stride:       int  = 1,             # 2: a downsampling convolution (after a FirFilter blur)
        padding:      int | None = None,    # None = same padding (kernel_size // 2)
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.padding = kernel_size // 2 if padding is None else int(padding)
        self.stride = int(stride)
        self.activation = activation

    def extra_repr(self) -> str:
        out, inp, k, _ = self.weight.shape
        return (f"{inp}, {out}, kernel_size={k}, stride={self.stride}, padding={self.padding}, "
                f"gain={self.weight_gain:.4g}, activation={self.activation}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, self.weight * self.weight_gain, self.bias, stride=self.stride, padding=self.padding)
        return lrelu(y) if self.activation else y


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     fused: bool = True) -> torch.Tensor:
    """x (N, I, H, W), weight (O, I, k, k) already scaled, styles (N, I) -> (N, O, H, W), same padding.

    fused=True: one grouped convolution with per-sample weights (N*O, I, k, k), groups=N (eqs. 1 and 3).
    fused=False: x * s -> shared conv -> * d, with d the demodulation factor of eq. 3; equal in exact maths.
    """
    n, in_channels, height, width = x.shape
    out_channels, _, k, _ = weight.shape
    padding = k // 2
    if not fused:
        y = F.conv2d(x * styles.view(n, in_channels, 1, 1), weight, padding=padding)        # (N, O, H, W)
        if demodulate:                                # sum_{i,k} (s_i w_oik)^2 = sum_i s_i^2 sum_k w_oik^2
            sums = styles.square() @ weight.square().sum(dim=(2, 3)).t()                     # (N, O)
            y = y * (sums + DEMOD_EPSILON).rsqrt().view(n, out_channels, 1, 1)
        return y
    w = weight.unsqueeze(0) * styles.view(n, 1, in_channels, 1, 1)                  # (N, O, I, k, k) eq. 1
    if demodulate:
        w = w * (w.square().sum(dim=(2, 3, 4), keepdim=True) + DEMOD_EPSILON).rsqrt()       # eq. 3
    y = F.conv2d(x.reshape(1, n * in_channels, height, width), w.reshape(n * out_channels, in_channels, k, k),
                 padding=padding, groups=n)                                                 # (1, N*O, H, W)
    return y.reshape(n, out_channels, height, width)


class ModulatedConv2d(nn.Module):
    """Style-modulated k x k convolution: an affine map A turns w into styles s (initialised s = 1), then
    modulated_conv2d. Optional x2 bilinear upsampling before the convolution."""

    def __init__(self,
        in_channels:  int,                  # input channels
        out_channels: int,                  # output channels
        kernel_size:  int,                  # 3 for the synthesis convolutions, 1 for toRGB
        w_dim:        int,                  # size of the intermediate latent w
        demodulate:   bool = True,          # eq. 3 (off for toRGB, as in the paper)
        upsample:     bool = False,         # bilinear x2 before the convolution
    ):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.demodulate = demodulate
        self.upsample = upsample

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = upsample2x_bilinear(x)
        styles = self.affine(w)                                                              # (N, I)
        weight = self.weight * self.weight_gain
        # training takes the unfused form, as StyleGAN2's own code does: one dense convolution shared by the
        # batch runs much faster forwards and backwards than N groups of per-sample weights (cuDNN's grouped
        # backward kernels were the second-heaviest of a training step on an H100)
        fused = not self.training and not _exporting()
        return modulated_conv2d(x, weight, styles, self.demodulate, fused=fused)


class NoiseInput(nn.Module):
    """Adds strength * noise per pixel (one noise map shared by all channels; Karras et al. 2019, section 2).

    The strength starts at 0. mode "random": fresh torch.randn noise; "const": a fixed noise map drawn at
    construction (a buffer, saved with the model) of the layer's size: `size` is (height, width), or one int for a
    square layer; "none": no noise. While `given` is set (duelo.nn.seeded_noise, what sampling uses), "const"
    adds those maps, each sample its own, instead of the map shared by every sample.
    """

    def __init__(self, size: int | tuple[int, int]):
        super().__init__()
        height, width = (size, size) if isinstance(size, int) else size
        self.strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("const_noise", torch.randn(1, 1, height, width))
        self.given: torch.Tensor | None = None          # (N, 1, H, W) while per_sample_noise is active

    def forward(self, x: torch.Tensor, mode: str) -> torch.Tensor:
        if mode == "none":
            return x
        if mode == "random":
            noise = torch.randn_like(x[:, :1])                                              # (N, 1, H, W)
        elif self.given is not None:
            noise = self.given.to(x.dtype)
        else:
            noise = self.const_noise.to(x.dtype)
        return x + noise * self.strength
