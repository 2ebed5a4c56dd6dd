"""Memorisation check: are generated samples closer to the training set than unseen real data is?

A model that copies its training data produces samples whose nearest training neighbour is unusually
close. "Unusually" needs a yardstick, and the honest one is a held-out real split: its samples come from
the data distribution but were never trained on, so their nearest-neighbour (NN) distances to the
training set show how close a fresh, non-copied sample typically lands. This is the comparison behind
Meehan, Chaudhuri & Dasgupta 2020, "A Non-Parametric Test to Detect Data-Copying in Generative Models"
(generated-to-train vs. test-to-train distances), reduced here to summary numbers; the near-copy count
follows the spirit of Carlini et al. 2023, "Extracting Training Data from Diffusion Models", which flags
generations that lie abnormally close to one training example.

Reading the numbers:
* `nn_ratio` (median generated→train NN distance / median held-out→train NN distance) near 1: no sign
  of copying; well below 1: samples hug the training set (memorisation); above 1: samples are off the
  data (a quality problem, not a privacy one).
* `near_copy_fraction`: share of generated samples closer to their NN than all but `percentile` % of
  held-out samples are. For a model that never copies it is about `percentile` / 100.

Works on any representation: domain-classifier features, Inception features, or flattened pixels.
"""

from __future__ import annotations

import numpy as np
import torch

from duelo.errors import ConfigError, DataError
from duelo.evaluation.frechet import TooFewSamplesError, as_feature_matrix
from duelo.evaluation.prdc import nearest_neighbour_distances


def memorisation_report(generated: torch.Tensor | np.ndarray,
                        train: torch.Tensor | np.ndarray,
                        heldout: torch.Tensor | np.ndarray,
                        percentile: float = 1.0,   # held-out NN-distance percentile below which = near-copy
                        show: int = 8,             # closest (generated, train) pairs listed for inspection
                        chunk: int = 1024,         # query rows per distance block; bounds memory
                        ) -> dict[str, float | int | list]:
    """NN distances generated→train vs. held-out→train, their ratio and the near-copy fraction.

    A generated sample is a near-copy when its NN distance to the training set is <= the `percentile`-th
    percentile of the held-out→train NN distances (inclusive, so exact copies count even when that
    percentile is 0). The held-out split must be disjoint from `train`; it should hold at least
    1000 / percentile samples (1000 for the 1st percentile), so that ~10 held-out samples lie below the
    threshold rather than one. Also returns the `show` closest pairs, to show side by side in a grid.
    """
    g = as_feature_matrix(generated, "generated")                            # (G, D)
    t = as_feature_matrix(train, "train").to(g.device)                        # (T, D)
    h = as_feature_matrix(heldout, "heldout").to(g.device)                    # (H, D)
    if not (g.shape[1] == t.shape[1] == h.shape[1]):
        raise DataError(f"memorisation_report: feature dimensions differ (generated {g.shape[1]}, "
                        f"train {t.shape[1]}, heldout {h.shape[1]}); use one representation for all three")
    if not 0.0 < percentile < 100.0:
        raise ConfigError(f"memorisation_report: percentile must be in (0, 100), got {percentile}")
    if len(t) < 1 or len(g) < 1 or len(h) < 2:
        raise TooFewSamplesError(
            f"memorisation_report: got {len(g)} generated, {len(t)} train and {len(h)} held-out samples; "
            f"it needs at least 1, 1 and 2, and about {int(1000 / percentile):,} held-out samples for a "
            f"stable {percentile:g}th-percentile threshold")

    generated_nn, generated_index = nearest_neighbour_distances(g, t, chunk)  # (G,), (G,)
    heldout_nn, _ = nearest_neighbour_distances(h, t, chunk)                  # (H,)
    heldout_median = float(heldout_nn.median())
    if heldout_median == 0.0:
        raise DataError("memorisation_report: at least half of the held-out samples also appear in the "
                        "training set (NN distance 0); split the data so the held-out part is disjoint, "
                        "after removing duplicates")
    threshold = float(torch.quantile(heldout_nn, percentile / 100.0))
    near_copy = generated_nn <= threshold
    closest = generated_nn.argsort()[:show]
    return {"nn_generated_median": float(generated_nn.median()),
            "nn_generated_mean": float(generated_nn.mean()),
            "nn_heldout_median": heldout_median,
            "nn_heldout_mean": float(heldout_nn.mean()),
            "nn_ratio": float(generated_nn.median()) / heldout_median,
            "nn_ratio_mean": float(generated_nn.mean()) / float(heldout_nn.mean()),
            "near_copy_threshold": threshold,
            "near_copy_fraction": float(near_copy.double().mean()),
            "near_copy_expected": percentile / 100.0,
            "percentile": percentile,
            "closest_generated": closest.tolist(),
            "closest_train": generated_index[closest].tolist(),
            "closest_distances": generated_nn[closest].tolist(),
            "num_generated": len(g), "num_train": len(t), "num_heldout": len(h)}
