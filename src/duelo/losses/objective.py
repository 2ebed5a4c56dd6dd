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
from duelo.losses.penalties import gradient_penalty, path_lengths, zero_centred_penalty

Tensor = torch.Tensor


@dataclass(frozen=True)
class Phase:
    """One kind of optimisation step, as data (StyleGAN2-ADA's phases)."""

    name:       str          # label in logs ("D", "Dreg", "G")
    module:     str          # which network's optimiser steps ("D" or "G")
    repeats:    int = 1      # consecutive steps per iteration (n_critic for D)
    uses_real:  bool = False # consumes a batch of real images
    interval:   int = 1      # runs on iterations whose index is a multiple of this (lazy regularisation)
    counted:    bool = True  # its real images count towards kimg (not for regularisation-only steps)


class PathLengthState(nn.Module):
    """The running mean of path lengths, a buffer so that checkpoints carry it."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(()))


def _identity(images: Tensor, generator: torch.Generator) -> Tensor:
    return images


class ImageGANObjective:
    """Unconditional or class-conditional image GAN: adversarial loss, optional gradient penalty, lazy
    R1/R2, a pipeline in front of D (augmentation, instance noise) and a history pool of fakes."""

    def __init__(self, G: nn.Module, D: nn.Module, loss: AdversarialLoss,
                 gp_weight:    float = 0.0,
                 d_steps:      int = 1,
                 label_pool:   Tensor | None = None,   # (N,) dataset labels: fake labels follow their frequencies
                 d_inputs:     nn.Module | None = None,  # duelo.augment.pipeline.DInputs: what D's inputs go through
                 pool:         nn.Module | None = None,  # duelo.training.history_pool.HistoryPool
                 r1_gamma:     float = 0.0,            # R1 weight (Mescheder et al. 2018)
                 r2_gamma:     float = 0.0,            # R2 weight
                 reg_interval: int = 16,               # lazy regularisation interval (Karras et al. 2020)
                 pl_weight:    float = 0.0,            # path-length regularisation of a style-based G
                 pl_interval:  int = 4):               # ... every this many iterations
        self.G, self.D = G, D
        self.loss = loss
        self.gp_weight = float(gp_weight)
        self.label_pool = label_pool
        self.d_inputs = d_inputs if d_inputs else None
        self.view = self.d_inputs if self.d_inputs is not None else _identity
        self.pool = pool
        self.r1_gamma, self.r2_gamma = float(r1_gamma), float(r2_gamma)
        self.reg_interval = int(reg_interval)
        self.d_steps_per_reg = self.reg_interval * int(d_steps)   # D steps between two lazy penalties
        phases = [Phase("D", "D", repeats=d_steps, uses_real=True)]
        if self.r1_gamma > 0 or self.r2_gamma > 0:
            phases.append(Phase("Dreg", "D", uses_real=True, interval=self.reg_interval, counted=False))
        phases.append(Phase("G", "G"))
        self.pl_weight, self.pl_interval = float(pl_weight), int(pl_interval)
        self.pl = None
        if self.pl_weight > 0:
            self.pl = PathLengthState().to(next(G.parameters()).device)
            phases.append(Phase("Greg", "G", interval=self.pl_interval))
        self.phases = tuple(phases)

    def state_modules(self) -> dict[str, nn.Module]:
        """Modules with state the trainer must checkpoint besides G and D."""
        return {name: m for name, m in (("d_inputs", self.d_inputs), ("pool", self.pool), ("pl", self.pl))
                if m is not None}

    def sample_generator_inputs(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        """Latents and (for conditional G) labels drawn like the training data's labels."""
        z = self.G.sample_latents(n, generator=generator)                                   # (n, z_dim)
        if self.G.c_dim == 0:
            return z, None
        index = torch.randint(0, self.label_pool.shape[0], (n,), generator=generator, device=z.device)
        return z, self.label_pool[index]                                                    # (n,)

    def terms(self, phase: Phase, batch: tuple[Tensor, Tensor | None] | None,
              generator: torch.Generator, n: int) -> dict[str, Tensor]:
        """The named terms of one step of `phase`; `batch` is (real images, labels) from the feed, or None
        for phases that use no real data."""
        real, real_labels = batch if batch is not None else (None, None)
        if phase.name == "Dreg":
            return self._regulariser_terms(real, real_labels, generator)
        if phase.name == "Greg":
            return self._path_length_terms(n, generator)
        if phase.module == "D":
            return self._discriminator_terms(real, real_labels, generator)
        return self._generator_terms(n, generator)

    def _fakes_like(self, real: Tensor, real_labels: Tensor | None,
                    generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        # Fakes in D's steps share the real batch's labels: class balance matches the data exactly and the
        # gradient penalty interpolates between a real and a fake image of the same class.
        z = self.G.sample_latents(real.shape[0], generator=generator)   # (N, z_dim)
        with torch.no_grad():
            fake = self.G(z, real_labels)                                # (N, C, H, W)
        return fake.to(real.dtype), real_labels

    def _discriminator_terms(self, real: Tensor, real_labels: Tensor | None,
                             generator: torch.Generator) -> dict[str, Tensor]:
        if self.D.c_dim == 0:
            real_labels = None          # a labelled dataset trained unconditionally
        fresh, fake_labels = self._fakes_like(real, real_labels, generator)
        fake = fresh
        if self.pool is not None:
            fake, fake_labels = self.pool.mix(fresh, fake_labels, generator)
        real_seen = self.view(real, generator)                           # (N, C, H, W) augmented
        fake_seen = self.view(fake, generator)
        real_logits = self.D(real_seen, real_labels).float()             # (N,)
        fake_logits = self.D(fake_seen, fake_labels).float()             # (N,)
        terms = {"loss/D": self.loss.d_loss(real_logits, fake_logits).mean(),
                 "D_real": real_logits.mean(), "D_fake": fake_logits.mean()}
        if self.d_inputs is not None:
            self.d_inputs.observe(real_logits)
            terms.update(self.d_inputs.status())
        if self.gp_weight > 0:
            critic = lambda x: self.D(x, real_labels).float()  # noqa: E731
            # pooled fakes may carry other labels: interpolate towards this step's fakes, of the reals' classes
            gp_fake = fake_seen if self.pool is None else self.view(fresh, generator)
            penalty = gradient_penalty(critic, real_seen, gp_fake, generator=generator).mean()
            terms["loss/D_gp"] = self.gp_weight * penalty
            terms["D_gradient_penalty"] = penalty
        return terms

    def _regulariser_terms(self, real: Tensor, real_labels: Tensor | None,
                           generator: torch.Generator) -> dict[str, Tensor]:
        """Lazy R1/R2 (Karras et al. 2020, §B): every `reg_interval` iterations, weighted by the number of D steps
        in between, so the penalty's average strength per D step is what gamma says. Gradients go through the
        augmentation."""
        if self.D.c_dim == 0:
            real_labels = None
        critic = lambda x: self.D(self.view(x, generator), real_labels).float()  # noqa: E731
        terms: dict[str, Tensor] = {}
        if self.r1_gamma > 0:
            r1 = zero_centred_penalty(critic, real).mean()
            terms["loss/D_r1"] = (0.5 * self.r1_gamma * self.d_steps_per_reg) * r1
            terms["D_r1"] = r1
        if self.r2_gamma > 0:
            fake, _ = self._fakes_like(real, real_labels, generator)
            r2 = zero_centred_penalty(critic, fake).mean()
            terms["loss/D_r2"] = (0.5 * self.r2_gamma * self.d_steps_per_reg) * r2
            terms["D_r2"] = r2
        return terms

    def _path_length_terms(self, n: int, generator: torch.Generator) -> dict[str, Tensor]:
        """Lazy path-length regularisation (Karras et al. 2020, §3.2 and B): half a batch, weighted by the
        interval; the running mean of the lengths (decay 0.01) is state saved with the run."""
        z, labels = self.sample_generator_inputs(max(1, n // 2), generator)
        ws = self.G.mapping(z, labels)
        lengths = path_lengths(self.G.synthesis, ws, generator=generator)             # (N,)
        with torch.no_grad():
            self.pl.mean.lerp_(lengths.mean().float(), 0.01)
        penalty = (lengths - self.pl.mean).square().mean()
        return {"loss/G_pl": (self.pl_weight * self.pl_interval) * penalty, "G_path_length": lengths.mean()}

    def _generator_terms(self, n: int, generator: torch.Generator) -> dict[str, Tensor]:
        z, labels = self.sample_generator_inputs(n, generator)
        fake_logits = self.D(self.view(self.G(z, labels), generator), labels).float()   # (N,)
        return {"loss/G": self.loss.g_loss(fake_logits).mean()}
