"""Precision, recall, density and coverage: fidelity and diversity as two separate numbers.

FID folds "are the samples realistic?" and "do they cover the data?" into one figure. These metrics
estimate each data manifold as a union of k-nearest-neighbour balls in feature space and ask how the
two sets fall into each other's balls:

* precision / recall — Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, "Improved Precision and Recall
  Metric for Assessing Generative Models", eqs. (1)-(2): precision is the share of fake samples inside
  the real manifold; recall the share of real samples inside the fake manifold.
* density / coverage — Naeem, Oh, Uh, Choi & Yoo 2020, "Reliable Fidelity and Diversity Metrics for
  Generative Models", eqs. (3)-(4): density counts how many real balls hold each fake sample (robust to
  real outliers whose large balls inflate precision); coverage is the share of real samples whose own
  ball holds at least one fake sample (uses only real balls, so fake outliers cannot inflate it).

Balls are closed (distance <= radius). Distances are computed in float64 in row chunks, so memory is
O(chunk × N) rather than O(N × M): 10k × 10k needs about 80 MB per chunk of 1024 rows. The fast
(matrix-product) distance formula rounds differently for (a, b) and (b, a), so a sample lying exactly
on a ball's boundary — a copy of the centre's k-th neighbour, as memorised samples are — could fall
out by one ulp; radii get a relative slack of `BOUNDARY_SLACK` (far below any real gap between samples),
and both sets are first centred on the real mean, which keeps that rounding small.
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.errors import ConfigError, DataError
from duelo.evaluation.frechet import TooFewSamplesError, as_feature_matrix

BOUNDARY_SLACK = 1e-9      # relative widening of every ball radius; see the module docstring


def kth_neighbour_radii(points: torch.Tensor, k: int = 3, chunk: int = 1024) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set, the point itself excluded
    (exact duplicates of it elsewhere in the set do count, at distance 0): (N, D) -> (N,)."""
    radii = torch.empty(len(points), dtype=points.dtype, device=points.device)
    for start in range(0, len(points), chunk):
        block = points[start:start + chunk]                                   # (c, D)
        distances = torch.cdist(block, points)                                # (c, N)
        rows = torch.arange(len(block), device=points.device)
        distances[rows, start + rows] = torch.inf                             # not its own neighbour
        radii[start:start + len(block)] = distances.kthvalue(k, dim=1).values
    return radii


def nearest_neighbour_distances(queries: torch.Tensor, reference: torch.Tensor,
                                chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For each query row, the distance to and index of its nearest reference row: (Q,), (Q,)."""
    distances = torch.empty(len(queries), dtype=queries.dtype, device=queries.device)
    indices = torch.empty(len(queries), dtype=torch.long, device=queries.device)
    for start in range(0, len(queries), chunk):
        # exact differences, not the |x|²+|y|²-2xy shortcut: identical rows must give exactly 0
        block = torch.cdist(queries[start:start + chunk], reference,
                            compute_mode="donot_use_mm_for_euclid_dist")            # (c, R)
        nearest = block.min(dim=1)
        distances[start:start + len(block)] = nearest.values
        indices[start:start + len(block)] = nearest.indices
    return distances, indices


def precision_recall_density_coverage(real: torch.Tensor | np.ndarray,
                                      fake: torch.Tensor | np.ndarray,
                                      k: int = 3,          # neighbours defining each ball (K19: 3; N20: 5)
                                      chunk: int = 1024,   # rows per distance block; bounds memory
                                      ) -> dict[str, float | int]:
    """Improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

    With real X (N rows), fake Y (M rows) and NND_k(p) the k-th neighbour distance of p in its own set:

        precision = 1/M Σ_j 1[∃ i: ‖Yj − Xi‖ <= NND_k(Xi)]
        recall    = 1/N Σ_i 1[∃ j: ‖Xi − Yj‖ <= NND_k(Yj)]
        density   = 1/(kM) Σ_j Σ_i 1[‖Yj − Xi‖ <= NND_k(Xi)]
        coverage  = 1/N Σ_i 1[∃ j: ‖Xi − Yj‖ <= NND_k(Xi)]

    Precision, recall and coverage lie in [0, 1]; density is unbounded and is ~1 when fake and real
    come from the same distribution. Both sets need more than k samples; the papers use 10k–50k.
    """
    x = as_feature_matrix(real, "real")                                       # (N, D)
    y = as_feature_matrix(fake, "fake").to(x.device)                          # (M, D)
    if x.shape[1] != y.shape[1]:
        raise DataError(f"precision_recall_density_coverage: feature dimensions differ "
                        f"({x.shape[1]} vs {y.shape[1]}); use one feature extractor for both")
    if k < 1 or chunk < 1:
        raise ConfigError(f"precision_recall_density_coverage: k and chunk must be >= 1 (got {k}, {chunk})")
    if min(len(x), len(y)) <= k:
        raise TooFewSamplesError(
            f"precision_recall_density_coverage: got {len(x)} real and {len(y)} fake samples; the k-th "
            f"neighbour radius with k={k} needs at least {k + 1} in each set (10,000 or more recommended)")
    origin = x.mean(0)                                                        # distances are shift-free;
    x, y = x - origin, y - origin                                             # small norms round less
    radius_real = kth_neighbour_radii(x, k, chunk) * (1 + BOUNDARY_SLACK)     # (N,)
    radius_fake = kth_neighbour_radii(y, k, chunk) * (1 + BOUNDARY_SLACK)     # (M,)

    fakes_in_real_manifold = 0
    real_balls_holding_fakes = 0                                              # Σ_j Σ_i 1[...], density
    nearest_fake = torch.full((len(x),), torch.inf, dtype=x.dtype, device=x.device)
    for start in range(0, len(y), chunk):
        distances = torch.cdist(y[start:start + chunk], x)                    # (c, N)
        inside = distances <= radius_real                                     # (c, N): Yj in ball of Xi
        fakes_in_real_manifold += int(inside.any(dim=1).sum())
        real_balls_holding_fakes += int(inside.sum())
        nearest_fake = torch.minimum(nearest_fake, distances.min(dim=0).values)

    reals_in_fake_manifold = 0
    for start in range(0, len(x), chunk):
        distances = torch.cdist(x[start:start + chunk], y)                    # (c, M)
        reals_in_fake_manifold += int((distances <= radius_fake).any(dim=1).sum())

    return {"precision": fakes_in_real_manifold / len(y),
            "recall": reals_in_fake_manifold / len(x),
            "density": real_balls_holding_fakes / (k * len(y)),
            "coverage": float((nearest_fake <= radius_real).double().mean()),
            "k": k,
            "num_real": len(x),
            "num_fake": len(y)}
