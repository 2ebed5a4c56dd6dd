"""What every discriminator augmentation exposes, its registry, shared random helpers and a resampler.

An augmentation T is applied to *every* image the discriminator sees, real and fake alike, so that D
learns the distribution of T(x) and G, trained through T, still has to match the clean distribution
(Karras et al. 2020, section 2; Zhao et al. 2020, section 3). Because fakes are augmented too, T must be
differentiable w.r.t. its input images: the generator's gradient flows through it.

Contract (the training step may be captured in a CUDA graph, so nothing here talks to the host):
  forward(images (N, C, H, W) float, C = 1 grey, 3 RGB or 4 RGBA, H and W >= 4 and not necessarily equal,
      generator: torch.Generator on the images' device) -> same shape,
      dtype and device; every random number comes from `generator`, never from the global RNG;
      probabilities act through per-sample masks (torch.where), never through Python `if`.
  observe(real_logits (N,)) -> None, once per D step, with D's (detached) logits on the augmented reals;
      adaptive augmentations update their state here with tensor ops only.
  status() -> {name: 0-d tensor} for logging (read by the caller when it logs, not every step).
All state lives in persistent float buffers, so state_dict() round-trips it exactly for resume.

RGBA (C = 4, the alpha channel last, -1 transparent .. 1 opaque, as `--alpha keep` loads it): ops that move
pixels move the alpha with the colour; ops that change colour leave the alpha as it is; pixels that an op
empties (shifted in from outside, cut out) become transparent, alpha ALPHA_EMPTY, whatever colour the op
puts there. Each augmentation's docstring says what that means for its ops.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from duelo.errors import ConfigError
from duelo.registry import Registry

Tensor = torch.Tensor


@dataclass(frozen=True)
class AugmentInfo:
    fields: tuple[str, ...] = ()     # the `augment` config fields its constructor takes, by the same names
    adaptive: bool = False           # adjusts its strength to D's overfitting (ADA)


class Augment(nn.Module):
    """Base: forward(images, generator) -> images of the same shape; observe() and status() hooks."""

    def forward(self, images: Tensor, generator: torch.Generator) -> Tensor:
        raise NotImplementedError

    def observe(self, real_logits: Tensor) -> None:
        """Called once per D step with D's logits (N,) on the augmented real batch; default: nothing."""
        return None

    def status(self) -> dict[str, Tensor]:
        """Scalar tensors for logging; default: none."""
        return {}


AUGMENTS: Registry[type[Augment]] = Registry("augmentation", info=AugmentInfo)


CHANNEL_MEANINGS = {1: "grey", 3: "RGB", 4: "RGBA"}
ALPHA_EMPTY = -1.0    # the alpha of an emptied pixel: fully transparent in [-1, 1] images


def check_channels(owner: str, channels: int, allowed: tuple[int, ...] = (1, 3, 4)) -> None:
    """Teaching error for the `channels` argument shared by the augmentations."""
    if not isinstance(channels, int) or isinstance(channels, bool) or channels not in allowed:
        choices = " or ".join(str(c) for c in allowed)
        meanings = ", ".join(f"{c} = {CHANNEL_MEANINGS.get(c, '?')}" for c in allowed)
        raise ConfigError(f"{owner}: channels must be {choices} ({meanings}; got {channels!r}); "
                          f"other channel counts are not images {owner} knows how to augment")


def check_images(owner: str, images: Tensor, channels: int) -> None:
    """Internal shape check (shape only, no host sync): (N, channels, H, W) with H, W >= 4 (H != W is fine)."""
    if images.dim() != 4 or images.shape[1] != channels or images.shape[2] < 4 or images.shape[3] < 4:
        raise ValueError(f"{owner} expects images of shape (N, {channels}, H, W) with H, W >= 4, "
                         f"got {tuple(images.shape)}")


def empty_outside(images: Tensor, kept: Tensor) -> Tensor:
    """Empty the pixels where `kept` (bool, broadcastable to (N, 1, H, W)) is False: colour channels become 0
    (images * kept, as the zero-padding ops always did), and the alpha of RGBA images becomes ALPHA_EMPTY
    (transparent) rather than 0 (half transparent). Gradients flow to the kept pixels."""
    emptied = images * kept.to(images.dtype)
    if images.shape[1] != 4:                                                      # static: channel count
        return emptied
    alpha = torch.where(kept, images[:, 3:], torch.full_like(images[:, 3:], ALPHA_EMPTY))
    return torch.cat([emptied[:, :3], alpha], dim=1)


def colour_only(op, images: Tensor, *args):
    """op(images, *args) for grey or RGB; for RGBA op(RGB part, *args) with the alpha passed through."""
    if images.shape[1] != 4:                                                      # static: channel count
        return op(images, *args)
    return torch.cat([op(images[:, :3], *args), images[:, 3:]], dim=1)


def uniform(shape: tuple[int, ...], low: float, high: float, like: Tensor,
            generator: torch.Generator) -> Tensor:
    """U[low, high) of `shape`, on like's device and dtype, drawn from `generator`."""
    draw = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
    return draw * (high - low) + low


def normal(shape: tuple[int, ...], std: float, like: Tensor, generator: torch.Generator) -> Tensor:
    """N(0, std^2) of `shape`, on like's device and dtype, drawn from `generator`."""
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype) * std


def integers(shape: tuple[int, ...], low: int, high: int, like: Tensor,
             generator: torch.Generator) -> Tensor:
    """Integers uniform in [low, high) (int64) on like's device, drawn from `generator`."""
    return torch.randint(low, high, shape, generator=generator, device=like.device)


def _reflect(coord: Tensor, size: int) -> Tensor:
    """Pixel coordinates folded back into the image by mirroring at its edges (-0.5 and size - 0.5)."""
    folded = (coord + 0.5).abs()
    flips = torch.floor(folded / size)
    extra = folded - flips * size
    mirrored = torch.where(torch.remainder(flips, 2) == 0, extra, size - extra) - 0.5
    return mirrored.clamp(0, size - 1)


def sample_bilinear_reflect(images: Tensor, grid: Tensor) -> Tensor:
    """F.grid_sample(images, grid, "bilinear", "reflection", align_corners=False) for an output of the
    input's size, written with gather so that it is differentiable twice w.r.t. the images (R1 through the
    augmentation needs that; F.grid_sample's backward has no derivative in torch 2.11). The grid (N, H, W, 2)
    is a constant: no gradient flows to it."""
    n, c, h, w = images.shape
    grid = grid.detach()
    x = _reflect(((grid[..., 0] + 1) * w - 1) / 2, w)                          # (N, H, W) pixel units
    y = _reflect(((grid[..., 1] + 1) * h - 1) / 2, h)
    x0, y0 = torch.floor(x), torch.floor(y)
    fx, fy = (x - x0).unsqueeze(1), (y - y0).unsqueeze(1)                       # (N, 1, H, W) weights
    x0, y0 = x0.long(), y0.long()
    x1, y1 = (x0 + 1).clamp(max=w - 1), (y0 + 1).clamp(max=h - 1)             # weight 0 where clamped
    flat = images.reshape(n, c, h * w)

    def corner(row: Tensor, col: Tensor) -> Tensor:
        index = (row * w + col).view(n, 1, h * w).expand(n, c, h * w)
        return flat.gather(2, index).view(n, c, h, w)

    top = corner(y0, x0) * (1 - fx) + corner(y0, x1) * fx
    bottom = corner(y1, x0) * (1 - fx) + corner(y1, x1) * fx
    return top * (1 - fy) + bottom * fy
