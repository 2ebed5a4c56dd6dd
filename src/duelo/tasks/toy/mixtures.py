"""The mixtures the toy task trains on: name -> (samples, centres) of duelo.evaluation.toy_modes."""

from __future__ import annotations

from typing import Callable

from duelo.evaluation.toy_modes import grid_of_gaussians, ring_of_gaussians
from duelo.registry import Registry

MIXTURES: Registry[Callable] = Registry("toy mixture")
MIXTURES.add("ring", ring_of_gaussians)
MIXTURES.add("grid", grid_of_gaussians)
