"""The audio networks, written from two papers:

* WaveGAN (Donahue, McAuley & Puckette, ICLR 2019, "Adversarial Audio Synthesis"), drawing the waveform: DCGAN
  flattened to one dimension, z -> a dense layer -> (16 width, 16) -> five transposed convolutions (kernel 25,
  stride 4) to 16,384 samples -> tanh; the discriminator mirrors it with strided convolutions and "phase
  shuffle" (each layer's activations shifted by a random -2..2 samples, reflected at the edges) so that it
  cannot judge by the periodic artefacts of transposed convolutions.
* SpecGAN (the same paper) with GANSynth's (Engel et al., ICLR 2019) phase handling, drawing spectral pictures:
  log magnitude and instantaneous frequency (spectral.py) as two channels of a (N_FFT / 2, frames) image, by 2-D
  transposed convolutions (kernel 4, stride 2) from (F / 32, T / 32); the discriminator mirrors them. The layers
  that double (G) or halve (D) the picture can be swapped for nearest-neighbour or residual ones (layers.py).

Conditional models take one label per sample that stands for several factors (a note's instrument and pitch):
label = sum of factor_k * stride_k. Each factor has its own code in G (concatenated with z) and its own
projection term in D (Miyato & Koyama 2018), so "violin" and "C4" are learned once and combined. With
`classify`, D also has an auxiliary classifier head per factor (AC-GAN, Odena et al. 2017; GANSynth conditions
on pitch this way): D learns to name the factors of real clips and G is trained to make clips D names as asked;
with `twin` as well, D names G's clips' factors among classes of their own (ADC-GAN, Hou et al. 2022).
With `film`, G's label code also scales and shifts the channels of every hidden layer (FiLM, Perez et al. 2018:
BigGAN's class-conditional batch norm without the norm), so each layer can draw a note's instrument its own way
(its decay, its attack) rather than only from what the first layer was given; zero-initialised, it starts as the
plain G. With `noise`, every layer of a spectral G adds a fresh picture of Gaussian noise to its output, scaled per
channel by a learnt weight (StyleGAN's noise inputs, Karras et al. 2019): detail without structure, such as the
noise between a note's partials, need not be drawn from z; zero-initialised as well.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from duelo.nn.conditioning import ClassifierHead, ClassProjection, LabelEmbedding, split_labels
from duelo.tasks.audio.layers import DOWNSAMPLERS, DRAWING_LAYERS, UPSAMPLERS

SLOPE = 0.2
WAVE_KERNEL, WAVE_STRIDE, WAVE_LAYERS = 25, 4, 5
SPEC_LAYERS = 5
PHASE_SHUFFLE = 2


def combine_labels(parts, factors: tuple[int, ...]) -> int:
    label = 0
    for part, size in zip(parts, factors):
        label = label * size + int(part)
    return label


class FactorCode(nn.Module):
    """labels (N,) -> (N, embed_dim * factors): one LabelEmbedding per factor."""

    def __init__(self, factors: tuple[int, ...], embed_dim: int):
        super().__init__()
        self.factors = tuple(int(f) for f in factors)
        self.codes = nn.ModuleList(LabelEmbedding(size, embed_dim) for size in self.factors)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([code(part) for code, part in zip(self.codes, split_labels(labels, self.factors))], dim=1)


class FactorProjection(nn.Module):
    """The sum of one projection term per factor."""

    def __init__(self, factors: tuple[int, ...], features: int):
        super().__init__()
        self.factors = tuple(int(f) for f in factors)
        self.terms = nn.ModuleList(ClassProjection(size, features) for size in self.factors)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return sum(term(h, part) for term, part in zip(self.terms, split_labels(labels, self.factors)))


class _Judge(nn.Module):
    """What both discriminators share: features -> a logit, the projection terms, the optional classifier."""

    def _heads(self, features: int, factors, classify: bool, twin: bool = False) -> None:
        self.out = nn.Linear(features, 1)
        self.factors = tuple(int(f) for f in factors or ())
        self.c_dim = math.prod(self.factors) if self.factors else 0
        self.projection = FactorProjection(self.factors, features) if self.factors else None
        if classify and not self.factors:
            raise ValueError("an auxiliary classifier needs a conditional discriminator (label factors)")
        if twin and not classify:
            raise ValueError("a twin classifier (generated clips' classes too) needs classify=True")
        self.classifier = ClassifierHead(self.factors, features, twin) if classify else None

    def _logits(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        logits = self.out(h)[:, 0]
        if self.projection is not None:
            logits = logits + self.projection(h, labels)
        return logits

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self._logits(self.features(x), labels)

    def forward_with_class_loss(self, x: torch.Tensor, labels: torch.Tensor,
                                fake: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,) logits and (N,) the auxiliary classifier's cross-entropy of `labels` (summed over factors); with
        `fake` (a twin head), of the generated classes of `labels`."""
        h = self.features(x)
        return self._logits(h, labels), self.classifier(h, labels, fake)


class FiLM(nn.Module):
    """A label code (N, C) -> each channel of a (N, K, ...) feature map scaled and shifted: h * (1 + gamma) + beta.
    Zero-initialised, so it starts as the identity."""

    def __init__(self, code_dim: int, channels: int):
        super().__init__()
        self.map = nn.Linear(code_dim, 2 * channels)
        nn.init.zeros_(self.map.weight)
        nn.init.zeros_(self.map.bias)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.map(code).to(h.dtype).view(len(h), 2, h.shape[1], *(1,) * (h.dim() - 2)).unbind(1)
        return h * (1 + gamma) + beta


class NoiseInput(nn.Module):
    """h (N, C, ...) + one map of standard Gaussian noise per sample (N, 1, ...), scaled per channel by a learnt
    weight (zero at first). generator: a seeded stream (sampling); None: the default one (training)."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, h: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn((len(h), 1, *h.shape[2:]), generator=generator, device=h.device, dtype=h.dtype)
        return h + self.weight.to(h.dtype).view(1, -1, *(1,) * (h.dim() - 2)) * noise


class _Conditional(nn.Module):
    def _setup(self, factors, z_dim: int, embed_dim: int) -> int:
        self.factors = tuple(int(f) for f in factors or ())
        self.c_dim = math.prod(self.factors) if self.factors else 0
        self.z_dim = int(z_dim)
        self.code = FactorCode(self.factors, embed_dim) if self.factors else None
        self.code_dim = embed_dim * len(self.factors) if self.factors else 0
        self.film = self.noise = None
        return self.z_dim + self.code_dim

    def _add_film(self, film: bool, layers: list[nn.Module]) -> None:
        """One FiLM after each hidden transposed convolution of `layers` (before its activation)."""
        if not film:
            return
        if self.code is None:
            raise ValueError("FiLM needs a conditional generator (label factors)")
        convs = [layer for layer in layers if isinstance(layer, DRAWING_LAYERS)][:-1]
        self.film = nn.ModuleList(FiLM(self.code_dim, conv.out_channels) for conv in convs)

    def _add_noise(self, noise: bool, layers: list[nn.Module]) -> None:
        """One NoiseInput after each drawing layer of `layers`, the last included (before its activation)."""
        if noise:
            self.noise = nn.ModuleList(NoiseInput(layer.out_channels) for layer in layers
                                       if isinstance(layer, DRAWING_LAYERS))

    def _code(self, labels: torch.Tensor | None) -> torch.Tensor | None:
        if self.code is None:
            return None
        if labels is None:
            raise ValueError("this generator is conditional: pass labels")
        return self.code(labels)

    def _first(self, z: torch.Tensor, code: torch.Tensor | None) -> torch.Tensor:
        """The dense first layer's activations, from z and the label code (N, start features)."""
        return F.relu(self.start(z if code is None else torch.cat([z, code], dim=1)))

    def _draw(self, h: torch.Tensor, code: torch.Tensor | None,
              generator: torch.Generator | None = None) -> torch.Tensor:
        """The body's layers, each hidden drawing layer's output modulated when FiLM is on and every drawing layer's
        given its noise when noise is on."""
        if self.film is None and self.noise is None:
            return self.body(h)
        films, noises = iter(self.film or ()), iter(self.noise or ())
        for layer in self.body:
            h = layer(h)
            if not isinstance(layer, DRAWING_LAYERS):
                continue
            film = next(films, None)
            if film is not None:                     # the last drawing layer has none: it draws the output
                h = film(h, code)
            noise = next(noises, None)
            if noise is not None:
                h = noise(h, generator)
        return h

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        device = device or (generator.device if generator is not None else next(self.parameters()).device)
        return torch.randn(n, self.z_dim, generator=generator, device=device)


class WaveGenerator(_Conditional):
    """z (N, z_dim) -> waves (N, 1, 16 * 4^5 = 16,384) in (-1, 1)."""

    def __init__(self, z_dim: int = 100, width: int = 64, factors: tuple[int, ...] = (), embed_dim: int = 16,
                 film: bool = False):
        super().__init__()
        inputs = self._setup(factors, z_dim, embed_dim)
        self.width = int(width)
        self.start = nn.Linear(inputs, 16 * self.width * 16)
        layers = []
        channels = [16 * self.width // 2 ** k for k in range(WAVE_LAYERS)] + [1]     # 16w, 8w, 4w, 2w, w, 1
        for k in range(WAVE_LAYERS):
            layers.append(nn.ConvTranspose1d(channels[k], channels[k + 1], WAVE_KERNEL, WAVE_STRIDE,
                                             padding=WAVE_KERNEL // 2 - 1, output_padding=1))
            layers.append(nn.ReLU() if k < WAVE_LAYERS - 1 else nn.Tanh())
        self.body = nn.Sequential(*layers)
        self._add_film(film, layers)

    @property
    def length(self) -> int:
        return 16 * WAVE_STRIDE ** WAVE_LAYERS

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        code = self._code(labels)
        return self._draw(self._first(z, code).view(len(z), 16 * self.width, 16), code, generator)


def phase_shuffle(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Every sample's (C, L) activations moved by its own random -shift..shift steps, reflected at the edges."""
    n, channels, length = x.shape
    moves = torch.randint(-shift, shift + 1, (n, 1, 1), device=x.device)
    padded = F.pad(x, (shift, shift), mode="reflect")
    index = (torch.arange(length, device=x.device).view(1, 1, length) + shift - moves).expand(n, channels, length)
    return padded.gather(2, index)


class WaveDiscriminator(_Judge):
    """waves (N, 1, 16,384) -> (N,) logits."""

    def __init__(self, width: int = 64, factors: tuple[int, ...] = (), shuffle: int = PHASE_SHUFFLE,
                 classify: bool = False, twin: bool = False):
        super().__init__()
        channels = [1] + [width * 2 ** k for k in range(WAVE_LAYERS)]                 # 1, w, 2w, 4w, 8w, 16w
        self.convs = nn.ModuleList(nn.Conv1d(channels[k], channels[k + 1], WAVE_KERNEL, WAVE_STRIDE,
                                             padding=WAVE_KERNEL // 2) for k in range(WAVE_LAYERS))
        self.shuffle = int(shuffle)
        self._heads(channels[-1] * 16, factors, classify, twin)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for k, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), SLOPE)
            if self.shuffle and k < len(self.convs) - 1 and self.training:
                h = phase_shuffle(h, self.shuffle)
        return h.flatten(1)


def time_doublings(frames: int, start_frames: int) -> int:
    """How many of a spectral G's SPEC_LAYERS layers double time to reach `frames` from `start_frames` (0: all of
    them, from frames / 32); ConfigError naming audio.start_frames when no whole number of layers does."""
    from duelo.errors import ConfigError

    if not start_frames:
        return SPEC_LAYERS
    ratio = frames // start_frames if start_frames > 0 and frames % start_frames == 0 else 0
    if ratio < 1 or ratio & (ratio - 1) or ratio > 2 ** SPEC_LAYERS:
        raise ConfigError(f"audio.start_frames {start_frames}: the picture's {frames} frames must be it times a power "
                         f"of two up to {2 ** SPEC_LAYERS} (e.g. {max(1, frames // 2 ** SPEC_LAYERS)} .. {frames})")
    return ratio.bit_length() - 1


class SpecGenerator(_Conditional):
    """z -> (N, 2, bins, frames) spectral pictures in (-1, 1); bins and frames multiples of 32. start_frames: the
    frames of the first feature map (0: frames / 32, every layer doubling both axes); more start columns leave the
    first layers doubling frequency alone (kernel 4 x 3, stride 2 x 1), so the shape over time is drawn from more
    than one column (a 2048-point picture has 32 frames: 1 column by default). upsample: how each layer doubles
    the picture, a name in UPSAMPLERS."""

    def __init__(self, bins: int = 256, frames: int = 128, z_dim: int = 100, width: int = 32,
                 factors: tuple[int, ...] = (), embed_dim: int = 16, start_frames: int = 0, film: bool = False,
                 upsample: str = "transposed", noise: bool = False):
        super().__init__()
        if bins % 2 ** SPEC_LAYERS or frames % 2 ** SPEC_LAYERS:
            raise ValueError(f"a {bins} x {frames} picture: both sides must be multiples of {2 ** SPEC_LAYERS}")
        inputs = self._setup(factors, z_dim, embed_dim)
        self.width, self.bins, self.frames = int(width), int(bins), int(frames)
        doublings = time_doublings(self.frames, int(start_frames))
        self.start_shape = (16 * self.width, bins // 2 ** SPEC_LAYERS, frames // 2 ** doublings)
        self.start = nn.Linear(inputs, math.prod(self.start_shape))
        channels = [16 * self.width // 2 ** k for k in range(SPEC_LAYERS)] + [2]
        layer = UPSAMPLERS.get(upsample)
        layers = []
        for k in range(SPEC_LAYERS):
            in_time = k >= SPEC_LAYERS - doublings          # the last `doublings` layers double time as well
            layers.append(layer(channels[k], channels[k + 1], in_time))
            layers.append(nn.ReLU() if k < SPEC_LAYERS - 1 else nn.Tanh())
        self.body = nn.Sequential(*layers)
        self._add_film(film, layers)
        self._add_noise(noise, layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """generator: the stream the noise inputs draw from (sampling; None: the default stream)."""
        code = self._code(labels)
        return self._draw(self._first(z, code).view(len(z), *self.start_shape), code, generator)


class SpecDiscriminator(_Judge):
    """(N, 2, bins, frames) -> (N,) logits; downsample: how each layer halves the picture, a name in
    DOWNSAMPLERS."""

    def __init__(self, bins: int = 256, frames: int = 128, width: int = 32, factors: tuple[int, ...] = (),
                 classify: bool = False, twin: bool = False, downsample: str = "strided"):
        super().__init__()
        channels = [2] + [width * 2 ** k for k in range(SPEC_LAYERS)]
        layer = DOWNSAMPLERS.get(downsample)
        layers = []
        for k in range(SPEC_LAYERS):
            layers += [layer(channels[k], channels[k + 1]), nn.LeakyReLU(SLOPE)]
        self.body = nn.Sequential(*layers)
        self._heads(channels[-1] * (bins // 2 ** SPEC_LAYERS) * (frames // 2 ** SPEC_LAYERS), factors, classify,
                    twin)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten(1)
