"""Degradations that make a restoration task's input from a clean target, on the device, inside the step.

Importing this package registers every degradation in DEGRADATIONS (`boxes`, `strokes`, `gaussian`,
`salt-pepper`, `downsample`, `jpeg`, `edges`) and every baseline in BASELINES. See duelo.degrade.base for
the contract (op(images, generator) -> Degraded; no host synchronisation; seeded by the generator only).

Example:
    op = build_degradation("gaussian", sigma=0.1)
    degraded = op(images, generator)         # degraded.source (N, C, H, W); degraded.mask None
"""

from duelo.degrade.base import DEGRADATIONS, Degradation, Degraded, build_degradation
from duelo.degrade.edges import Edges
from duelo.degrade.jpeg import Jpeg
from duelo.degrade.masks import Boxes, Strokes
from duelo.degrade.noise import GaussianNoise, SaltPepper
from duelo.degrade.resolution import Downsample, downsample, upsample_bicubic
from duelo.degrade.baselines import BASELINES, baselines_for

__all__ = ["BASELINES", "DEGRADATIONS", "Boxes", "Degradation", "Degraded", "Downsample", "Edges",
           "GaussianNoise", "Jpeg", "SaltPepper", "Strokes", "baselines_for", "build_degradation",
           "downsample",
           "upsample_bicubic"]
