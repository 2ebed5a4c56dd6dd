"""`diffaugment`: Differentiable Augmentation (Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation
for Data-Efficient GAN Training", section 3 and appendix).

Every op of the policy is applied to every sample (probability 1), each sample with its own random draw,
in the order the policy names them:
  color        brightness  x + b,                         b ~ U[-0.5, 0.5]
               saturation  m + (x - m) * s,               m = per-pixel mean over channels, s ~ U[0, 2]
                                                          (identity for 1-channel images: x - m = 0)
               contrast    m + (x - m) * c,               m = per-image mean over (C, H, W), c ~ U[0.5, 1.5]
  translation  shift by (ty, tx) whole pixels, ty uniform in {-sy..sy}, sy = round(H / 8), tx uniform in
               {-sx..sx}, sx = round(W / 8); the pixels uncovered are zero (the paper pads with zeros; in
               [-1, 1] images that is mid-grey)
  cutout       a rectangle of round(H / 2) x round(W / 2) pixels (a square when H = W) centred on a uniform
               random pixel is set to zero; it is clipped at the border, so the mean area cut is somewhat
               below 1/4 of the image
Sizes follow each axis, as in the paper's code, so H != W images (say 48 x 64) are shifted and cut in
proportion to each side.

RGBA images (4 channels, alpha last, -1 transparent .. 1 opaque): `color` changes the RGB channels only (its
means are over RGB) and passes the alpha through unchanged, so the RGB part comes out exactly as a 3-channel
call on it would with the same generator. `translation` and `cutout` move and cut all four channels alike;
the pixels they empty get colour 0, as before, and alpha -1 (transparent, base.ALPHA_EMPTY): an emptied
pixel shows nothing, which is what padding RGBA data (`resize pad`) gives too, where a fill of 0 would read
as "half transparent".
All ops are built from additions, products, gather and masks, so gradients reach the input images.
"""

from __future__ import annotations

import torch

from duelo.augment.base import (AUGMENTS, Augment, check_channels, check_images, colour_only, empty_outside,
                                integers, uniform)
from duelo.errors import ConfigError

Tensor = torch.Tensor

TRANSLATION_RATIO = 0.125   # max shift as a fraction of the side (paper: 1/8)
CUTOUT_RATIO = 0.5          # cutout side as a fraction of the side (paper: 1/2)


def _round_half_up(value: float) -> int:
    """int(v + 0.5): the paper's rounding of the shift and cutout sizes (2.5 -> 3, where round() gives 2)."""
    return int(value + 0.5)


def color(x: Tensor, generator: torch.Generator) -> Tensor:
    """Brightness, then saturation (RGB only), then contrast; one draw of each per sample. RGBA: on RGB only."""
    return colour_only(_color, x, generator)


def _color(x: Tensor, generator: torch.Generator) -> Tensor:
    n = x.shape[0]
    x = x + uniform((n, 1, 1, 1), -0.5, 0.5, x, generator)                        # brightness
    if x.shape[1] > 1:                                                            # static: channel count
        mean = x.mean(dim=1, keepdim=True)                                        # (N, 1, H, W)
        x = mean + (x - mean) * uniform((n, 1, 1, 1), 0.0, 2.0, x, generator)     # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)                                    # (N, 1, 1, 1)
    return mean + (x - mean) * uniform((n, 1, 1, 1), 0.5, 1.5, x, generator)      # contrast


def translation(x: Tensor, generator: torch.Generator, ratio: float = TRANSLATION_RATIO) -> Tensor:
    """out[i, j] = x[i - ty, j - tx] where that pixel exists, else emptied (0; alpha -1); ty uniform in
    {-round(H * ratio)..round(H * ratio)}, tx likewise with W."""
    n, c, h, w = x.shape
    shift_y = _round_half_up(h * ratio)
    shift_x = _round_half_up(w * ratio)
    ty = integers((n, 1, 1), -shift_y, shift_y + 1, x, generator)
    tx = integers((n, 1, 1), -shift_x, shift_x + 1, x, generator)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - ty                    # (N, H, 1) source row
    cols = torch.arange(w, device=x.device).view(1, 1, w) - tx                    # (N, 1, W) source column
    valid = ((rows >= 0) & (rows < h)) & ((cols >= 0) & (cols < w))                # (N, H, W)
    index = rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)                       # (N, H, W)
    index = index.view(n, 1, h * w).expand(n, c, h * w)
    moved = x.reshape(n, c, h * w).gather(2, index).view(n, c, h, w)
    return empty_outside(moved, valid.unsqueeze(1))


def cutout(x: Tensor, generator: torch.Generator, ratio: float = CUTOUT_RATIO) -> Tensor:
    """Empty (0; alpha -1) a round(H * ratio) x round(W * ratio) rectangle centred on a uniform random pixel
    (clipped at the borders)."""
    return empty_outside(x, (~cutout_box(x, generator, ratio)).unsqueeze(1))


def cutout_box(x: Tensor, generator: torch.Generator, ratio: float = CUTOUT_RATIO, min_side: int = 0) -> Tensor:
    """(N, H, W) bool: per sample of x (N, ..., H, W), a rectangle of max(min_side, round(H * ratio)) x
    max(min_side, round(W * ratio)) cells centred on a uniform random cell, clipped at the borders."""
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    size_y = max(min_side, _round_half_up(h * ratio))
    size_x = max(min_side, _round_half_up(w * ratio))
    top = integers((n, 1, 1), 0, h, x, generator) - size_y // 2                  # first row of the square
    left = integers((n, 1, 1), 0, w, x, generator) - size_x // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    return ((rows >= top) & (rows < top + size_y)) & ((cols >= left) & (cols < left + size_x))


OPS = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str) -> list[str]:
    """'color,translation,cutout' -> ['color', 'translation', 'cutout'], with teaching errors."""
    if not isinstance(policy, str):
        raise ConfigError(f"diffaugment: policy must be a comma-separated string (got {policy!r})")
    names = [part.strip() for part in policy.split(",") if part.strip()]
    valid = ", ".join(OPS)
    if not names:
        raise ConfigError(f"diffaugment: policy is empty; name at least one of: {valid} "
                          "(or use no augmentation at all)")
    for name in names:
        if name not in OPS:
            raise ConfigError(f"diffaugment: unknown op {name!r} in policy {policy!r}; "
                              f"choose from: {valid}")
    if len(set(names)) != len(names):
        raise ConfigError(f"diffaugment: policy {policy!r} names an op twice; name each at most once")
    return names


@AUGMENTS.register("diffaugment", fields=("policy",))
class DiffAugment(Augment):
    """DiffAugment (Zhao et al. 2020): the policy's ops, each applied to every sample with a fresh draw.

    Stateless: nothing to observe; status() reports augment_p = 1 (every op always applies).
    """

    def __init__(self,
        channels:   int,                                    # image channels (1 grey, 3 RGB, 4 RGBA)
        policy:     str = "color,translation,cutout",       # comma-separated ops, applied in this order
    ):
        check_channels("diffaugment", channels)
        super().__init__()
        self.channels = channels
        self.policy = ",".join(parse_policy(policy))
        self._ops = [OPS[name] for name in self.policy.split(",")]
        # Not state (never saved): only there so that status() follows the module across devices.
        self.register_buffer("_one", torch.ones((), dtype=torch.float32), persistent=False)

    def forward(self, images: Tensor, generator: torch.Generator) -> Tensor:
        check_images("diffaugment", images, self.channels)
        for op in self._ops:
            images = op(images, generator)
        return images

    def status(self) -> dict[str, Tensor]:
        return {"augment_p": self._one.clone()}

    def extra_repr(self) -> str:
        return f"channels={self.channels}, policy={self.policy!r}"
