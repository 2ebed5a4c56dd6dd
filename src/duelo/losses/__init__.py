"""Losses: pure functions over logits and tensors; objectives combine them into named terms."""

from duelo.losses.adversarial import LOSSES, AdversarialLoss
from duelo.losses.penalties import gradient_penalty

__all__ = ["LOSSES", "AdversarialLoss", "gradient_penalty"]
