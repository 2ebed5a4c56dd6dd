"""The WGAN-GP training loop of the tabular GAN (conditional generator, PacGAN critic).

One step = `discriminator_steps` critic updates and one generator update:
  critic:    L_D = mean D(fake) - mean D(real) + lambda * GP, with the gradient penalty of Gulrajani et al.
             (2017) on points between real and fake packs (one mixing weight per pack of `pac` rows);
             real rows come from training-by-sampling under the same conditions as the fake rows,
             shuffled (duelo.tabular.conditioning).
  generator: L_G = -mean D(fake) + cross-entropy of the conditioned span (the conditional loss).

Speed decisions, each measured in docs/benchmarks.md ("Tabular"):
  * bf16 autocast of the matrix products on CPUs with native bf16 (precision="auto"; on an AVX512-BF16
    CPU an Adult step takes 11.4 ms against 17.9 ms in fp32); master weights and Adam stay fp32, the output
    activation runs in fp32. On a GPU "auto" is fp32: the step is launch-bound there and autocast's casts
    made it slower;
  * the fake batch of the last critic update is reused for the generator update (its graph is kept), so
    a step runs the generator forward once, not twice; the generator update asks autograd for the
    generator's gradients only (the critic's weight gradients are not computed);
  * conditions, real-row indices, noise and Gumbel noise are drawn on the training device with no
    per-row Python; losses are summed on the device and read back once per epoch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from duelo.errors import NonFiniteError
from duelo.tabular.conditioning import ConditionSampler
from duelo.tabular.networks import PacDiscriminator, ResidualGenerator, SpanActivation


@dataclass
class TrainingSetup:
    """Everything the loop needs; built by TabularGAN.fit."""

    data: torch.Tensor                 # (N, D) encoded training rows on the device
    generator: ResidualGenerator
    discriminator: PacDiscriminator
    activation: SpanActivation
    sampler: ConditionSampler
    embedding_dim: int
    batch_size: int
    discriminator_steps: int
    gradient_penalty: float
    pac: int
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    bf16: bool = False                 # bf16 autocast of the networks' matrix products
    ema: ResidualGenerator | None = None   # exponential moving average of the generator's weights
    ema_decay: float = 0.0


def resolve_precision(precision: str, device: torch.device) -> bool:
    """True for bf16 autocast: "bf16", or "auto" where the hardware multiplies bf16 natively."""
    if precision == "bf16":
        return True
    if precision == "fp32":
        return False
    if device.type == "cuda":
        # a tabular step is launch-bound on a GPU: on an H100, Adult epochs took 0.53 s in fp32 and 0.62 s
        # with bf16 autocast (its casts are extra kernels; docs/benchmarks.md), so "auto" stays fp32 there
        return False
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def make_optimizer(params, lr: float, decay: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam(0.5, 0.9) with weight decay, as in CTGAN; the fused kernel where this torch has it."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.9), weight_decay=decay, fused=True)
    except (RuntimeError, TypeError):     # no fused Adam for this device
        return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.9), weight_decay=decay, foreach=True)


def critic_loss(discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, pac: int,
                weight: float) -> torch.Tensor:
    """mean D(fake) - mean D(real) + weight * E[(||grad D(x_hat)|| - 1)^2], x_hat between real and fake.

    The penalty mixes one weight per pack of `pac` rows and takes the gradient norm per pack. Real, fake
    and mixed rows go through the critic as ONE batch (rows are independent in the critic: no batch norm,
    packs never straddle the three parts), so each critic weight gradient is one matrix product.
    """
    n = real.shape[0]
    packs = n // pac
    mix = torch.rand(packs, 1, 1, device=real.device).expand(packs, pac, 1).reshape(n, 1)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    scores = discriminator(torch.cat([real, fake, between], dim=0))          # (3 * packs, 1)
    d_real, d_fake, d_between = scores[:packs], scores[packs:2 * packs], scores[2 * packs:]
    (grad,) = torch.autograd.grad(d_between.sum(), between, create_graph=True)
    penalty = ((grad.reshape(packs, -1).norm(2, dim=1) - 1) ** 2).mean()
    return d_fake.mean() - d_real.mean() + weight * penalty


@torch.no_grad()
def recalibrate_batch_norm(generator: ResidualGenerator, sampler: ConditionSampler, embedding_dim: int,
                           batch_size: int, batches: int = 20) -> None:
    """Re-estimate the running statistics of the generator's batch norms (for an EMA generator, whose
    weights never ran a forward pass): `batches` training-distribution batches, averaged equally."""
    norms = [m for m in generator.modules() if isinstance(m, nn.BatchNorm1d)]
    device = next(generator.parameters()).device
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None                       # cumulative average over the calibration batches
    generator.train()
    for _ in range(batches):
        cond = sampler.sample(batch_size, training=True)
        z = torch.randn(batch_size, embedding_dim, device=device)
        generator(z if cond is None else torch.cat([z, cond.vector], dim=1))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    generator.eval()


class TabularLoop:
    """Runs epochs of WGAN-GP steps over a TrainingSetup; losses are kept per epoch in `history`."""

    def __init__(self, setup: TrainingSetup):
        self.s = setup
        self.g_params = [p for p in setup.generator.parameters() if p.requires_grad]
        self.ema_params = [] if setup.ema is None else list(setup.ema.parameters())
        self.history: list[dict[str, float]] = []

    def _batch(self, n: int, keep_graph: bool):
        """Generate n fake rows (with their conditions) and draw n matching real rows."""
        s = self.s
        cond = s.sampler.sample(n, training=True)
        z = torch.randn(n, s.embedding_dim, device=s.data.device)
        if cond is None:
            real = s.data[torch.randint(len(s.data), (n,), device=s.data.device)]
            g_in, fake_c, real_c = z, None, None
        else:
            perm = torch.randperm(n, device=s.data.device)
            real = s.data[s.sampler.real_rows(cond.index[perm])]
            g_in, fake_c, real_c = torch.cat([z, cond.vector], dim=1), cond.vector, cond.vector[perm]
        with torch.set_grad_enabled(keep_graph):
            fake, logits = s.activation(s.generator(g_in))
            fake_in = fake if fake_c is None else torch.cat([fake, fake_c], dim=1)
        real_in = real if real_c is None else torch.cat([real, real_c], dim=1)
        return cond, fake_in, logits, real_in

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One training step; returns the (critic, generator) losses as device tensors (no sync)."""
        with torch.autocast(self.s.data.device.type, dtype=torch.bfloat16, enabled=self.s.bf16):
            return self._step()

    def _step(self) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.s
        for d_step in range(s.discriminator_steps):
            last = d_step == s.discriminator_steps - 1
            cond, fake_in, logits, real_in = self._batch(s.batch_size, keep_graph=last)
            loss_d = critic_loss(s.discriminator, real_in, fake_in.detach(), s.pac, s.gradient_penalty)
            s.d_optimizer.zero_grad(set_to_none=True)
            loss_d.backward()
            s.d_optimizer.step()
        loss_g = -s.discriminator(fake_in).mean()
        if cond is not None:
            loss_g = loss_g + s.activation.condition_loss(logits, cond.span, cond.category)
        grads = torch.autograd.grad(loss_g, self.g_params)
        for param, grad in zip(self.g_params, grads):
            param.grad = grad
        s.g_optimizer.step()
        if s.ema is not None:
            with torch.no_grad():
                torch._foreach_lerp_(self.ema_params, self.g_params, 1.0 - s.ema_decay)
        return loss_d.detach(), loss_g.detach()

    def run(self, epochs: int, steps_per_epoch: int,
            progress: Callable[[int, int, dict[str, float]], None] | None = None) -> list[dict[str, float]]:
        """Train `epochs` epochs; after each, append {epoch, loss_d, loss_g, seconds} and call progress."""
        s = self.s
        s.generator.train()
        s.discriminator.train()
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            total_d = torch.zeros((), device=s.data.device)
            total_g = torch.zeros((), device=s.data.device)
            for _ in range(steps_per_epoch):
                loss_d, loss_g = self.step()
                total_d += loss_d
                total_g += loss_g
            record = {"epoch": epoch, "loss_d": float(total_d) / steps_per_epoch,
                      "loss_g": float(total_g) / steps_per_epoch, "seconds": time.perf_counter() - start}
            if not (abs(record["loss_d"]) < float("inf") and abs(record["loss_g"]) < float("inf")):
                raise NonFiniteError(f"training diverged in epoch {epoch}: critic loss {record['loss_d']}, "
                                     f"generator loss {record['loss_g']}; lower the learning rates or "
                                     f"raise gradient_penalty")
            self.history.append(record)
            if progress is not None:
                progress(epoch, epochs, record)
        return self.history
