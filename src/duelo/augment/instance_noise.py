"""Instance noise: Gaussian noise added to every input of the discriminator, annealed to zero.

Sønderby, Caballero, Theis, Shi & Huszár 2017 ("Amortised MAP Inference for Image Super-resolution",
section 3.2) and Arjovsky & Bottou 2017 ("Towards Principled Methods for Training Generative Adversarial
Networks", section 3.1): adding eps ~ N(0, sigma^2 I) to real and fake images makes the two distributions
overlap, so D cannot separate them perfectly and its gradient stays informative; sigma is annealed so that
the noise-free distributions are matched in the end. Here sigma falls linearly from `sigma` to 0 over the
first `anneal_kimg` thousand real images and stays 0 afterwards.

A stabiliser rather than a data augmentation, so it is not in AUGMENTS; it has the same interface.
"""

from __future__ import annotations

import math

import torch

from duelo.augment.base import Augment
from duelo.errors import ConfigError

Tensor = torch.Tensor


class InstanceNoise(Augment):
    """x -> x + sigma_t * N(0, I), sigma_t = sigma * max(0, 1 - nimg / (anneal_kimg * 1000)).

    Buffer (saved in state_dict): nimg, the float64 count of real images observed so far (float64 counts
    whole images exactly far beyond any training run; float32 would stop at 2^24 = 16.8M images).
    """

    def __init__(self,
        sigma:       float = 0.1,          # initial noise std, in image units ([-1, 1] images)
        anneal_kimg: float = 100.0,        # thousands of real images over which sigma falls linearly to 0
    ):
        for field, value, meaning in (("sigma", sigma, "the initial noise std"),
                                      ("anneal_kimg", anneal_kimg, "thousands of real images to reach 0")):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                    or value < 0 or (field == "anneal_kimg" and value == 0):
                rule = ">= 0" if field == "sigma" else "> 0"
                raise ConfigError(f"instance noise: {field} must be a number {rule}; it is {meaning} "
                                  f"(got {value!r})")
        super().__init__()
        self.sigma = float(sigma)
        self.anneal_kimg = float(anneal_kimg)
        self.register_buffer("nimg", torch.tensor(0.0, dtype=torch.float64))

    def current_sigma(self) -> Tensor:
        """sigma_t as a 0-d float32 tensor on the module's device (no host sync)."""
        remaining = (1.0 - self.nimg / (self.anneal_kimg * 1000.0)).clamp(0.0, 1.0)
        return (self.sigma * remaining).to(torch.float32)

    def forward(self, images: Tensor, generator: torch.Generator) -> Tensor:
        noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        return images + self.current_sigma().to(images.dtype) * noise

    @torch.no_grad()
    def observe(self, real_logits: Tensor) -> None:
        """Count the real images of this D step (called once per step)."""
        self.nimg.add_(float(real_logits.shape[0]))

    def status(self) -> dict[str, Tensor]:
        return {"instance_noise_sigma": self.current_sigma()}

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, anneal_kimg={self.anneal_kimg}"
