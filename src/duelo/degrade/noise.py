"""Noise for denoising: additive white Gaussian noise (`gaussian`) and impulse noise (`salt-pepper`).

Noise levels are in units of the [0, 1] intensity range, the convention of the denoising literature
(sigma = 25 / 255 ~ 0.098 is "sigma 25"): on images in [-1, 1] (range 2) the noise std is 2 * sigma.
"""

from __future__ import annotations

import torch

from duelo.degrade.base import (DEGRADATIONS, Degradation, Degraded, check_images, check_range,
                                uniform_per_image)

Tensor = torch.Tensor


@DEGRADATIONS.register("gaussian")
class GaussianNoise(Degradation):
    """x + n, n ~ N(0, (2 sigma)^2) i.i.d. per pixel and channel, clamped to [-1, 1]; sigma ~ U[lo, hi] per
    image. A range gives blind denoising as in DnCNN-B (Zhang et al. 2017, "Beyond a Gaussian Denoiser",
    section 4.1: sigma in [0, 55] / 255). The clamp lowers the effective std near black and white."""

    name = "gaussian"
    baselines = ("identity", "gaussian-blur")

    def __init__(self,
        sigma: float | tuple[float, float] = (0.0, 0.2),   # noise std in [0, 1]-range units; a number = fixed
    ):
        super().__init__()
        self.settings = {"sigma": check_range("gaussian", "sigma", sigma, 0.0, 1.0)}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("gaussian", images)
        std = 2.0 * uniform_per_image(self.settings["sigma"], images, generator)     # (N, 1, 1, 1)
        noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        return Degraded(source=(images + noise * std).clamp(-1.0, 1.0))


@DEGRADATIONS.register("salt-pepper")
class SaltPepper(Degradation):
    """Impulse noise (Gonzalez & Woods, "Digital Image Processing", section 5.2): a fraction `amount` of the
    pixel positions, drawn per image, is set to white (salt, +1) or black (pepper, -1), all channels alike
    (a dead pixel, not a coloured speck). A position is salt with probability salt_fraction."""

    name = "salt-pepper"
    baselines = ("identity", "median3")

    def __init__(self,
        amount:        float | tuple[float, float] = 0.05,   # corrupted pixel fraction; a pair = U[lo, hi]
        salt_fraction: float = 0.5,                          # share of the corrupted pixels that are white
    ):
        super().__init__()
        self.settings = {"amount": check_range("salt-pepper", "amount", amount, 0.0, 1.0),
                         "salt_fraction": check_range("salt-pepper", "salt_fraction", salt_fraction,
                                                      0.0, 1.0)[0]}

    def __call__(self, images: Tensor, generator: torch.Generator) -> Degraded:
        check_images("salt-pepper", images)
        n, _, height, width = images.shape
        amount = uniform_per_image(self.settings["amount"], images, generator)       # (N, 1, 1, 1)
        u = torch.rand((n, 1, height, width), generator=generator, device=images.device, dtype=images.dtype)
        salt = u < amount * self.settings["salt_fraction"]                            # (N, 1, H, W)
        pepper = (u < amount) & ~salt
        one = torch.ones((), dtype=images.dtype, device=images.device)
        source = torch.where(salt, one, torch.where(pepper, -one, images))
        return Degraded(source=source)
