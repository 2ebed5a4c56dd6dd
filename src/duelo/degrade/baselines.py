"""Trivial restorations a trained model must beat, so that a reported PSNR/SSIM means something.

Plain tensor functions (shapes (N, C, H, W), values in [-1, 1]) plus BASELINES, which maps a name to a
function of a Degraded, and `baselines_for(degradation)`, read from each degradation's `baselines`.
Bicubic up-sampling needs no function: the "downsample" source already is the bicubic estimate.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from duelo.degrade.base import DEGRADATIONS, Degraded
from duelo.errors import ConfigError
from duelo.registry import Registry

Tensor = torch.Tensor


def identity(source: Tensor) -> Tensor:
    """The degraded image itself (noisy, blocky or bicubic-upsampled)."""
    return source


def mean_fill(source: Tensor, mask: Tensor) -> Tensor:
    """Holes (mask (N, 1, H, W), 1 = missing) filled with the mean of each image's known pixels, per channel;
    known pixels copied exactly. An image without known pixels is filled with 0."""
    known = 1.0 - mask                                                            # (N, 1, H, W)
    total = (source * known).sum(dim=(2, 3), keepdim=True)                       # (N, C, 1, 1)
    mean = total / known.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)
    return torch.where(mask > 0.5, mean.expand_as(source), source)


def _pull_push(values: Tensor, weights: Tensor) -> Tensor:
    """Pull-push hole filling (Gortler et al. 1996, "The Lumigraph", section 3.4.1), a pyramid of normalised
    convolutions (Knutsson & Westin 1993): average known values over 2 x 2 cells down to 1 x 1 (pull), then
    fill each level's empty pixels from the bilinearly up-sampled coarser level (push). Static number of
    levels (log2 of the size); values (N, C, H, W), weights (N, 1, H, W) in {0, 1} -> filled (N, C, H, W)."""
    pyramid = [(values * weights, weights)]
    while max(pyramid[-1][1].shape[-2:]) > 1:                                    # static: shapes only
        weighted, w = pyramid[-1]
        pyramid.append((F.avg_pool2d(weighted, 2, ceil_mode=True), F.avg_pool2d(w, 2, ceil_mode=True)))
    weighted, w = pyramid[-1]
    filled = weighted / w.clamp_min(1e-12)                                       # 0 where nothing is known
    for weighted, w in reversed(pyramid[:-1]):
        coarse = F.interpolate(filled, size=w.shape[-2:], mode="bilinear", align_corners=False)
        filled = torch.where(w > 0, weighted / w.clamp_min(1e-12), coarse)
    return filled


def blur_fill(source: Tensor, mask: Tensor, iterations: int = 64) -> Tensor:
    """Smooth hole filling from the known pixels: pull-push initialisation, then `iterations` Jacobi steps of
    Laplace's equation inside the holes with the known pixels as boundary values (harmonic inpainting,
    Bertalmio et al. 2000 in its simplest form). A linear ramp is filled exactly once converged; known
    pixels are copied exactly."""
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
        raise ConfigError(f"blur_fill: iterations must be an integer >= 0 (got {iterations!r})")
    holes = mask > 0.5                                                            # (N, 1, H, W)
    x = torch.where(holes, _pull_push(source, 1.0 - mask), source)
    for _ in range(iterations):                                                   # static: an argument
        p = F.pad(x, (1, 1, 1, 1), mode="replicate")
        average = (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) * 0.25
        x = torch.where(holes, average, source)
    return x


def gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur, std `sigma` in pixels, kernel radius ceil(3 sigma), border repeated (so a
    constant image stays constant). The denoising baseline; sigma <= 0 returns the images."""
    if sigma <= 0:
        return images
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    n, c, height, width = images.shape
    x = images.reshape(n * c, 1, height, width)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return x.view(n, c, height, width)


def median3(images: Tensor) -> Tensor:
    """3 x 3 median filter, border repeated: removes isolated impulses (salt-and-pepper baseline)."""
    n, c, height, width = images.shape
    p = F.pad(images, (1, 1, 1, 1), mode="replicate")
    neighbours = torch.stack([p[..., dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)])
    return neighbours.median(dim=0).values                                       # (N, C, H, W)


# --- registry: name -> function(Degraded) -> (N, C, H, W) prediction ---------------------------------------

BASELINES: Registry[Callable[[Degraded], Tensor]] = Registry("baseline")

BLUR_SIGMA_PX = 1.0     # gaussian-blur baseline: one pixel, a fair compromise over the noise levels used


def _needs_mask(name: str, degraded: Degraded) -> Tensor:
    if degraded.mask is None:
        raise ConfigError(f"baseline {name!r} fills holes and needs a mask; use it with a hole degradation "
                          f"(boxes, strokes), not one whose Degraded.mask is None")
    return degraded.mask


@BASELINES.register("identity")
def _identity(degraded: Degraded) -> Tensor:
    return identity(degraded.source)


@BASELINES.register("bicubic")
def _bicubic(degraded: Degraded) -> Tensor:
    return identity(degraded.source)      # the "downsample" source is bicubic-upsampled already


@BASELINES.register("mean-fill")
def _mean_fill(degraded: Degraded) -> Tensor:
    return mean_fill(degraded.source, _needs_mask("mean-fill", degraded))


@BASELINES.register("blur-fill")
def _blur_fill(degraded: Degraded) -> Tensor:
    return blur_fill(degraded.source, _needs_mask("blur-fill", degraded))


@BASELINES.register("gaussian-blur")
def _gaussian_blur(degraded: Degraded) -> Tensor:
    return gaussian_blur(degraded.source, BLUR_SIGMA_PX)


@BASELINES.register("median3")
def _median3(degraded: Degraded) -> Tensor:
    return median3(degraded.source)


def baselines_for(degradation: str) -> list[str]:
    """Baseline names for a registered degradation name (its class's `baselines`); [] for edges."""
    return list(DEGRADATIONS.get(degradation).baselines)
