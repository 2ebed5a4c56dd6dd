"""Super-resolution input (`downsample`): area-average down-sampling, then bicubic up-sampling back.

The network sees a pre-upsampled image of the target's size (the SRCNN set-up: Dong et al. 2014, "Learning a
Deep Convolutional Network for Image Super-Resolution", section 3.1), so the same image-to-image generators
serve super-resolution. `downsample` and `upsample_bicubic` are public for a CLI that restores images which
are genuinely low-resolution: it calls upsample_bicubic on them and gives the result to the model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from duelo.degrade.base import DEGRADATIONS, Degradation, Degraded, check_images, check_int
from duelo.errors import ConfigError

Tensor = torch.Tensor


def _check_scale(scale: int) -> int:
    return check_int("downsample", "scale", scale, 2, 16)


def downsample(images: Tensor, scale: int) -> Tensor:
    """Mean of each scale x scale block: (N, C, H, W) -> (N, C, H / scale, W / scale). H and W must be
    multiples of scale (crop the images first otherwise): a partial block would change the pixel grid."""
    _check_scale(scale)
    height, width = images.shape[-2:]
    if height % scale or width % scale:
        raise ConfigError(f"downsample: image size {height} x {width} is not a multiple of scale = {scale}; "
                          f"crop the images to a multiple of {scale} or choose a scale dividing both sides")
    return F.avg_pool2d(images, kernel_size=scale, stride=scale)


def upsample_bicubic(images: Tensor, scale: int) -> Tensor:
    """Bicubic up-sampling by `scale` (Keys' cubic, a = -0.75, as in F.interpolate; align_corners=False),
    clamped to [-1, 1] because the cubic kernel overshoots at edges: (N, C, h, w) -> (N, C, h s, w s)."""
    _check_scale(scale)
    up = F.interpolate(images, scale_factor=scale, mode="bicubic", align_corners=False)
    return up.clamp(-1.0, 1.0)


@DEGRADATIONS.register("downsample", rescale=True)
class Downsample(Degradation):
    """Deterministic: upsample_bicubic(downsample(x, scale), scale); the generator is not used."""

    name = "downsample"
    baselines = ("bicubic",)

    def __init__(self,
        scale: int = 4,             # down-sampling factor; H and W must be multiples of it
    ):
        super().__init__()
        self.settings = {"scale": _check_scale(scale)}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("downsample", images)
        scale = self.settings["scale"]
        return Degraded(source=upsample_bicubic(downsample(images, scale), scale))
