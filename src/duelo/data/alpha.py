"""Transparency as a choice: flatten alpha onto a background colour, or keep it as a fourth channel.

    parse_alpha("white")    # the default: transparent drawings look like paper (duelo's behaviour before)
    parse_alpha("black"), parse_alpha("gray"), parse_alpha("#20a0ff")
    parse_alpha("keep")     # RGBA data: 4 channels, generators learn the alpha too

Compositing ("over" onto an opaque background, Porter & Duff 1984) in integer arithmetic (uint16 suffices):
    out = (c·a + b·(255 − a) + 127) // 255          c colour, a alpha, b background, all 0..255
which rounds to the nearest value and is exact for a = 0 (b) and a = 255 (c). `composite` is the one
implementation: the image decoder, .npz arrays, registered RGBA sources and the evaluation features that need
RGB (Inception, the domain classifier) all call it.

Gray + alpha (2 channels) is never a dataset layout: flattened onto a gray background (white, black, gray,
or #rrggbb with r = g = b) it stays gray (1 channel); onto a coloured background it becomes RGB; kept, it
becomes RGBA with the gray value in R, G and B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from duelo.data.errors import DataError

from duelo.config.alpha_names import (ALPHA_HELP, DEFAULT_ALPHA, HEX_COLOUR, KEEP, NAMED_BACKGROUNDS,  # noqa: F401
                                      is_alpha_choice)
OPAQUE = 255


@dataclass(frozen=True)
class Alpha:
    """A parsed alpha choice: keep the channel, or the background (r, g, b) to flatten onto."""

    text: str                                       # as given, lower-cased: "white", "#20a0ff", "keep"
    background: tuple[int, int, int] | None         # None when kept

    @property
    def keep(self) -> bool:
        return self.background is None

    @property
    def gray_background(self) -> bool:
        """True when flattening gray + alpha can stay gray (r = g = b)."""
        return self.background is not None and len(set(self.background)) == 1

    def describe(self) -> str:
        """For report notes: "white", "black", "#20a0ff"."""
        return self.text


def parse_alpha(value: object) -> Alpha:
    """"white" | "black" | "gray" | "#rrggbb" | "keep" (case-insensitive) -> Alpha; DataError otherwise."""
    if isinstance(value, Alpha):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text == KEEP:
        return Alpha(KEEP, None)
    if text in NAMED_BACKGROUNDS:
        return Alpha(text, NAMED_BACKGROUNDS[text])
    if text is not None and HEX_COLOUR.fullmatch(text):
        return Alpha(text, (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)))
    raise DataError(f"alpha must be {ALPHA_HELP}; got {value!r}")


WHITE = parse_alpha(DEFAULT_ALPHA)


def has_alpha(channels: int) -> bool:
    """Gray + alpha (2) and RGBA (4) carry transparency in their last channel."""
    return channels in (2, 4)


def composite(pixels: torch.Tensor, background: tuple[int, int, int], dim: int = -3) -> torch.Tensor:
    """uint8 colour + alpha (2 or 4 channels along `dim`) -> uint8 colour composited onto `background`.

    Gray + alpha onto a gray background gives 1 channel, onto a coloured one 3; RGBA gives 3. Works on any
    layout: (N, C, H, W) with dim=-3 (the default, also (C, H, W)) or (H, W, C) with dim=-1. The result is
    on the input's device.
    """
    channels = int(pixels.shape[dim])
    assert pixels.dtype == torch.uint8 and has_alpha(channels), (pixels.dtype, tuple(pixels.shape))
    axis = dim % pixels.ndim
    array = _numpy(pixels).astype(np.uint16)          # c·a + b·(255 − a) + 127 <= 65,152: uint16 holds it
    colour, alpha = np.split(array, [channels - 1], axis=axis)
    if channels == 2 and len(set(background)) > 1:
        colour = np.concatenate([colour, colour, colour], axis=axis)            # gray onto a coloured background
    shape = [1] * pixels.ndim
    shape[axis] = int(colour.shape[axis])
    fill = np.array(background if shape[axis] == 3 else background[:1], dtype=np.uint16).reshape(shape)
    out = (colour * alpha + fill * (OPAQUE - alpha) + 127) // OPAQUE              # rounded "over"
    return _tensor(out.astype(np.uint8), pixels.device)


def add_opaque_alpha(pixels: torch.Tensor, dim: int = -3) -> torch.Tensor:
    """uint8 gray (1), gray + alpha (2), RGB (3) or RGBA (4) along `dim` -> RGBA (4); new alpha is opaque."""
    channels = int(pixels.shape[dim])
    if channels not in (1, 2, 3, 4):
        raise ValueError(f"expected 1 to 4 channels, got {channels}")
    if channels == 4:
        return pixels.contiguous()
    axis = dim % pixels.ndim
    array = _numpy(pixels)
    colour = array if channels == 3 else np.repeat(np.take(array, [0], axis=axis), 3, axis=axis)
    if channels == 2:
        alpha = np.take(array, [1], axis=axis)
    else:
        shape = list(array.shape)
        shape[axis] = 1
        alpha = np.full(shape, OPAQUE, dtype=np.uint8)
    return _tensor(np.concatenate([colour, alpha], axis=axis), pixels.device)


def _numpy(pixels: torch.Tensor) -> np.ndarray:
    """The pixels as a numpy array (a view for CPU tensors). The arithmetic here runs in numpy: torch's integer
    element-wise kernels and strided copies were measured 30-60x slower on a busy 2-core machine."""
    return pixels.detach().cpu().numpy()


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    out = torch.from_numpy(np.ascontiguousarray(array))
    return out if device.type == "cpu" else out.to(device)


def apply_alpha(pixels: torch.Tensor, alpha: Alpha, dim: int = -3) -> torch.Tensor:
    """Bring uint8 pixels with 1..4 channels along `dim` to the alpha choice: kept -> RGBA (4 channels);
    flattened -> gray (1) or RGB (3), compositing any alpha channel onto the background."""
    channels = int(pixels.shape[dim])
    if alpha.keep:
        return add_opaque_alpha(pixels, dim)
    if has_alpha(channels):
        return composite(pixels, alpha.background, dim)       # type: ignore[arg-type]
    return pixels


def flatten_for_features(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, C, H, W) for a feature network that reads gray or RGB: RGBA (and gray + alpha) are composited
    onto white, duelo's default background; 1 and 3 channels pass unchanged. The one place evaluation drops
    alpha, so Inception (FID/KID) and the domain classifier see the same pictures."""
    if images.dtype == torch.uint8 and images.ndim == 4 and has_alpha(int(images.shape[1])):
        return composite(images, WHITE.background)            # type: ignore[arg-type]
    return images


def colour_channels(channels: int) -> int:
    """The channels a feature network reads for data with `channels`: 4 -> 3, 2 -> 1, else unchanged."""
    return channels - 1 if has_alpha(channels) else channels
