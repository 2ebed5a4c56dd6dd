"""`fastgan`: the few-shot GAN of Liu, Zhu, Song & Elgammal 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis" (ICLR 2021), written from the paper's text (section 3, figures 3-4).

Generator: z [++ class code] -> ConvT 1->4 -> stages 8, 16, ..., R. Every stage upsamples x2 (nearest) and runs
  conv3x3 -> batch norm -> GLU; every other stage (8, 32, 128, ...) runs a second conv3x3 -> noise -> batch norm ->
  GLU (the paper's "UpBlockComp"). Skip-layer excitation (SLE, section 3.1): the features at size s gate, channel
  by channel, those at size 8s: gate = sigmoid(conv1x1(swish(conv4x4(avgpool_4x4(f_s))))), f_8s * gate. Output
  conv3x3 -> tanh.
Discriminator: conv4x4/2 + lrelu from the image, then residual down blocks to 8x8 (main path conv4x4/2 -> BN ->
  lrelu -> conv3x3 -> BN -> lrelu, skip path avgpool -> conv1x1 -> BN -> lrelu, the two averaged), then
  conv1x1 -> BN -> lrelu -> conv4x4/2 (-> 4x4) -> conv4x4 (-> 1 logit); projection term of Miyato & Koyama 2018
  on the sum-pooled 8x8 features when c_dim > 0.
Self-supervised D (section 3.2): two small decoders rebuild real images from D's features, trained with D on real
  batches only: one from the 8x8 features (the whole image), one from a random quadrant of the 16x16 features
  (that quadrant of the image). `forward_with_reconstruction` returns the logits and the reconstruction loss;
  duelo.objectives.GANObjective adds it to D's loss on real batches when `D.self_supervised` is true.
Spectral normalisation on every convolution of both networks, as in the authors' description of their models.
Non-square images (`aspect`, duelo.aspect): every "s x s" grid above is (s h0/4) x (s w0/4); G's first ConvT, the
excitation's pooled grid and its conv, and D's last conv take h0 x w0 where the square model has 4x4. D's stride-2
layers (kernel 4, padding 1) halve any even size exactly (6 -> 3 at 4:3, 2 -> 1 at 4:1).

Departures from the paper (documented in docs/models.md):
  * widths follow duelo's rule min(channel_base // s, channel_max), 256 at most by default (the paper's 1024 px
    networks are wider at low resolution); GLU halves each conv's 2C outputs to C;
  * SLE pairs are (s, 8s) for every s >= 4 with 8s <= R (the paper pairs 8->128, 16->256, 32->512 at 1024 px,
    a factor of 16, which would leave a 64 px model without any);
  * the reconstruction target is the image (or its quadrant) at min(R/2, 128) px and the loss is L1 (the paper
    uses LPIPS, whose VGG weights are not available offline);
  * D's output is one logit per image (the paper averages its hinge loss over a 5x5 logit map).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.aspect import SQUARE, parse_aspect, stage_size
from duelo.errors import ConfigError
from duelo.models.base import (DISCRIMINATORS, GENERATORS, Discriminator, Generator, channels_at,
                               check_labels, check_resolution, check_sizes)
from duelo.nn.conditioning import ClassProjection, LabelEmbedding
from duelo.nn.modulated import NoiseInput
from duelo.nn.spectral_norm import apply_spectral_norm
from duelo.nn.weight_init import dcgan_init_

SLOPE = 0.2          # leaky ReLU slope in D
MIN_RESOLUTION = 32  # D's decoders read its 16x16 and 8x8 features, which exist from 32 px up
SLE_FACTOR = 8       # skip-layer excitation from size s to size 8s
DECODER_WIDTH = 64   # channels of the reconstruction decoders' layers


def _widths(resolution: int, channel_base: int, channel_max: int) -> dict[int, int]:
    return {2**k: channels_at(2**k, channel_base, channel_max) for k in range(2, resolution.bit_length())}


def _check(resolution: int, **sizes: int) -> None:
    check_resolution("fastgan", resolution, MIN_RESOLUTION)
    check_sizes("fastgan", **sizes)


class UpStage(nn.Module):
    """s -> 2s: nearest upsampling, conv3x3 -> BN -> GLU, and (comp) a second conv3x3 -> noise -> BN -> GLU."""

    def __init__(self, c_in: int, c_out: int, size: tuple[int, int], comp: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, 2 * c_out, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(2 * c_out)
        self.comp = comp
        if comp:
            self.conv2 = nn.Conv2d(c_out, 2 * c_out, 3, padding=1, bias=False)
            self.noise = NoiseInput(size)
            self.norm2 = nn.BatchNorm2d(2 * c_out)

    def forward(self, x: torch.Tensor, noise_mode: str) -> torch.Tensor:
        x = F.glu(self.norm1(self.conv1(F.interpolate(x, scale_factor=2.0, mode="nearest"))), dim=1)
        if self.comp:
            x = F.glu(self.norm2(self.noise(self.conv2(x), noise_mode)), dim=1)
        return x


class Excitation(nn.Module):
    """Skip-layer excitation: a channel gate for the features at size 8s computed from those at size s (pooled to
    the base grid, 4x4 for square images)."""

    def __init__(self, c_low: int, c_high: int, grid: tuple[int, int] = (4, 4)):
        super().__init__()
        self.grid = tuple(grid)
        self.conv1 = nn.Conv2d(c_low, c_high, self.grid, bias=False)   # pooled h0 x w0 (4x4) -> 1x1
        self.conv2 = nn.Conv2d(c_high, c_high, 1, bias=False)

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        pooled = F.adaptive_avg_pool2d(low, self.grid)                            # (N, C_low, h0, w0)
        gate = torch.sigmoid(self.conv2(F.silu(self.conv1(pooled))))             # (N, C_high, 1, 1)
        return high * gate


@GENERATORS.register("fastgan", aspects=True)
class FastGANGenerator(Generator):
    """z [++ class code] -> 4x4 -> upsampling stages with skip-layer excitation -> conv3x3 -> tanh."""

    def __init__(self,
        resolution:   int,                 # output size (the long side): a power of two >= 32
        channels:     int,                 # output channels (1 grey, 3 RGB, 4 RGBA)
        c_dim:        int = 0,             # number of classes; 0 = unconditional
        z_dim:        int = 256,           # latent size (the paper's 256)
        channel_base: int = 8192,          # width at size s = min(channel_base // s, channel_max)
        channel_max:  int = 256,
        width:        int | None = None,   # alias of channel_max (what --width sets); wins when given
        embed_dim:    int = 16,            # class code concatenated with z (c_dim > 0)
        noise_mode:   str = "auto",        # "auto" (random in train, const in eval), "random", "const", "none"
        aspect:       str = SQUARE,        # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
    ):
        channel_max = channel_max if width is None else width
        _check(resolution, channels=channels, c_dim=c_dim, z_dim=z_dim, channel_base=channel_base,
               channel_max=channel_max, embed_dim=embed_dim)
        if noise_mode not in ("auto", "random", "const", "none"):
            raise ConfigError(f"fastgan: noise_mode must be auto, random, const or none (got {noise_mode!r})")
        grid = parse_aspect(aspect, "fastgan: aspect")                  # (h0, w0); (4, 4) when square
        super().__init__(z_dim=z_dim, c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        self.noise_mode = noise_mode
        widths = _widths(resolution, channel_base, channel_max)
        self.label_embedding = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        code = z_dim + (embed_dim if c_dim > 0 else 0)
        self.init = nn.Sequential(nn.ConvTranspose2d(code, 2 * widths[4], grid, bias=False),
                                  nn.BatchNorm2d(2 * widths[4]))
        sizes = sorted(widths)
        self.stages = nn.ModuleList(UpStage(widths[s], widths[2 * s], stage_size(2 * s, grid), comp=(i % 2 == 0))
                                    for i, s in enumerate(sizes[:-1]))
        self.sizes = tuple(sizes)
        self.excite = nn.ModuleDict({str(s * SLE_FACTOR): Excitation(widths[s], widths[s * SLE_FACTOR], grid)
                                     for s in sizes if s * SLE_FACTOR <= resolution})
        self.to_image = nn.Conv2d(widths[resolution], channels, 3, padding=1)
        dcgan_init_(self)
        apply_spectral_norm(self)

    def _mode(self) -> str:
        if self.noise_mode != "auto":
            return self.noise_mode
        return "random" if self.training else "const"

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n = z.shape[0]
        check_labels(self, labels, n)
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        x = F.glu(self.init(z.view(n, -1, 1, 1)), dim=1)                     # (N, C4, h0, w0)
        features = {4: x}
        mode = self._mode()
        for size, stage in zip(self.sizes[1:], self.stages):
            x = stage(x, mode)                                                 # (N, C_size, size h0/4, size w0/4)
            if str(size) in self.excite:
                x = self.excite[str(size)](features[size // SLE_FACTOR], x)
            features[size] = x
        return torch.tanh(self.to_image(x))                                   # (N, C, H, W)


class DownStage(nn.Module):
    """s -> s/2: (conv4x4/2 -> BN -> lrelu -> conv3x3 -> BN -> lrelu + avgpool -> conv1x1 -> BN -> lrelu) / 2."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                                  nn.LeakyReLU(SLOPE),
                                  nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                                  nn.LeakyReLU(SLOPE))
        self.skip = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
                                  nn.LeakyReLU(SLOPE))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.main(x) + self.skip(x))


class Decoder(nn.Module):
    """8x8 features -> an image of `size` px: (upsample, conv3x3 -> BN -> GLU) per doubling, conv3x3 -> tanh."""

    def __init__(self, c_in: int, size: int, channels: int):
        super().__init__()
        layers: list[nn.Module] = []
        width, current = c_in, 8
        while current < size:
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"),
                       nn.Conv2d(width, 2 * DECODER_WIDTH, 3, padding=1, bias=False),
                       nn.BatchNorm2d(2 * DECODER_WIDTH), nn.GLU(dim=1)]
            width, current = DECODER_WIDTH, current * 2
        layers += [nn.Conv2d(width, channels, 3, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _quadrants(x: torch.Tensor) -> torch.Tensor:
    """(N, C, 2h, 2w) -> (N, 4, C, h, w): top-left, top-right, bottom-left, bottom-right."""
    n, c, hh, ww = x.shape
    return x.view(n, c, 2, hh // 2, 2, ww // 2).permute(0, 2, 4, 1, 3, 5).reshape(n, 4, c, hh // 2, ww // 2)


def _pick(parts: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """parts (N, 4, ...) and index (N,) in 0..3 -> (N, ...) with parts[i, index[i]] (a gather: no host sync)."""
    view = index.view(-1, *([1] * (parts.dim() - 1))).expand(-1, 1, *parts.shape[2:])
    return parts.gather(1, view).squeeze(1)


@DISCRIMINATORS.register("fastgan", aspects=True)
class FastGANDiscriminator(Discriminator):
    """Residual down blocks to 8x8 -> logit; self-supervised decoders on the 8x8 and 16x16 features."""

    self_supervised = True   # GANObjective adds forward_with_reconstruction's loss on real batches

    def __init__(self,
        resolution:    int,                # input size (the long side): a power of two >= 32
        channels:      int,                # input channels (1 grey, 3 RGB, 4 RGBA)
        c_dim:         int   = 0,          # number of classes; 0 = unconditional
        channel_base:  int   = 8192,       # width at size s = min(channel_base // s, channel_max)
        channel_max:   int   = 256,
        width:         int | None = None,  # alias of channel_max (what --width sets); wins when given
        recon_weight:  float = 1.0,        # weight of the reconstruction loss (0 turns self-supervision off)
        aspect:        str   = SQUARE,     # width:height, "1:1" or one of duelo.aspect.SUPPORTED_ASPECTS
        classify:      bool = False,  # an auxiliary classifier head (AC-GAN): forward_with_class_loss
    ):
        channel_max = channel_max if width is None else width
        _check(resolution, channels=channels, c_dim=c_dim, channel_base=channel_base, channel_max=channel_max)
        if not isinstance(recon_weight, (int, float)) or isinstance(recon_weight, bool) or recon_weight < 0:
            raise ConfigError(f"fastgan: recon_weight must be a number >= 0 (got {recon_weight!r})")
        grid = parse_aspect(aspect, "fastgan: aspect")                  # (h0, w0) of the last grid
        super().__init__(c_dim=c_dim, resolution=resolution, channels=channels, aspect=aspect)
        widths = _widths(resolution, channel_base, channel_max)
        self.from_image = nn.Sequential(nn.Conv2d(channels, widths[resolution // 2], 4, 2, 1),
                                        nn.LeakyReLU(SLOPE))
        sizes = [s for s in sorted(widths, reverse=True) if 8 < s <= resolution // 2]     # R/2, ..., 16
        self.stages = nn.ModuleList(DownStage(widths[s], widths[s // 2]) for s in sizes)
        self.sizes = tuple(sizes)
        self.head = nn.Sequential(nn.Conv2d(widths[8], widths[4], 1, bias=False), nn.BatchNorm2d(widths[4]),
                                  nn.LeakyReLU(SLOPE), nn.Conv2d(widths[4], widths[4], 4, 2, 1, bias=False),
                                  nn.BatchNorm2d(widths[4]), nn.LeakyReLU(SLOPE), nn.Conv2d(widths[4], 1, grid))
        self.projection = ClassProjection(c_dim, widths[8]) if c_dim > 0 else None
        self._classifier_head(classify, widths[8])
        self.recon_weight = float(recon_weight)
        self.recon_size = min(resolution // 2, 128)                     # the long side of the rebuilt images
        self.recon_shape = stage_size(self.recon_size, grid)             # (height, width) of the rebuilt images
        self.decode_whole = Decoder(widths[8], self.recon_size, channels)
        self.decode_part = Decoder(widths[16], self.recon_size, channels)
        dcgan_init_(self)
        apply_spectral_norm(self)

    def _features(self, images: torch.Tensor) -> dict[int, torch.Tensor]:
        x = self.from_image(images)                                            # (N, C, H/2, W/2)
        features = {}
        for size, stage in zip(self.sizes, self.stages):
            features[size] = x
            x = stage(x)
        features[8] = x
        return features

    def _logits(self, features: dict[int, torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        logits = self.head(features[8]).flatten()                              # (N,)
        if self.projection is not None:
            logits = logits + self.projection(features[8].sum(dim=(2, 3)), labels)
        return logits

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(self, labels, images.shape[0])
        return self._logits(self._features(images), labels)

    def forward_with_reconstruction(self, images: torch.Tensor, labels: torch.Tensor | None,
                                    generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (N,) and recon_weight * (L1 of the whole image from the 8x8 features + L1 of a random quadrant
        from that quadrant of the 16x16 features), the images resized to recon_shape."""
        check_labels(self, labels, images.shape[0])
        features = self._features(images)
        logits = self._logits(features, labels)
        if self.recon_weight == 0:
            return logits, logits.new_zeros(())
        shape = self.recon_shape
        n = images.shape[0]
        quadrant = torch.randint(0, 4, (n,), generator=generator, device=images.device)
        whole = F.interpolate(images, size=shape, mode="area")
        part = _pick(_quadrants(images), quadrant)                               # (N, C, H/2, W/2)
        if tuple(part.shape[-2:]) != shape:
            part = F.interpolate(part, size=shape, mode="area")
        rebuilt_whole = self.decode_whole(features[8])
        rebuilt_part = self.decode_part(_pick(_quadrants(features[16]), quadrant))
        loss = (rebuilt_whole.float() - whole.float()).abs().mean() + (rebuilt_part.float() - part.float()).abs().mean()
        return logits, self.recon_weight * loss
