"""The unpaired objective of CycleGAN (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation
using Cycle-Consistent Adversarial Networks").

Two translators, G_ab: A -> B and G_ba: B -> A, and two patch discriminators, D_a on domain A and D_b on B.
Each translator fools the discriminator of its output domain (least squares by default, their §4), and
the cycle terms (eq. 2, λ = 10) make A -> B -> A and B -> A -> B return the input, which is what ties an
output to its input without paired data. The identity terms (§5.2, 0.5 λ) ask G_ab(b) = b and
G_ba(a) = a, which keeps colours and contents that need not change. Each D is shown half current and half
past fakes from a history pool (§4, after Shrivastava et al. 2017).

The two translators live in one module (CyclePair), as do the two discriminators, so that the trainer's
"G" and "D" optimisers each step both, as the paper's implementation does.
"""

from __future__ import annotations

import torch
from torch import nn

from duelo.losses.adversarial import AdversarialLoss
from duelo.losses.objective import Phase

Tensor = torch.Tensor


class CyclePair(nn.Module):
    """Two networks of one role: `ab` and `ba` translators, or `a` and `b` discriminators."""

    def __init__(self, **nets: nn.Module):
        super().__init__()
        for name, net in nets.items():
            self.add_module(name, net)


class CycleObjective:
    def __init__(self, G: CyclePair, D: CyclePair, loss: AdversarialLoss,
                 cycle_weight:    float = 10.0,   # λ of the cycle-consistency terms
                 identity_weight: float = 0.5,    # identity terms as a fraction of λ; 0 = off
                 pools:           CyclePair | None = None):   # HistoryPools `a` and `b` of past fakes, or None
        self.G, self.D = G, D
        self.loss = loss
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pools = pools
        self.phases = (Phase("D", "D", uses_real=True), Phase("G", "G", uses_real=True, counted=False))

    def state_modules(self) -> dict[str, nn.Module]:
        return {"pools": self.pools} if self.pools is not None else {}

    def _shown(self, fake: Tensor, domain: str, generator: torch.Generator) -> Tensor:
        if self.pools is None:
            return fake
        return getattr(self.pools, domain).mix(fake, None, generator)[0]

    def terms(self, phase: Phase, batch: tuple[Tensor, Tensor], generator: torch.Generator,
              n: int) -> dict[str, Tensor]:
        a, b = batch                                                     # (N, Ca, H, W), (N, Cb, H, W)
        if phase.module == "D":
            return self._discriminator_terms(a, b, generator)
        return self._generator_terms(a, b)

    def _discriminator_terms(self, a: Tensor, b: Tensor, generator: torch.Generator) -> dict[str, Tensor]:
        with torch.no_grad():
            fake_b = self.G.ab(a)
            fake_a = self.G.ba(b)
        fake_b = self._shown(fake_b.float(), "b", generator)
        fake_a = self._shown(fake_a.float(), "a", generator)
        real_b_logits, fake_b_logits = self.D.b(b).float(), self.D.b(fake_b.to(b.dtype)).float()
        real_a_logits, fake_a_logits = self.D.a(a).float(), self.D.a(fake_a.to(a.dtype)).float()
        return {"loss/D_b": self.loss.d_loss(real_b_logits, fake_b_logits).mean(),
                "loss/D_a": self.loss.d_loss(real_a_logits, fake_a_logits).mean(),
                "D_real": 0.5 * (real_a_logits.mean() + real_b_logits.mean()),
                "D_fake": 0.5 * (fake_a_logits.mean() + fake_b_logits.mean())}

    def _generator_terms(self, a: Tensor, b: Tensor) -> dict[str, Tensor]:
        fake_b = self.G.ab(a)                                            # (N, Cb, H, W)
        fake_a = self.G.ba(b)                                            # (N, Ca, H, W)
        cycle_a = (self.G.ba(fake_b).float() - a.float()).abs().mean()   # A -> B -> A
        cycle_b = (self.G.ab(fake_a).float() - b.float()).abs().mean()   # B -> A -> B
        terms = {"loss/G_b": self.loss.g_loss(self.D.b(fake_b).float()).mean(),
                 "loss/G_a": self.loss.g_loss(self.D.a(fake_a).float()).mean(),
                 "loss/G_cycle": self.cycle_weight * (cycle_a + cycle_b),
                 "G_cycle_a": cycle_a, "G_cycle_b": cycle_b}
        if self.identity_weight > 0:
            identity = (self.G.ab(b).float() - b.float()).abs().mean() + \
                       (self.G.ba(a).float() - a.float()).abs().mean()
            terms["loss/G_identity"] = self.cycle_weight * self.identity_weight * identity
            terms["G_identity"] = identity
        return terms
