"""Objectives: which named loss terms each training phase minimises.

An objective turns (networks, batch, random generator) into a dict of named scalar terms per phase;
the trainer sums the terms whose names start with `loss/` and back-propagates, and reports every term.
Objectives never call backward() or step(); they hold no optimiser. New tasks (translation,
inpainting, tabular) add an objective of their own and reuse the trainer as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from duelo.losses.adversarial import AdversarialLoss
from duelo.losses.penalties import gradient_penalty

Tensor = torch.Tensor


@dataclass(frozen=True)
class Phase:
    """One kind of optimisation step, as data (StyleGAN2-ADA's phases)."""

    name:       str          # label in logs ("D", "G")
    module:     str          # which network's optimiser steps ("D" or "G")
    repeats:    int = 1      # consecutive steps per iteration (n_critic for D)
    uses_real:  bool = False # consumes a batch of real images (counted in kimg)


class ImageGANObjective:
    """Unconditional or class-conditional image GAN: adversarial loss, optional gradient penalty."""

    def __init__(self, G: nn.Module, D: nn.Module, loss: AdversarialLoss, gp_weight: float = 0.0,
                 d_steps: int = 1, label_pool: Tensor | None = None):
        self.G, self.D = G, D
        self.loss = loss
        self.gp_weight = float(gp_weight)
        self.label_pool = label_pool                  # (N,) dataset labels: fake labels follow their frequencies
        self.phases = (Phase("D", "D", repeats=d_steps, uses_real=True), Phase("G", "G"))

    def sample_generator_inputs(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """Latents and (for conditional G) labels drawn like the training data's labels."""
        z = self.G.sample_latents(n, generator=generator)                                   # (n, z_dim)
        if self.G.c_dim == 0:
            return z, None
        index = torch.randint(0, self.label_pool.shape[0], (n,), generator=generator, device=z.device)
        return z, self.label_pool[index]                                                    # (n,)

    def terms(self, phase: Phase, real: Tensor | None, real_labels: Tensor | None,
              generator: torch.Generator, n: int) -> dict[str, Tensor]:
        if phase.module == "D":
            return self._discriminator_terms(real, real_labels, generator)
        return self._generator_terms(n, generator)

    def _discriminator_terms(self, real: Tensor, real_labels: Tensor | None,
                             generator: torch.Generator) -> dict[str, Tensor]:
        # Fakes in D's step share the real batch's labels: class balance matches the data exactly and the
        # gradient penalty interpolates between a real and a fake image of the same class.
        z = self.G.sample_latents(real.shape[0], generator=generator)   # (N, z_dim)
        if self.D.c_dim == 0:
            real_labels = None          # a labelled dataset trained unconditionally
        fake_labels = real_labels
        with torch.no_grad():
            fake = self.G(z, fake_labels)                                # (N, C, H, W)
        real_logits = self.D(real, real_labels).float()                  # (N,)
        fake_logits = self.D(fake, fake_labels).float()                  # (N,)
        terms = {"loss/D": self.loss.d_loss(real_logits, fake_logits).mean(),
                 "D_real": real_logits.mean(), "D_fake": fake_logits.mean()}
        if self.gp_weight > 0:
            critic = lambda x: self.D(x, real_labels).float()  # noqa: E731
            penalty = gradient_penalty(critic, real, fake.to(real.dtype), generator=generator).mean()
            terms["loss/D_gp"] = self.gp_weight * penalty
            terms["D_gradient_penalty"] = penalty
        return terms

    def _generator_terms(self, n: int, generator: torch.Generator) -> dict[str, Tensor]:
        z, labels = self.sample_generator_inputs(n, generator)
        fake_logits = self.D(self.G(z, labels), labels).float()          # (N,)
        return {"loss/G": self.loss.g_loss(fake_logits).mean()}
