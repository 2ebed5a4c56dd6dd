"""The GAN objective under differential privacy: D's steps are DP-SGD steps over Poisson-sampled records, G's are
unchanged (G never reads a record: it learns from D, whose every update is private, so G is post-processing).

A record of D's step is the pair (real_i, fake_i) with its label: the fake is drawn for the real's class, both go
through the same augmentation as in the plain objective (outside the per-record gradient: augmentation is random
but independent of the data), and the pair's whole loss is clipped together (duelo.privacy.dpsgd). What cannot be
made private this way is refused before training (duelo.privacy.settings): gradient penalties and R1/R2 (each a
second-order per-record term), relativistic losses (G's step would read real records), adaptive augmentation (its
strength follows D's outputs on real records), batch norm and spectral norm in D.

The step's loss term, D_dp, is a surrogate whose gradient is the private gradient (its value means nothing); the
statistics logged are the ones that read no record or only the released noisy gradient.
"""

from __future__ import annotations

import torch

from duelo.objectives.gan import GANObjective
from duelo.privacy.dpsgd import check_module, private_gradients, surrogate_loss
from duelo.privacy.records import secret_generator
from duelo.training.protocols import Phase, Terms

Tensor = torch.Tensor


class PrivateGANObjective(GANObjective):
    def __init__(self, G, D, loss, *, privacy, **kwargs):
        super().__init__(G, D, loss, **kwargs)
        check_module(D, "the discriminator")
        self.privacy = privacy                                   # duelo.privacy.records.PrivacyPlan
        self._noise = secret_generator(next(D.parameters()).device)   # the noise's: not the run's seed
        self.phases = tuple(Phase(p.name, p.players, self._private_discriminator_terms, repeats=p.repeats,
                                  uses_real=True) if p.name == "D" else p for p in self.phases)

    def _private_discriminator_terms(self, batch: tuple[Tensor, Tensor | None], generator: torch.Generator,
                                     n: int) -> Terms:
        real, labels = batch                                     # a Poisson sample: its size is random
        if self.D.c_dim == 0:
            labels = None
        # G's batch norm cannot run on an empty batch; an empty sample's pairs are empty anyway
        fake = self._fakes_like(real, labels, generator)[0] if len(real) else real
        real_seen, fake_seen = self.view(real, generator), self.view(fake, generator)
        loss = self.loss.d_loss

        def pair_loss(call, real_i, fake_i, label_i):
            return loss(call(real_i, label_i).float(), call(fake_i, label_i).float()).sum()

        plan = self.privacy
        grads, stats = private_gradients(self.D, pair_loss, (real_seen, fake_seen, labels), plan.clip,
                                         plan.noise_multiplier, plan.sample_rate * plan.records, self._noise)
        # logged: only what the mechanism releases anyway (the noisy gradient) or what reads no record (the batch
        # size of a Poisson sample, D on fakes); the clipped share and the per-record norms read the records
        noisy = torch.sqrt(sum(g.float().square().sum() for g in grads.values()))
        logged = {"dp_batch": stats["dp_records"], "dp_noisy_grad_norm": noisy}
        if len(fake_seen):
            with torch.no_grad():
                logged["D_fake"] = self.D(fake_seen, labels).float().mean()
        return Terms({"D_dp": surrogate_loss(self.D, grads)}, logged)
