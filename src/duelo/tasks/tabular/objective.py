"""The WGAN-GP game of the tabular GAN (conditional generator, PacGAN critic), as the trainer's phases.

One iteration = `train.d_steps` critic updates and one generator update:
  critic:    L_D = mean D(fake) - mean D(real) + lambda * GP, with the gradient penalty of Gulrajani et al.
             (2017) on points between real and fake packs (one mixing weight per pack of `pac` rows); real
             rows come from training-by-sampling under the same conditions as the fake rows, shuffled
             (duelo.tasks.tabular.feed).
  generator: L_G = -mean D(fake) + cross-entropy of the conditioned span (the conditional loss).

Speed decisions, each measured (docs/benchmarks.md, "Tabular"):
  * the fake batch of the last critic update is reused for the generator update: the critic phase keeps the
    generator's graph (Phase.keeps), so an iteration runs the generator forward once, not twice; during the
    generator update the critic's weights need no gradients (the trainer freezes every player not stepping);
  * real, fake and mixed rows go through the critic as ONE batch, so each critic weight gradient is one
    matrix product;
  * bf16 autocast of the matrix products on CPUs with native bf16 (train.precision auto; on an AVX512-BF16
    CPU an Adult step took 11.4 ms against 17.9 ms in fp32); on a GPU "auto" is fp32: the step is
    launch-bound there and autocast's casts made it slower;
  * every random draw comes from the round's generator on the training device, with no per-row Python.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.training.precision import cpu_has_native_bf16
from duelo.training.protocols import Phase, Terms


def auto_precision(device: torch.device) -> str:
    """bf16 autocast where the CPU multiplies bf16 natively; fp32 elsewhere (on a GPU the step is launch-bound:
    on an H100, Adult epochs took 0.53 s in fp32 and 0.62 s with bf16 autocast)."""
    return "bf16" if device.type == "cpu" and cpu_has_native_bf16() else "fp32"


def make_optimizer(params, lr: float, betas: tuple[float, float], decay: float) -> torch.optim.Optimizer:
    """Adam with weight decay, as in CTGAN; the fused kernel where this torch has it for the device."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=decay, fused=True)
    except (RuntimeError, TypeError):     # no fused Adam for this device
        return torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=decay, foreach=True)


def critic_loss(discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, pac: int, weight: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """mean D(fake) - mean D(real) + weight * E[(||grad D(x_hat)|| - 1)^2], x_hat between real and fake.

    The penalty mixes one weight per pack of `pac` rows and takes the gradient norm per pack. Real, fake
    and mixed rows go through the critic as ONE batch (rows are independent in the critic: no batch norm,
    packs never straddle the three parts).
    """
    n = real.shape[0]
    packs = n // pac
    mix = torch.rand(packs, 1, 1, device=real.device, generator=generator).expand(packs, pac, 1).reshape(n, 1)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    scores = discriminator(torch.cat([real, fake, between], dim=0), generator)          # (3 * packs, 1)
    d_real, d_fake, d_between = scores[:packs], scores[packs:2 * packs], scores[2 * packs:]
    (grad,) = torch.autograd.grad(d_between.sum(), between, create_graph=True)
    penalty = ((grad.reshape(packs, -1).norm(2, dim=1) - 1) ** 2).mean()
    return d_fake.mean() - d_real.mean() + weight * penalty


class TabularObjective:
    def __init__(self, G: nn.Module, D: nn.Module, activation: nn.Module, sampler, embedding_dim: int, pac: int,
                 gp_weight: float, d_steps: int = 1):
        self.G, self.D, self.activation, self.sampler = G, D, activation, sampler
        self.embedding_dim, self.pac, self.gp_weight = embedding_dim, pac, float(gp_weight)
        self._kept: dict[torch.Generator, tuple] = {}     # per round: its last critic step's fakes, with graph
        self.phases = (Phase("D", ("D",), self._critic_terms, repeats=d_steps, uses_real=True, keeps=("G",)),
                       Phase("G", ("G",), self._generator_terms))

    def state_modules(self) -> dict[str, nn.Module]:
        return {}

    def generator_input(self, cond, n: int, generator: torch.Generator | None) -> torch.Tensor:
        device = next(self.G.parameters()).device
        z = torch.randn(n, self.embedding_dim, device=device, generator=generator)
        return z if cond is None else torch.cat([z, cond.vector], dim=1)

    def sample_generator_inputs(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor]:
        """G's input under training conditions (for the EMA generator's batch-norm statistics)."""
        cond = self.sampler.sample(n, training=True, generator=generator)
        return (self.generator_input(cond, n, generator),)

    def _critic_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        cond, real_in = batch                                           # from TableFeed: conditions, real rows
        fake, logits = self.activation(self.G(self.generator_input(cond, n, generator)), generator)
        fake_in = fake if cond is None else torch.cat([fake, cond.vector], dim=1)
        self._kept[generator] = (cond, fake_in, logits)                 # the generator phase's batch
        loss = critic_loss(self.D, real_in, fake_in.detach(), self.pac, self.gp_weight, generator)
        return Terms({"D": loss})

    def _generator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        cond, fake_in, logits = self._kept.pop(generator)
        terms = Terms({"G": -self.D(fake_in, generator).mean()})
        if cond is not None:
            terms.losses["G_cond"] = self.activation.condition_loss(logits, cond.span, cond.category)
        return terms
