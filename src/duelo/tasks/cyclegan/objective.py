"""The unpaired objective of CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation
using Cycle-Consistent Adversarial Networks").

Two translators, G_ab: A -> B and G_ba: B -> A, and two patch discriminators, D_a on domain A and D_b on B.
Each translator fools the discriminator of its output domain (least squares by default, their §4), and
the cycle terms (eq. 2, λ = 10) make A -> B -> A and B -> A -> B return the input, which is what ties an
output to its input without paired data. The identity terms (§5.2, 0.5 λ) ask G_ab(b) = b and
G_ba(a) = a, which keeps colours and contents that need not change. Each D is shown half current and half
past fakes from a history pool (§4, after Shrivastava et al. 2017).

Four players: translators G_ab and G_ba, discriminators D_a and D_b. The D phase steps both discriminators and
the G phase both translators (each with its own Adam, which is the same arithmetic as the paper's one Adam
over both networks' parameters: Adam works element by element).
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.losses.adversarial import AdversarialLoss
from duelo.training.protocols import Phase, Terms

Tensor = torch.Tensor


class CycleObjective:
    def __init__(self, G_ab: nn.Module, G_ba: nn.Module, D_a: nn.Module, D_b: nn.Module, loss: AdversarialLoss,
                 cycle_weight:    float = 10.0,        # λ of the cycle-consistency terms
                 identity_weight: float = 0.5,         # identity terms as a fraction of λ; 0 = off
                 pool_a:          nn.Module | None = None,   # HistoryPool of past fakes of domain A, or None
                 pool_b:          nn.Module | None = None,
                 d_steps:         int = 1):
        self.G_ab, self.G_ba, self.D_a, self.D_b = G_ab, G_ba, D_a, D_b
        self.loss = loss
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pools = {"a": pool_a, "b": pool_b}
        # the G phase takes a fresh pair of batches: its images are not counted twice towards kimg
        self.phases = (Phase("D", ("D_a", "D_b"), self._discriminator_terms, repeats=d_steps, uses_real=True),
                       Phase("G", ("G_ab", "G_ba"), self._generator_terms, uses_real=True, counted=False))

    def state_modules(self) -> dict[str, nn.Module]:
        return {f"pool_{domain}": pool for domain, pool in self.pools.items() if pool is not None}

    def _shown(self, fake: Tensor, domain: str, generator: torch.Generator) -> Tensor:
        pool = self.pools[domain]
        return fake if pool is None else pool.mix(fake, None, generator)[0]

    def _discriminator_terms(self, batch: tuple[Tensor, Tensor], generator: torch.Generator, n: int) -> Terms:
        a, b = batch                                                     # (N, Ca, H, W), (N, Cb, H, W)
        with torch.no_grad():
            fake_b = self.G_ab(a)
            fake_a = self.G_ba(b)
        fake_b = self._shown(fake_b.float(), "b", generator)
        fake_a = self._shown(fake_a.float(), "a", generator)
        real_b_logits, fake_b_logits = self.D_b(b).float(), self.D_b(fake_b.to(b.dtype)).float()
        real_a_logits, fake_a_logits = self.D_a(a).float(), self.D_a(fake_a.to(a.dtype)).float()
        return Terms({"D_b": self.loss.d_loss(real_b_logits, fake_b_logits).mean(),
                      "D_a": self.loss.d_loss(real_a_logits, fake_a_logits).mean()},
                     {"D_real": 0.5 * (real_a_logits.mean() + real_b_logits.mean()),
                      "D_fake": 0.5 * (fake_a_logits.mean() + fake_b_logits.mean())})

    def _generator_terms(self, batch: tuple[Tensor, Tensor], generator: torch.Generator, n: int) -> Terms:
        a, b = batch
        fake_b = self.G_ab(a)                                            # (N, Cb, H, W)
        fake_a = self.G_ba(b)                                            # (N, Ca, H, W)
        cycle_a = (self.G_ba(fake_b).float() - a.float()).abs().mean()   # A -> B -> A
        cycle_b = (self.G_ab(fake_a).float() - b.float()).abs().mean()   # B -> A -> B
        terms = Terms({"G_b": self.loss.g_loss(self.D_b(fake_b).float()).mean(),
                       "G_a": self.loss.g_loss(self.D_a(fake_a).float()).mean(),
                       "G_cycle": self.cycle_weight * (cycle_a + cycle_b)},
                      {"G_cycle_a": cycle_a, "G_cycle_b": cycle_b})
        if self.identity_weight > 0:
            identity = (self.G_ab(b).float() - b.float()).abs().mean() + \
                       (self.G_ba(a).float() - a.float()).abs().mean()
            terms.losses["G_identity"] = self.cycle_weight * self.identity_weight * identity
            terms.stats["G_identity"] = identity
        return terms
