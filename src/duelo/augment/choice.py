"""The data-size check: is this data set small for its resolution, and which augmentation follows.

D overfits a small training set: its verdicts on training images drift away from those on unseen
ones and the generator's gradients turn into noise (Karras et al. 2020, fig. 1: FFHQ at 256x256 shows it
below ~30k images; Zhao et al. 2020: CIFAR-10 at 10-20 % of its 50k images). duelo calls a data set small
when it has fewer than SMALL_AT_32 images per 32x32 of resolution (4,000 at 32x32, 8,000 at 64x64,
32,000 at 256x256) and then turns on adaptive augmentation, whose p stays near 0 if D does not overfit
after all. `augment.name` other than `auto` overrides the check.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_AT_32 = 4000    # images; scales linearly with the resolution


@dataclass(frozen=True)
class AugmentChoice:
    name:    str          # registered augmentation, or "none"
    small:   bool         # the data-size check's verdict
    message: str          # one sentence for the log and health.jsonl


def small_threshold(resolution: int) -> int:
    return int(SMALL_AT_32 * max(resolution, 1) / 32)


def choose_augment(requested: str, images: int, resolution: int) -> AugmentChoice:
    threshold = small_threshold(resolution)
    small = images < threshold
    if requested != "auto":
        verdict = (f"{images} training images is small for {resolution}x{resolution} (< {threshold})"
                   if small else f"{images} training images")
        return AugmentChoice(requested, small, f"{verdict}; augmentation {requested} (as configured)")
    if small:
        return AugmentChoice("ada", True,
                             f"{images} training images is small for {resolution}x{resolution} (< {threshold}): "
                             f"D would overfit, so adaptive augmentation (ADA) is on; its p rises only if D "
                             f"overfits. Override with --set augment.name=none|diffaugment")
    return AugmentChoice("none", False, f"{images} training images (>= {threshold} at {resolution}x{resolution}): "
                                        f"no augmentation needed")
