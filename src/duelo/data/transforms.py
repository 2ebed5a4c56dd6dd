"""Deterministic pixel transforms applied once at load time: channel conversion and resizing to the target size.

Everything works on uint8 tensors, image by image as (C, H, W) or a batch as (N, C, H, W), and gives
the same bytes on every machine (integer arithmetic, or PIL's resampling, which does not depend on
threads or devices). The target is a square side R, or (height, width) for non-square models (duelo.aspect).
Resize modes form a registry so the CLI can list them:

  pad          keep the whole image: shrink it (keeping aspect) if it does not fit in the target,
               then zero-pad symmetrically to the target. MNIST 28 → 32 is exactly 2 black pixels a side.
  center-crop  cut the largest centred rectangle of the target's shape (a square for a square target), then
               resample it to the target with Lanczos (antialiased when shrinking).
  stretch      resample to the target without keeping the aspect ratio.
  auto         pad when the image has the target's shape and is at most 8 px smaller on each side (a border
               that the digit datasets already have), otherwise center-crop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from duelo.registry import Registry

Size = int | tuple[int, int]                  # a square side, or (height, width)
ResizeFunction = Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]   # (C, H, W) uint8, (h, w) -> (C, h, w)

RESIZE_MODES: Registry[ResizeFunction] = Registry("resize mode")
AUTO_PAD_MAX_PIXELS = 8                    # auto pads only when target − size ≤ this (≤ 4 px a side)
RESAMPLING = Image.Resampling.LANCZOS      # good antialiasing when shrinking, sharp when enlarging
LUMA_WEIGHTS_PER_MILLE = (299, 587, 114)   # ITU-R BT.601 luma weights for R, G, B, in thousandths


# ---- channels --------------------------------------------------------------------------------------------
def convert_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """(N, C, H, W) uint8 → (N, channels, H, W): 3→1 by BT.601 luma (rounded), 1→3 by replicating gray."""
    _check_uint8(images, 4)
    have = int(images.shape[1])
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    if have == channels:
        return images.contiguous()
    if have == 1:                                                   # gray → RGB
        return images.expand(-1, 3, -1, -1).contiguous()
    red, green, blue = (images[:, index].to(torch.int32) for index in range(3))
    weight_r, weight_g, weight_b = LUMA_WEIGHTS_PER_MILLE
    luma = (weight_r * red + weight_g * green + weight_b * blue + 500) // 1000   # (N, H, W), rounded
    return luma.clamp_(0, 255).to(torch.uint8).unsqueeze(1).contiguous()


# ---- resize modes ----------------------------------------------------------------------------------------
def target_size(size: Size) -> tuple[int, int]:
    """(height, width) of a target given as a square side or as (height, width)."""
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


def size_text(size: Size) -> str:
    """"32×32", or "64×48" (width×height, as image sizes are written) for (48, 64)."""
    height, width = target_size(size)
    return f"{width}×{height}"


def choose_resize_mode(mode: str, height: int, width: int, resolution: Size) -> str:
    """The concrete mode for one image: resolves "auto", passes any other registered name through."""
    if mode != "auto":
        RESIZE_MODES.get(mode)                                     # raises with the list of names
        return mode
    target_height, target_width = target_size(resolution)
    same_shape = height * target_width == width * target_height       # square image for a square target
    if same_shape and 0 <= target_height - height <= AUTO_PAD_MAX_PIXELS \
            and 0 <= target_width - width <= AUTO_PAD_MAX_PIXELS:
        return "pad"
    return "center-crop"


def resize_image(image: torch.Tensor, resolution: Size, mode: str = "auto") -> torch.Tensor:
    """One (C, H, W) uint8 image → (C, height, width) uint8 with the given mode (`resolution` a side or (h, w))."""
    _check_uint8(image, 3)
    size = target_size(resolution)
    concrete = choose_resize_mode(mode, int(image.shape[1]), int(image.shape[2]), size)
    out = RESIZE_MODES.get(concrete)(image, size)
    assert out.shape == (image.shape[0], *size), (out.shape, concrete)
    return out


def resize_images(images: torch.Tensor | list[torch.Tensor], resolution: Size,
                  mode: str = "auto") -> torch.Tensor:
    """A batch (N, C, H, W) or a list of (C, H, W) images of any sizes → (N, C, height, width), the target given
    as a square side or as (height, width).

    A uniform batch that only needs padding is padded in one vectorised call; everything else goes image
    by image through PIL.
    """
    size = target_size(resolution)
    if isinstance(images, torch.Tensor):
        _check_uint8(images, 4)
        count, channels, height, width = (int(side) for side in images.shape)
        if (height, width) == size:
            return images.contiguous()
        concrete = choose_resize_mode(mode, height, width, size) if count else "pad"
        if concrete == "pad" and height <= size[0] and width <= size[1]:
            return _zero_pad(images, size)
        if count == 0:
            return images.new_zeros((0, channels, *size))
        return torch.stack([resize_image(image, size, mode) for image in images])
    if not images:
        raise ValueError("no images to resize")
    return torch.stack([resize_image(image, size, mode) for image in images])


@RESIZE_MODES.register("pad")
def pad_to_target(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Shrink to fit if needed (aspect kept), then zero-pad symmetrically to the target (a square, or (height,
    width)); the extra pixel of an odd difference goes to the bottom/right."""
    height, width = int(image.shape[1]), int(image.shape[2])
    target_height, target_width = size
    if height > target_height or width > target_width:
        scale = min(target_height / height, target_width / width)
        new_height = min(target_height, max(1, round(height * scale)))
        new_width = min(target_width, max(1, round(width * scale)))
        image = _pil_resize(image, new_height, new_width)
    return _zero_pad(image.unsqueeze(0), size).squeeze(0)


@RESIZE_MODES.register("center-crop")
def center_crop(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Largest centred rectangle of the target's shape (a square for a square target), then Lanczos to the target."""
    height, width = int(image.shape[1]), int(image.shape[2])
    target_height, target_width = size
    if width * target_height >= height * target_width:            # wider than the target: keep the full height
        crop_height, crop_width = height, max(1, min(width, round(height * target_width / target_height)))
    else:                                                         # taller: keep the full width
        crop_height, crop_width = max(1, min(height, round(width * target_height / target_width))), width
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    crop = image[:, top:top + crop_height, left:left + crop_width]
    return crop.contiguous() if (crop_height, crop_width) == size else _pil_resize(crop, *size)


@RESIZE_MODES.register("stretch")
def stretch(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Lanczos to the target; the aspect ratio is not kept."""
    if tuple(image.shape[1:]) == size:
        return image.contiguous()
    return _pil_resize(image, *size)


@RESIZE_MODES.register("auto")
def auto(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Pad an image of the target's shape that is a little smaller than it, center-crop anything else."""
    concrete = choose_resize_mode("auto", int(image.shape[1]), int(image.shape[2]), size)
    return RESIZE_MODES.get(concrete)(image, size)


# ---- helpers ---------------------------------------------------------------------------------------------
def to_chw(pixels: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, C) array -> contiguous (C, H, W) tensor. The copy is numpy's: torch's strided uint8 copy
    was measured 45x slower with 2 threads on a busy 2-core machine (11 ms vs 0.25 ms for 256x256x4)."""
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


def to_hwc(image: torch.Tensor) -> np.ndarray:
    """(C, H, W) uint8 tensor -> contiguous (H, W, C) array (numpy's copy, see to_chw)."""
    return np.ascontiguousarray(image.numpy().transpose(1, 2, 0))


def _zero_pad(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, H, W) with H, W ≤ the target (height, width) → (N, C, height, width), content centred."""
    height, width = int(images.shape[2]), int(images.shape[3])
    target_height, target_width = size
    assert height <= target_height and width <= target_width, (height, width, size)
    top, left = (target_height - height) // 2, (target_width - width) // 2
    bottom, right = target_height - height - top, target_width - width - left
    return F.pad(images, (left, right, top, bottom), mode="constant", value=0).contiguous()


def _pil_resize(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(C, H, W) uint8 → (C, height, width) uint8 with Lanczos, per image through PIL ("L" or "RGB")."""
    pixels = to_hwc(image.contiguous())                                   # (H, W, C)
    picture = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)   # "L" or "RGB"
    resized = np.array(picture.resize((width, height), RESAMPLING, reducing_gap=None), dtype=np.uint8)
    if resized.ndim == 2:
        resized = resized[:, :, None]
    return to_chw(resized)


def _check_uint8(tensor: torch.Tensor, ndim: int) -> None:
    if tensor.dtype != torch.uint8 or tensor.ndim != ndim:
        layout = "(N, C, H, W)" if ndim == 4 else "(C, H, W)"
        raise ValueError(f"expected uint8 {layout}, got {tensor.dtype} {tuple(tensor.shape)}")
