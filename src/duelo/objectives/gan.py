"""The objective of a GAN that draws samples from latents (and class labels): a generator G(z, labels) against
a discriminator D(x, labels) that returns one logit per sample. Image synthesis and the 2-D toy mixtures use
it; any task whose samples are tensors can.

Its phases (duelo.training.protocols.Phase) compute named terms: losses, which the trainer sums and
back-propagates, and statistics, which it only reports. Objectives never call backward() or step(); they hold
no optimiser. Tasks with another game (translation, tables) have objectives of their own.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.losses.adversarial import AdversarialLoss
from duelo.losses.penalties import gradient_penalty, path_lengths, zero_centred_penalty
from duelo.training.protocols import REGULARISE, Phase, Terms

Tensor = torch.Tensor


class PathLengthState(nn.Module):
    """The running mean of path lengths, a buffer so that checkpoints carry it."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(()))


def per_sample(logits: Tensor) -> Tensor:
    """One critic value per sample for the gradient penalties: the mean of a D's logits over everything but the
    batch (a video D returns (N, 2T): the per-element losses train their mean, so the penalties judge the
    gradient of that mean, not of their sum, which would be (2T)^2 times stronger); (N,) logits are unchanged."""
    return logits.float().reshape(logits.shape[0], -1).mean(1)


def _identity(images: Tensor, generator: torch.Generator) -> Tensor:
    return images


class GANObjective:
    """Unconditional or class-conditional GAN: adversarial loss (a relativistic one also gives G's step a real
    batch), optional gradient penalty, lazy R1/R2, a pipeline in front of D (augmentation, instance noise), a
    history pool of fakes, lazy path length."""

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
                 pl_interval:  int = 4,                # ... every this many iterations
                 aux_weight:   float = 0.0,            # AC-GAN term: D has a `classifier` and forward_with_class_loss
                 mode_seeking: float = 0.0):           # mode-seeking term of G (Mao et al. 2019)
        self.G, self.D = G, D
        self.loss = loss
        self.gp_weight = float(gp_weight)
        self.label_pool = label_pool
        self.d_inputs = d_inputs if d_inputs else None
        self.view = self.d_inputs if self.d_inputs is not None else _identity
        self.pool = pool
        self.r1_gamma, self.r2_gamma = float(r1_gamma), float(r2_gamma)
        self.aux_weight = float(aux_weight)
        self.mode_seeking = float(mode_seeking)
        if self.aux_weight > 0 and getattr(D, "classifier", None) is None:
            raise ValueError("an auxiliary classifier term needs a conditional D with forward_with_class_loss")
        # a twin head (duelo.nn.conditioning.ClassifierHead) also learns the fakes' classes (ADC-GAN)
        self.twin_classes = self.aux_weight > 0 and bool(getattr(D.classifier, "twin", False))
        self.reg_interval = int(reg_interval)
        self.d_steps_per_reg = self.reg_interval * int(d_steps)   # D steps between two lazy penalties
        phases = [Phase("D", ("D",), self._discriminator_terms, repeats=d_steps, uses_real=True)]
        if self.r1_gamma > 0 or self.r2_gamma > 0:
            phases.append(Phase("D_reg", ("D",), self._regulariser_terms, kind=REGULARISE, uses_real=True,
                                interval=self.reg_interval, counted=False))
        if loss.relativistic:   # G's loss scores its fakes against reals: its step draws a batch, not counted
            phases.append(Phase("G", ("G",), self._relativistic_generator_terms, uses_real=True, counted=False))
        else:
            phases.append(Phase("G", ("G",), self._generator_terms))
        self.pl_weight, self.pl_interval = float(pl_weight), int(pl_interval)
        self.pl = None
        if self.pl_weight > 0:
            self.pl = PathLengthState().to(next(G.parameters()).device)
            phases.append(Phase("G_reg", ("G",), self._path_length_terms, kind=REGULARISE,
                                interval=self.pl_interval))
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

    def _fakes_like(self, real: Tensor, real_labels: Tensor | None,
                    generator: torch.Generator) -> tuple[Tensor, Tensor | None]:
        # Fakes in D's steps share the real batch's labels: class balance matches the data exactly and the
        # gradient penalty interpolates between a real and a fake image of the same class.
        z = self.G.sample_latents(real.shape[0], generator=generator)   # (N, z_dim)
        with torch.no_grad():
            fake = self.G(z, real_labels)                                # (N, C, H, W)
        return fake.to(real.dtype), real_labels

    def _discriminator_terms(self, batch: tuple[Tensor, Tensor | None], generator: torch.Generator,
                             n: int) -> Terms:
        real, real_labels = batch                                        # from the feed
        if self.D.c_dim == 0:
            real_labels = None          # a labelled dataset trained unconditionally
        fresh, fake_labels = self._fakes_like(real, real_labels, generator)
        fake = fresh
        if self.pool is not None:
            fake, fake_labels = self.pool.mix(fresh, fake_labels, generator)
        real_seen = self.view(real, generator)                           # (N, C, H, W) augmented
        fake_seen = self.view(fake, generator)
        recon = class_loss = None
        if self.aux_weight > 0:         # AC-GAN (Odena et al. 2017): D also names the real samples' classes
            real_logits, class_loss = self.D.forward_with_class_loss(real_seen, real_labels)
            real_logits = real_logits.float()                            # (N,)
        elif getattr(self.D, "self_supervised", False):    # D also rebuilds the real images (FastGAN, section 3.2)
            real_logits, recon = self.D.forward_with_reconstruction(real_seen, real_labels, generator)
            real_logits = real_logits.float()                            # (N,)
        else:
            real_logits = self.D(real_seen, real_labels).float()         # (N,)
        fake_class_loss = None
        if self.twin_classes:           # ADC-GAN (implies the classifier term): the fakes' classes are their own
            fake_logits, fake_class_loss = self.D.forward_with_class_loss(fake_seen, fake_labels, fake=True)
            fake_logits = fake_logits.float()
        else:
            fake_logits = self.D(fake_seen, fake_labels).float()         # (N,)
        terms = Terms({"D": self.loss.d_loss(real_logits, fake_logits).mean()},
                      {"D_real": real_logits.mean(), "D_fake": fake_logits.mean()})
        if recon is not None:
            terms.losses["D_recon"] = recon
        if class_loss is not None:
            terms.losses["D_aux"] = self.aux_weight * class_loss.mean()
            terms.stats["D_class_ce_real"] = class_loss.mean()
        if fake_class_loss is not None:
            terms.losses["D_aux_fake"] = self.aux_weight * fake_class_loss.mean()
            terms.stats["D_class_ce_fake"] = fake_class_loss.mean()
        if self.d_inputs is not None:
            # ADA's overfitting signal is sign(D(real)); a relativistic D's logits have no fixed zero (only
            # differences are trained), so there the sign of D(real) - D(fake) plays that part
            self.d_inputs.observe(real_logits - fake_logits if self.loss.relativistic else real_logits)
            terms.stats.update(self.d_inputs.status())
        if self.gp_weight > 0:
            critic = lambda x: per_sample(self.D(x, real_labels))  # noqa: E731
            # pooled fakes may carry other labels: interpolate towards this step's fakes, of the reals' classes
            gp_fake = fake_seen if self.pool is None else self.view(fresh, generator)
            penalty = gradient_penalty(critic, real_seen, gp_fake, generator=generator).mean()
            terms.losses["D_gp"] = self.gp_weight * penalty
            terms.stats["D_gradient_penalty"] = penalty
        return terms

    def _regulariser_terms(self, batch: tuple[Tensor, Tensor | None], generator: torch.Generator,
                           n: int) -> Terms:
        """Lazy R1/R2 (Karras et al. 2020, §B): every `reg_interval` iterations, weighted by the number of D steps
        in between, so the penalty's average strength per D step is what gamma says. Gradients go through the
        augmentation."""
        real, real_labels = batch
        if self.D.c_dim == 0:
            real_labels = None
        critic = lambda x: per_sample(self.D(self.view(x, generator), real_labels))  # noqa: E731
        terms = Terms({})
        if self.r1_gamma > 0:
            r1 = zero_centred_penalty(critic, real).mean()
            terms.losses["D_r1"] = (0.5 * self.r1_gamma * self.d_steps_per_reg) * r1
            terms.stats["D_r1"] = r1
        if self.r2_gamma > 0:
            fake, _ = self._fakes_like(real, real_labels, generator)
            r2 = zero_centred_penalty(critic, fake).mean()
            terms.losses["D_r2"] = (0.5 * self.r2_gamma * self.d_steps_per_reg) * r2
            terms.stats["D_r2"] = r2
        return terms

    def _path_length_terms(self, batch: None, generator: torch.Generator, n: int) -> Terms:
        """Lazy path-length regularisation (Karras et al. 2020, §3.2 and B): half a batch, weighted by the
        interval; the running mean of the lengths (decay 0.01) is state saved with the run."""
        z, labels = self.sample_generator_inputs(max(1, n // 2), generator)
        ws = self.G.mapping(z, labels)
        lengths = path_lengths(self.G.synthesis, ws, generator=generator)             # (N,)
        with torch.no_grad():
            self.pl.mean.lerp_(lengths.mean().float(), 0.01)
        penalty = (lengths - self.pl.mean).square().mean()
        return Terms({"G_pl": (self.pl_weight * self.pl_interval) * penalty}, {"G_path_length": lengths.mean()})

    def _judge_fakes(self, fake: Tensor, labels: Tensor | None, terms: Terms) -> Tensor:
        """D's (N,) logits of G's fakes; with the classifier term, G is also trained to make fakes D names as
        the classes they were drawn for (its loss and cross-entropy go into `terms`)."""
        if self.aux_weight <= 0:
            return self.D(fake, labels).float()
        logits, class_loss = self.D.forward_with_class_loss(fake, labels)
        terms.losses["G_aux"] = self.aux_weight * class_loss.mean()
        terms.stats["G_class_ce_fake"] = class_loss.mean()
        return logits.float()

    def _generator_terms(self, batch: None, generator: torch.Generator, n: int) -> Terms:
        z, labels = self.sample_generator_inputs(n, generator)
        half = n // 2 if self.mode_seeking > 0 else 0
        if half and labels is not None:         # pairs (i, i + half) share a label and differ in z
            labels = torch.cat([labels[:half], labels[:half], labels[2 * half:]])
        terms = Terms({})
        fake = self.G(z, labels)                                                          # (N, ...)
        fake_logits = self._judge_fakes(self.view(fake, generator), labels, terms)       # (N,)
        terms.losses["G"] = self.loss.g_loss(fake_logits).mean()
        if half:
            terms.losses["G_ms"] = self.mode_seeking * mode_seeking_penalty(fake, z, half)
        return terms

    def _relativistic_generator_terms(self, batch: tuple[Tensor, Tensor | None], generator: torch.Generator,
                                      n: int) -> Terms:
        """G's step for a relativistic loss (RpGAN): fake i is scored against real i of a fresh batch. The fakes
        take the reals' labels, as in D's steps; the reals' logits need no graph (nothing of G is in them)."""
        real, real_labels = batch
        if self.D.c_dim == 0:
            real_labels = None
        z = self.G.sample_latents(real.shape[0], generator=generator)                    # (N, z_dim)
        terms = Terms({})
        fake_logits = self._judge_fakes(self.view(self.G(z, real_labels), generator), real_labels, terms)
        with torch.no_grad():
            real_logits = self.D(self.view(real, generator), real_labels).float()         # (N,)
        terms.losses["G"] = self.loss.g_loss(fake_logits, real_logits).mean()
        return terms


def mode_seeking_penalty(fake: Tensor, z: Tensor, half: int) -> Tensor:
    """Mode seeking (Mao et al. 2019, "Mode seeking GANs", eq. 3): G is asked to keep the outputs of two latents
    as far apart as the latents are, for the same condition; minimised as 1 / (mean |G(z1) - G(z2)| /
    mean |z1 - z2| + 1e-5), pairs (i, i + half) of the batch."""
    a, b = fake[:half].float(), fake[half:2 * half].float()
    ratio = (a - b).abs().flatten(1).mean(1) / (z[:half] - z[half:2 * half]).abs().flatten(1).mean(1)   # (half,)
    return 1.0 / (ratio.mean() + 1e-5)
