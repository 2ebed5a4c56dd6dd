"""Differentiable augmentations of the discriminator's inputs, applied alike to real and fake images.

Importing this package registers every augmentation in AUGMENTS (`diffaugment`, `ada`); InstanceNoise is a
stabiliser with the same interface and is not registered. See duelo.augment.base for the contract.
"""

from duelo.augment.base import AUGMENTS, Augment
from duelo.augment.ada import AdaptiveAugment
from duelo.augment.diffaugment import DiffAugment
from duelo.augment.instance_noise import InstanceNoise

__all__ = ["AUGMENTS", "AdaptiveAugment", "Augment", "DiffAugment", "InstanceNoise"]
