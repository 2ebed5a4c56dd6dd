"""Faults of an image dataset, each item given at most one finding (the most serious): degenerate (one flat colour),
duplicate (of an earlier item), outlier (far from the rest), mislabelled (a classifier that never saw it is
confident it is another class). Every detector works in one shared view of the data:

    pixels     every image at VIEW_SIDE x VIEW_SIDE (area resampling), in [0, 1]
    features   the first PCA_DIMS principal components of the pixels, fitted on the data itself
    statistics per image: brightness, contrast, edge energy, a 4-bin intensity histogram, the centre and spread
               of its mass

* duplicates: exact ones by a hash of the pixels; near ones are feature-space nearest neighbours whose pixels
  differ by at most NEAR_MEAN_ABS on average, or that are the same picture up to brightness and contrast: their
  perceptual hashes (the signs of the 8 x 8 lowest DCT frequencies of a 32 x 32 grey copy, about their median;
  Zauner 2010) at most PHASH_BITS of 63 apart, and their pixels, each image brought to mean 0 and deviation 1,
  at most NEAR_Z apart on average (brightened, darkened or re-encoded copies: JPEG at quality 75 mostly, at 50
  rarely). Shifted, cropped or rescaled copies are not found. The first item of a group is kept, the others
  are findings.
* outliers: the robust Mahalanobis distance (minimum covariance determinant) of the statistics, as a robust
  z-score of its logarithm (median and MAD); above OUTLIER_Z an item is far from what the bulk of the data looks
  like. Neighbour distances and PCA reconstruction errors were tried first and fail when the intruders are many
  and alike: they are each other's neighbours, and they pull the principal components towards themselves.
* low discriminator scores (`critic`, from `duelo clean --run RUN`): how much a trained run's D takes each item
  for one of its training images (tasks/image_gan/run_models.realness), as a robust z-score below the data's
  median; beyond CRITIC_Z an item is an outlier. Useful when the run trained on data known to be good and DATA is
  new data of the same kind; a D trained on DATA itself has learnt its faults as data (docs/cleaning.md).
* mislabels (labelled sets): an RBF support-vector classifier on the features, cross-fitted (FOLDS folds: every
  item is judged by a model trained without it, and without the items found above); an item is likely
  mislabelled when the model's top class is another one and it gives the item's own label at most MISLABEL_OWN.

The thresholds are fixed, not fitted per dataset; benchmarks/clean.py measures them on planted faults.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from duelo.cleaning.findings import (Faults, Finding, exact_duplicates, mislabel_check, near_duplicates, outliers,
                                     robust_z)

VIEW_SIDE = 28
PCA_DIMS = 50
NEAR_MEAN_ABS = 2.0 / 255
NEAR_Z = 0.045                       # mean gap of the standardised pixels (benchmarks/clean.py --near)
PHASH_BITS = 8
OUTLIER_Z = 5.5
CRITIC_Z = 4.0
DEGENERATE_STD = 1.0 / 255
MAX_MISLABEL_ITEMS = 60_000          # the cross-fitted classifier's cost grows faster than the data

__all__ = ["CRITIC_REASON", "CRITIC_Z", "Faults", "Finding", "find_faults", "statistics", "view"]


def view(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, C, H, W) -> float32 (N, C * VIEW_SIDE^2) in [0, 1]."""
    parts = []
    for chunk in images.split(2048):
        x = chunk.float() / 255.0
        if x.shape[-2:] != (VIEW_SIDE, VIEW_SIDE):
            x = F.adaptive_avg_pool2d(x, VIEW_SIDE)
        parts.append(x.flatten(1).numpy())
    return np.concatenate(parts)


def statistics(pixels: np.ndarray) -> np.ndarray:
    """(N, C * side^2) in [0, 1] -> (N, 12) per-image statistics (grey levels)."""
    side = VIEW_SIDE
    x = pixels.reshape(len(pixels), -1, side, side).mean(axis=1)
    edges_y = np.abs(np.diff(x, axis=1)).mean(axis=(1, 2))
    edges_x = np.abs(np.diff(x, axis=2)).mean(axis=(1, 2))
    histogram = np.stack([((x >= a) & (x < b)).mean(axis=(1, 2))
                          for a, b in ((0, .1), (.1, .4), (.4, .7), (.7, 1.01))], axis=1)
    ys, xs = np.mgrid[0:side, 0:side] / side
    mass = x.sum(axis=(1, 2)) + 1e-6
    cy, cx = (x * ys).sum(axis=(1, 2)) / mass, (x * xs).sum(axis=(1, 2)) / mass
    sy = np.sqrt((x * (ys - cy[:, None, None]) ** 2).sum(axis=(1, 2)) / mass)
    sx = np.sqrt((x * (xs - cx[:, None, None]) ** 2).sum(axis=(1, 2)) / mass)
    return np.column_stack([x.mean(axis=(1, 2)), x.std(axis=(1, 2)), edges_y, edges_x, histogram, cy, cx, sy, sx])


def find_faults(images: torch.Tensor, labels: torch.Tensor | None, class_names: list[str] | None = None,
                seed: int = 0, log=None, critic: np.ndarray | None = None) -> Faults:
    """Every item's most serious finding; `critic` (one score per item, higher = more like the run's training
    images) adds the low-discriminator-score check."""
    from sklearn.decomposition import PCA

    say = log or (lambda text: None)
    n = len(images)
    pixels = view(images)
    faults = Faults([])
    taken = np.zeros(n, bool)

    std = pixels.std(axis=1)
    for i in np.nonzero(std <= DEGENERATE_STD)[0]:
        faults.findings.append(Finding(int(i), "degenerate", 1.0, "one flat colour: nothing to learn from"))
        taken[i] = True
    faults.checked["degenerate"] = f"{int(taken.sum())} flat image(s)"

    dims = max(1, min(PCA_DIMS, n - 1, pixels.shape[1]))
    features = (PCA(dims, random_state=seed).fit_transform(pixels) if pixels.std(axis=0).max() > 0
                else np.zeros((n, 1)))                                    # every item alike: nothing to project
    features = features / max(float(features.std()), 1e-12)
    say(f"clean: {n:,} images in a {dims}-d feature space")

    exact = exact_duplicates((images[i].numpy().tobytes() for i in range(n)), faults, taken)
    near = near_duplicates(features, _copy_test(images, pixels), faults, taken,
                           lambda j, gap: f"a near copy of item {j}: the same picture up to brightness, contrast or "
                                          f"re-encoding (pixels differ by {gap * 255:.1f}/255 on average)")
    faults.checked["duplicates"] = f"{exact} exact and {near} near copies"
    faults.checked["outliers"] = outliers(statistics(pixels), seed, OUTLIER_Z, faults, taken,
                                          "brightness, contrast, edges and shape")
    if critic is not None:
        found_by_d, faults.checked["discriminator"] = _critic_outliers(np.asarray(critic, np.float64), taken)
        faults.findings += found_by_d
    mislabel_check(features, None if labels is None else labels.numpy(), class_names, taken, seed,
                   MAX_MISLABEL_ITEMS, say, faults)
    faults.findings.sort(key=lambda f: f.index)
    return faults


def perceptual_hash(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, C, H, W) -> (N, 63) bool: pHash, the 8 x 8 lowest DCT frequencies of a 32 x 32 grey copy (the
    constant one left out), each above or below their median."""
    from scipy.fft import dctn

    bits = []
    for chunk in images.split(2048):
        grey = F.interpolate(chunk.float().mean(dim=1, keepdim=True), size=(32, 32), mode="area")[:, 0].numpy()
        low = dctn(grey, axes=(1, 2), norm="ortho")[:, :8, :8].reshape(len(grey), -1)[:, 1:]
        bits.append(low > np.median(low, axis=1, keepdims=True))
    return np.concatenate(bits)


def _copy_test(images: torch.Tensor, pixels: np.ndarray):
    """gap(i, j) for findings.near_duplicates: the mean pixel gap when j copies i (see the module docstring)."""
    hashes = perceptual_hash(images)
    standard = (pixels - pixels.mean(axis=1, keepdims=True)) / np.maximum(pixels.std(axis=1, keepdims=True), 1e-6)

    def gap(i: int, j: int) -> float | None:
        raw = float(np.abs(pixels[i] - pixels[j]).mean())
        if raw <= NEAR_MEAN_ABS:
            return raw
        if (hashes[i] != hashes[j]).sum() <= PHASH_BITS and np.abs(standard[i] - standard[j]).mean() <= NEAR_Z:
            return raw
        return None
    return gap


CRITIC_REASON = "the trained run's discriminator takes it for unlike its training images"


def _critic_outliers(critic: np.ndarray, taken: np.ndarray) -> tuple[list[Finding], str]:
    """Items whose D score lies more than CRITIC_Z robust deviations below the data's median, or is not a number,
    and that no check above found (marked taken); and what the check did, in words."""
    if len(critic) != len(taken):
        raise ValueError(f"{len(critic)} discriminator scores for {len(taken)} items")
    finite = np.isfinite(critic)
    found = [Finding(int(i), "outlier", float("inf"), f"{CRITIC_REASON} (its score is not a number)")
             for i in np.nonzero(~finite & ~taken)[0]]
    taken[~finite] = True
    values = critic[finite]
    spread = float(np.median(np.abs(values - np.median(values)))) if len(values) else 0.0
    if len(values) < 20 or spread == 0:
        return found, (f"{len(found)} item(s) without a finite score; the rest skipped: "
                       + ("fewer than 20 scores" if len(values) < 20 else "the scores do not vary"))
    low = np.full(len(critic), -np.inf)
    low[finite] = robust_z(-values)
    for i in np.argsort(-low):
        if low[i] <= CRITIC_Z:
            break
        if not taken[i]:
            found.append(Finding(int(i), "outlier", float(low[i]),
                                 f"{CRITIC_REASON} (score {critic[i]:.2f}, robust z -{low[i]:.1f})"))
            taken[i] = True
    return found, (f"{len(found)} item(s) no check above found that the run's D scores below robust z "
                   f"-{CRITIC_Z:g} or not at all")
