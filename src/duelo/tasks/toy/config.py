"""The `toy` section: which 2-D Gaussian mixture, how many points, and the size of the two MLPs."""

from __future__ import annotations

from dataclasses import dataclass

from duelo.config.fields import at_least, from_registry, positive, positive_int, setting


@dataclass(frozen=True)
class ToyConfig:
    mixture:      str = setting("ring", "ring (8 Gaussians on a circle, Metz et al. 2017) or grid (25 on a 5x5 "
                                "grid, VEEGAN)", cli="--mixture",
                                choices=from_registry("duelo.tasks.toy.mixtures:MIXTURES"))
    std:          float = setting(0.02, "per-axis standard deviation of each Gaussian (PacGAN's grid: 0.05)",
                                  check=positive)
    points:       int = setting(100_000, "training points, drawn once from the mixture (seeded)",
                                check=at_least(16, integer=True))
    z_dim:        int = setting(2, "latent size of the generator", check=positive_int)
    width:        int = setting(128, "hidden width of G and D", check=positive_int)
    depth:        int = setting(3, "hidden layers of G and D", check=positive_int)
    eval_samples: int = setting(2500, "generated points behind the summary's mode coverage (PacGAN: 2,500)",
                                check=at_least(16, integer=True))
