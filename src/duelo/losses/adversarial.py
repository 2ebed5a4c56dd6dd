"""Adversarial losses as pure functions: logits in, per-sample loss out (never backward, never step).

Each loss is a pair (discriminator loss, generator loss) registered under one name in LOSSES.
D's loss takes the logits of real and fake images; G's takes the logits of fake images, and for a
relativistic loss (`relativistic=True`: rpgan) also those of as many real images, since such a loss judges
each fake against a real: its caller must give G's step a real batch.
Reductions (mean over the batch) are the objective's job, so per-sample values stay available.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Callable

import torch
import torch.nn.functional as F

from duelo.errors import ConfigError
from duelo.registry import Registry

Tensor = torch.Tensor


@dataclass(frozen=True)
class AdversarialLoss:
    """A registered loss: the two per-sample terms and the defaults that belong with them."""

    d_loss: Callable[[Tensor, Tensor], Tensor]   # (real_logits, fake_logits) -> (N,)
    g_loss: Callable[..., Tensor]                # fake_logits -> (N,); relativistic: (fake_logits, real_logits)
    gp_weight: float = 0.0                       # default gradient-penalty weight (WGAN-GP: 10)
    description: str = ""
    # (real_logits, fake_logits, real_target) -> (N,): d_loss with the real label replaced by real_target
    # (one-sided label smoothing); None where the loss has no labels to smooth (hinge, Wasserstein)
    d_loss_smoothed: Callable[[Tensor, Tensor, float], Tensor] | None = None
    collapse_prone: bool = False                 # a divergence loss on which mode collapse is common (health advice)
    saturating: bool = False                     # G's gradient vanishes when D wins (the original minimax loss)
    relativistic: bool = False                   # scores each fake against the real of the same index: g_loss
                                                 # takes (fake_logits, real_logits); callers dispatch on this flag


LOSSES: Registry[AdversarialLoss] = Registry("loss")


# --- Binary cross-entropy (Goodfellow et al. 2014). With logits f, D(x) = sigmoid(f), and
# -log sigmoid(f) = softplus(-f), -log(1 - sigmoid(f)) = softplus(f).

def bce_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-log D(x) - log(1 - D(G(z))): the discriminator's cross-entropy."""
    return F.softplus(-real_logits) + F.softplus(fake_logits)


def bce_d_loss_smoothed(real_logits: Tensor, fake_logits: Tensor, real_target: float) -> Tensor:
    """Cross-entropy against target t for real images, 0 for fakes:
    t·softplus(-r) + (1 - t)·softplus(r) + softplus(f). t = 1 gives bce_d_loss exactly."""
    return (real_target * F.softplus(-real_logits) + (1.0 - real_target) * F.softplus(real_logits)
            + F.softplus(fake_logits))


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """log(1 - D(G(z))), minimised: the original minimax game. Saturates when D wins early."""
    return -F.softplus(fake_logits)


def non_saturating_g_loss(fake_logits: Tensor) -> Tensor:
    """-log D(G(z)): same fixed point as minimax, strong gradients early (Goodfellow et al. 2014, §3)."""
    return F.softplus(-fake_logits)


# --- Wasserstein (Arjovsky et al. 2017); the critic's Lipschitz bound comes from the gradient
# penalty of Gulrajani et al. 2017 (duelo.losses.penalties.gradient_penalty).

def wasserstein_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """D(G(z)) - D(x): the critic maximises the score gap."""
    return fake_logits - real_logits


def wasserstein_g_loss(fake_logits: Tensor) -> Tensor:
    """-D(G(z))."""
    return -fake_logits


# --- Hinge (Lim & Ye 2017; Miyato et al. 2018).

def hinge_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    return F.relu(1.0 - real_logits) + F.relu(1.0 + fake_logits)


def hinge_g_loss(fake_logits: Tensor) -> Tensor:
    """-D(G(z))."""
    return -fake_logits


# --- Least squares (Mao et al. 2017), targets a=0 (fake), b=1 (real), c=1 (what G wants).

def least_squares_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """½(D(x) - 1)² + ½ D(G(z))²."""
    return 0.5 * (real_logits - 1.0).square() + 0.5 * fake_logits.square()


def least_squares_d_loss_smoothed(real_logits: Tensor, fake_logits: Tensor,
                                  real_target: float) -> Tensor:
    """½(D(x) - t)² + ½ D(G(z))²: the real target b = 1 replaced by t; t = 1 is least_squares_d_loss."""
    return 0.5 * (real_logits - real_target).square() + 0.5 * fake_logits.square()


def least_squares_g_loss(fake_logits: Tensor) -> Tensor:
    """½(D(G(z)) - 1)²."""
    return 0.5 * (fake_logits - 1.0).square()


# --- Relativistic pairing, RpGAN (Jolicoeur-Martineau 2018, "The relativistic discriminator: a key element
# missing from standard GAN"; the pairing form as written in Huang, Gokaslan, Kuleshov & Tompkin 2024, R3GAN).
# D scores each real x_i against the fake G(z_i) of the same index, softplus(D(G(z_i)) - D(x_i)), and G plays
# the same game with the roles swapped. With a plain loss one boundary between all reals and all fakes
# satisfies D, and G can cross it with every fake into a few modes (mode dropping); judged pair by pair, every
# real pulls on a fake. R3GAN shows that with R1 and R2 (stabilise.r1_gamma, r2_gamma) the loss is also locally
# convergent, which RpGAN alone is not.

def rpgan_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-log sigmoid(D(x_i) - D(G(z_i))) = softplus(D(G(z_i)) - D(x_i)), per pair i."""
    return F.softplus(fake_logits - real_logits)


def rpgan_g_loss(fake_logits: Tensor, real_logits: Tensor) -> Tensor:
    """-log sigmoid(D(G(z_i)) - D(x_i)) = softplus(D(x_i) - D(G(z_i))), per pair i. Needs the reals' logits."""
    return F.softplus(real_logits - fake_logits)


LOSSES.register("bce")(AdversarialLoss(
    bce_d_loss, non_saturating_g_loss, d_loss_smoothed=bce_d_loss_smoothed, collapse_prone=True,
    description="binary cross-entropy, non-saturating generator loss (the usual choice)"))
LOSSES.register("bce-minimax")(AdversarialLoss(
    bce_d_loss, minimax_g_loss, d_loss_smoothed=bce_d_loss_smoothed, collapse_prone=True, saturating=True,
    description="binary cross-entropy, original minimax generator loss (saturates; for study)"))
LOSSES.register("wgan-gp")(AdversarialLoss(
    wasserstein_d_loss, wasserstein_g_loss, gp_weight=10.0,
    description="Wasserstein critic with gradient penalty (use a discriminator without batch norm)"))
LOSSES.register("hinge")(AdversarialLoss(
    hinge_d_loss, hinge_g_loss, description="hinge loss (SNGAN, BigGAN)"))
LOSSES.register("lsgan")(AdversarialLoss(
    least_squares_d_loss, least_squares_g_loss, d_loss_smoothed=least_squares_d_loss_smoothed, collapse_prone=True,
    description="least squares (LSGAN)"))
LOSSES.register("rpgan")(AdversarialLoss(
    rpgan_d_loss, rpgan_g_loss, relativistic=True,
    description="relativistic pairing (RpGAN): each fake scored against a real; with R1 + R2 it is R3GAN's loss"))


# --- One-sided label smoothing (Salimans et al. 2016, "Improved Techniques for Training GANs", §3.4):
# the real images' target 1 becomes t < 1 (e.g. 0.9), the fakes' target stays 0. Smoothing the fake
# target too would let the optimal D reward G's samples where the data has no mass, hence one-sided.

def _d_loss_with_target(smoothed: Callable[[Tensor, Tensor, float], Tensor], real_target: float,
                        real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    return smoothed(real_logits, fake_logits, real_target)


def with_label_smoothing(loss: AdversarialLoss, loss_name: str, real_target: float) -> AdversarialLoss:
    """A copy of `loss` (registered as `loss_name`) whose d_loss uses target `real_target` for real images.

    Only D's loss changes; G's loss is untouched. real_target = 1.0 reproduces the unsmoothed values
    exactly. Raises ConfigError for losses without labels to smooth and for targets outside (0, 1].
    """
    if loss.d_loss_smoothed is None:
        smoothable = [name for name in LOSSES.names() if LOSSES.get(name).d_loss_smoothed is not None]
        listed = " and ".join(filter(None, [", ".join(smoothable[:-1]), smoothable[-1]]))
        raise ConfigError(f"loss {loss_name!r} has no label-smoothed form: label smoothing is defined for "
                          f"{listed} (their real images have a target label to soften)")
    number = isinstance(real_target, (int, float)) and not isinstance(real_target, bool)
    if not number or not 0.0 < real_target <= 1.0:
        raise ConfigError(f"real_target must be a number in (0, 1] (got {real_target!r}); Salimans et al. "
                          f"2016 suggest a value like 0.9, and 1.0 turns smoothing off")
    target = float(real_target)
    return replace(loss, d_loss=functools.partial(_d_loss_with_target, loss.d_loss_smoothed, target),
                   description=f"{loss.description}; one-sided label smoothing, real target {target:g}")
