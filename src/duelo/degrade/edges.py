"""Edge maps (`edges`): the input of edges -> image translation (pix2pix's edges2shoes, Isola et al. 2017,
section 4, made here with a Sobel filter instead of HED so that it runs on the fly inside the step).

Deterministic: grey = ITU-R BT.601 luma (RGB) or the single channel; Sobel gradients (Sobel & Feldman 1968,
as in Gonzalez & Woods, "Digital Image Processing", section 10.2) with the border repeated, so the image
frame itself is no edge; magnitude divided by the image's largest magnitude; pixels at or above `threshold`
become +1 (white edges), the rest -1 (black). A flat image has no edges (its largest magnitude is 0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from duelo.degrade.base import DEGRADATIONS, Degradation, Degraded, check_images, check_range

Tensor = torch.Tensor

LUMA_WEIGHTS = (0.299, 0.587, 0.114)   # ITU-R BT.601 R, G, B


def grey(images: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, 1, H, W): BT.601 luma for RGB, the channel itself for grey images."""
    if images.shape[1] == 1:                                          # static: channel count
        return images
    r, g, b = LUMA_WEIGHTS               # Python scalars: a device tensor of them would be a host copy
    return r * images[:, 0:1] + g * images[:, 1:2] + b * images[:, 2:3]


def sobel_magnitude(images: Tensor) -> Tensor:
    """Gradient magnitude sqrt(gx^2 + gy^2) of the grey image, (N, 1, H, W), border repeated."""
    g = F.pad(grey(images), (1, 1, 1, 1), mode="replicate")          # (N, 1, H + 2, W + 2)
    smooth_x = g[..., :, :-2] + 2 * g[..., :, 1:-1] + g[..., :, 2:]   # [1, 2, 1] along x
    smooth_y = g[..., :-2, :] + 2 * g[..., 1:-1, :] + g[..., 2:, :]   # [1, 2, 1] along y
    gy = smooth_x[..., 2:, :] - smooth_x[..., :-2, :]                 # (N, 1, H, W)
    gx = smooth_y[..., :, 2:] - smooth_y[..., :, :-2]
    return torch.sqrt(gx * gx + gy * gy)


@DEGRADATIONS.register("edges")
class Edges(Degradation):
    """Binary Sobel edge map in {-1, 1}, one channel; the generator is not used."""

    name = "edges"
    baselines = ()                          # a different modality: no trivial predictor of the image

    def __init__(self,
        threshold: float = 0.2,             # edge if magnitude >= threshold * the image's largest magnitude
    ):
        super().__init__()
        threshold = check_range("edges", "threshold", threshold, 0.0, 1.0, low_open=True)[0]
        self.settings = {"threshold": threshold}

    def source_channels(self, target_channels: int) -> int:
        return 1

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("edges", images)
        magnitude = sobel_magnitude(images)                                            # (N, 1, H, W)
        peak = magnitude.amax(dim=(2, 3), keepdim=True)                               # (N, 1, 1, 1)
        relative = magnitude / peak.clamp_min(torch.finfo(magnitude.dtype).tiny)
        edge = (relative >= self.settings["threshold"]) & (peak > 0)
        one = torch.ones((), dtype=images.dtype, device=images.device)
        return Degraded(source=torch.where(edge, one, -one))
