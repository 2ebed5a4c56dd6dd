"""The 2-D Gaussian-mixture benchmarks for mode collapse, and the mode-coverage score they use.

* Ring: 8 equal-weight Gaussians on a circle of radius 2 with std 0.02 — Metz, Poole, Pfau &
  Sohl-Dickstein 2017, "Unrolled Generative Adversarial Networks"; reused by VEEGAN and PacGAN.
* Grid: 25 equal-weight Gaussians on a 5 × 5 grid at spacing 2 (centres −4 … 4) — Srivastava, Valkov,
  Russell, Gutmann & Sutton 2017, "VEEGAN"; reused by PacGAN (Lin, Khetan, Fanti & Oh 2018). Later
  papers vary the std; pass the value of the table you compare with.

Score (VEEGAN and PacGAN experiments on these mixtures): a sample is *high quality* when it lies within
`threshold_std` (3) standard deviations of its nearest centre; a mode is *covered* when enough
high-quality samples land on it. VEEGAN counts a mode once any high-quality sample reaches it, which
a single stray sample satisfies; PacGAN demands a fifth of the samples an even split would give
(20 of 2 500 samples over 25 modes). We default to PacGAN's rule, max(1, ceil(0.2 · N / modes)), so
that a collapsed generator which leaks a few samples is not credited with the mode; pass
`min_count=1` for VEEGAN's rule.
"""

from __future__ import annotations

import math

import torch

from duelo.errors import ConfigError
from duelo.evaluation.frechet import TooFewSamplesError, as_feature_matrix


def _sample_mixture(n: int, centres: torch.Tensor, std: float,
                    generator: torch.Generator | None) -> torch.Tensor:
    """n draws from the equal-weight mixture of isotropic Gaussians N(centre, std² I): (n, 2)."""
    if n < 0 or std < 0:
        raise ConfigError(f"toy mixture: n and std must be >= 0 (got n={n}, std={std})")
    components = torch.randint(len(centres), (n,), generator=generator)       # (n,)
    noise = torch.randn(n, centres.shape[1], generator=generator, dtype=centres.dtype)
    return centres[components] + std * noise                                 # (n, 2)


def ring_of_gaussians(n: int,
                      modes: int = 8,                     # Gaussians on the circle
                      radius: float = 2.0,                # circle radius
                      std: float = 0.02,                  # per-axis standard deviation of each Gaussian
                      generator: torch.Generator | None = None,
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples (n, 2) and centres (modes, 2) of the ring mixture (Metz et al. 2017); float32."""
    if modes < 1:
        raise ConfigError(f"ring_of_gaussians: modes must be >= 1, got {modes}")
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    centres = (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()   # (modes, 2)
    return _sample_mixture(n, centres, std, generator), centres


def grid_of_gaussians(n: int,
                      side: int = 5,                      # grid is side × side Gaussians
                      spacing: float = 2.0,               # distance between neighbouring centres
                      std: float = 0.02,                  # per-axis standard deviation (PacGAN: 0.05)
                      generator: torch.Generator | None = None,
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples (n, 2) and centres (side², 2) of the grid mixture (VEEGAN), centred on the origin; float32."""
    if side < 1:
        raise ConfigError(f"grid_of_gaussians: side must be >= 1, got {side}")
    axis = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing      # (side,)
    centres = torch.cartesian_prod(axis, axis)                                       # (side², 2)
    return _sample_mixture(n, centres, std, generator), centres


def mode_coverage(samples: torch.Tensor,
                  centres: torch.Tensor,
                  std: float,                             # the mixture's per-axis std
                  threshold_std: float = 3.0,             # high quality = within this many std of a centre
                  min_count: int | None = None,           # None: max(1, ceil(0.2 · N / modes)) (PacGAN)
                  ) -> dict[str, int | float | list[int]]:
    """Modes covered, high-quality fraction and per-mode counts (VEEGAN / PacGAN protocol).

    Returns modes_covered, num_modes, high_quality_fraction (share of all samples within
    threshold_std · std of their nearest centre), per_mode_counts (high-quality samples per mode),
    min_count (the rule that was applied) and kl_to_uniform: KL(p ‖ uniform) of the high-quality samples'
    mode histogram p — PacGAN's "reverse KL", 0 for a perfect balance, log(modes) for total collapse
    (and reported as log(modes) when no sample is of high quality).
    """
    x = as_feature_matrix(samples, "samples")                                 # (N, 2)
    c = as_feature_matrix(centres, "centres").to(x.device)                    # (K, 2)
    if std <= 0 or threshold_std <= 0:
        raise ConfigError(f"mode_coverage: std and threshold_std must be > 0 (got {std}, {threshold_std})")
    if len(x) == 0 or len(c) == 0:
        raise TooFewSamplesError(f"mode_coverage: got {len(x)} samples and {len(c)} centres; needs at "
                                 f"least one of each (PacGAN uses 2,500 samples for 25 modes)")
    num_modes = len(c)
    if min_count is None:
        min_count = max(1, math.ceil(0.2 * len(x) / num_modes))
    nearest = torch.cdist(x, c).min(dim=1)                                    # (N,) distance, index
    high_quality = nearest.values <= threshold_std * std                     # (N,)
    counts = torch.bincount(nearest.indices[high_quality], minlength=num_modes)     # (K,)
    total = int(counts.sum())
    if total > 0:
        p = counts.double() / total
        kl = float((p[p > 0] * (p[p > 0] * num_modes).log()).sum())
    else:
        kl = math.log(num_modes)
    return {"modes_covered": int((counts >= min_count).sum()),
            "num_modes": num_modes,
            "high_quality_fraction": total / len(x),
            "per_mode_counts": counts.tolist(),
            "min_count": int(min_count),
            "kl_to_uniform": kl}
