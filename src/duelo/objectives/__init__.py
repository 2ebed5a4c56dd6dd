"""Objectives several tasks share: which terms each training phase computes (duelo.training.protocols).
A task whose game is its own (translation, tables) keeps its objective in its subpackage."""

from duelo.objectives.gan import GANObjective

__all__ = ["GANObjective"]
