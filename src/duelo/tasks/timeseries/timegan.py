"""A TimeGAN-class model (Yoon, Jarrett & van der Schaar, NeurIPS 2019), written from the paper: the adversarial
game is played in a learned latent space, and a supervised next-step loss teaches the generator the data's
step-to-step dynamics.

    embedder   E: x (N, T, C) -> h (N, T, H)     recurrent, sigmoid: a latent sequence
    recovery   R: h -> x                          recurrent, tanh (duelo's windows are in [-1, 1])
    generator  G: z (N, T, Z) [++ class code] -> e_hat (N, T, H), the generator's own latent sequence
    supervisor S: h -> h shifted one step          trained to predict h_{t+1} from h_{<=t} on real data
    discriminator D: h [++ class code] -> one logit per step

Training, as duelo phases (duelo.training.protocols.Phase) of three players (E = embedder + recovery, G =
generator + supervisor, D), in three stages counted in iterations:
    1. [0, P)      "E_pre"  reconstruction: 10 * sqrt(MSE(R(E(x)), x))
    2. [P, 2P)     "S_pre"  supervised: MSE(S(E(x))[:, :-1], E(x)[:, 1:]) (G's player steps; only S is used)
    3. [2P, ...)   "G" (twice): adversarial on D(S(G(z))) and gamma * D(G(z)), 100 * sqrt(supervised on E(x)),
                   100 * moment matching of R(S(G(z))) against x (batch means and standard deviations);
                   "E" (twice): reconstruction + 0.1 * supervised;
                   "D": the configured adversarial loss on E(x) (real) against S(G(z)) and G(z) (fake), applied
                   only while D's loss is above 0.15 (the paper's rule, as a gate on the device: below it the
                   step's gradient is zero, but Adam still moves D a little on its momentum, where the paper
                   skips the update; and the loss compared is real + (fake + fake_e) / 2, so the gate closes
                   somewhat earlier than the paper's real + fake + fake_e would).
Differences from the paper, on purpose: the loss is duelo's configured one (BCE in the paper; the real term is
weighted like the two fake terms together), latents are Gaussian, and the recovery ends in tanh.
Samples: R(S(G(z))), by the `TimeGANSampler` that pairs G's averaged weights with E's recovery.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from duelo.models.base import standard_latents
from duelo.nn.conditioning import LabelEmbedding
from duelo.training.protocols import Phase, Terms

GAMMA = 1.0              # weight of D's verdict on the unsupervised latents G(z)
D_GATE = 0.15            # D steps only while its loss is above this (Yoon et al. 2019)
RECON_SCALE = 10.0       # E's reconstruction loss is 10 * sqrt(MSE)
SUPERVISED_IN_E = 0.1
SUPERVISED_IN_G = 100.0
MOMENTS_IN_G = 100.0


class Recurrent(nn.Module):
    """A stacked GRU and a per-step linear read-out: (N, T, in) -> (N, T, out), then `final`."""

    def __init__(self, inputs: int, hidden: int, outputs: int, layers: int, final: str):
        super().__init__()
        self.rnn = nn.GRU(inputs, hidden, num_layers=max(1, layers), batch_first=True)
        self.out = nn.Linear(hidden, outputs)
        self.final = final

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.rnn(x)[0])
        return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "none": lambda v: v}[self.final](y)


class TimeGANAutoencoder(nn.Module):
    """E and R: data windows to latent sequences and back."""

    def __init__(self, channels: int, hidden: int, layers: int):
        super().__init__()
        self.embedder = Recurrent(channels, hidden, hidden, layers, "sigmoid")
        self.recovery = Recurrent(hidden, hidden, channels, layers, "tanh")


class TimeGANGenerator(nn.Module):
    """G and S: per-step noise [++ class code] to a latent sequence, and the one-step supervisor on latents."""

    def __init__(self, window: int, channels: int, hidden: int, layers: int, z_dim: int, c_dim: int = 0,
                 embed_dim: int = 8):
        super().__init__()
        self.window, self.channels, self.c_dim = int(window), int(channels), int(c_dim)
        self.step_dim = int(z_dim)
        self.z_dim = self.step_dim * self.window          # one flat latent per sample (duelo.models.base)
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        inputs = self.step_dim + (embed_dim if c_dim > 0 else 0)
        self.generator = Recurrent(inputs, hidden, hidden, layers, "sigmoid")
        self.supervisor = Recurrent(hidden, hidden, hidden, max(1, layers - 1), "sigmoid")

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        return standard_latents(self, n, generator, device)

    def latent(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """e_hat = G(z): the unsupervised latent sequence (N, T, H)."""
        steps = z.reshape(z.shape[0], self.window, self.step_dim)
        if self.embed is not None:
            if labels is None:
                raise ValueError("this generator is class-conditional: pass labels")
            steps = torch.cat([steps, self.embed(labels).unsqueeze(1).expand(-1, self.window, -1)], dim=2)
        return self.generator(steps)


class TimeGANSampler(nn.Module):
    """What a trained TimeGAN samples with: windows = R(S(G(z))). Shares its modules (no copies)."""

    def __init__(self, G: TimeGANGenerator, recovery: Recurrent):
        super().__init__()
        self.G, self.recovery = G, recovery
        self.c_dim, self.z_dim, self.window, self.channels = G.c_dim, G.z_dim, G.window, G.channels

    def sample_latents(self, n: int, generator: torch.Generator | None = None,
                       device: torch.device | str | None = None) -> torch.Tensor:
        return self.G.sample_latents(n, generator, device)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.recovery(self.G.supervisor(self.G.latent(z, labels)))


class LatentDiscriminator(nn.Module):
    """One logit per step of a latent sequence (N, T, H) [++ class code] -> (N, T)."""

    def __init__(self, hidden: int, layers: int, c_dim: int = 0, embed_dim: int = 8):
        super().__init__()
        self.c_dim = int(c_dim)
        self.embed = LabelEmbedding(c_dim, embed_dim) if c_dim > 0 else None
        inputs = hidden + (embed_dim if c_dim > 0 else 0)
        self.net = Recurrent(inputs, hidden, 1, layers, "none")

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            h = torch.cat([h, self.embed(labels).unsqueeze(1).expand(-1, h.shape[1], -1)], dim=2)
        return self.net(h).squeeze(2)


def supervised_loss(supervisor: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """MSE between S's prediction from steps <= t and the latent at t + 1."""
    return F.mse_loss(supervisor(h)[:, :-1], h[:, 1:])


def moment_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean |std difference| + mean |mean difference| over the batch, per (step, channel)."""
    std = (torch.sqrt(fake.var(0, unbiased=False) + 1e-6) - torch.sqrt(real.var(0, unbiased=False) + 1e-6))
    return std.abs().mean() + (fake.mean(0) - real.mean(0)).abs().mean()


class TimeGANObjective:
    def __init__(self, E: TimeGANAutoencoder, G: TimeGANGenerator, D: LatentDiscriminator, loss,
                 pretrain_steps: int, label_pool: torch.Tensor | None = None):
        self.E, self.G, self.D, self.loss = E, G, D, loss
        self.label_pool = label_pool
        P = int(pretrain_steps)
        joint = 2 * P
        self.phases = (
            Phase("E_pre", ("E",), self._reconstruction_terms, uses_real=True, ends=P) if P else None,
            Phase("S_pre", ("G",), self._supervisor_terms, uses_real=True, starts=P, ends=joint) if P else None,
            Phase("G", ("G",), self._generator_terms, uses_real=True, counted=False, repeats=2, starts=joint),
            Phase("E", ("E",), self._embedder_terms, uses_real=True, counted=False, repeats=2, starts=joint),
            Phase("D", ("D",), self._discriminator_terms, uses_real=True, starts=joint),
        )
        self.phases = tuple(p for p in self.phases if p is not None)

    def state_modules(self) -> dict[str, nn.Module]:
        return {}

    # -- pieces ------------------------------------------------------------------------------------
    def _fake_labels(self, n: int, generator: torch.Generator):
        if self.G.c_dim == 0:
            return None
        pool = self.label_pool
        return pool[torch.randint(0, len(pool), (n,), generator=generator, device=pool.device)]

    def _reconstruction(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.E.embedder(x)
        return RECON_SCALE * torch.sqrt(F.mse_loss(self.E.recovery(h), x) + 1e-12), h

    # -- phases ------------------------------------------------------------------------------------
    def _reconstruction_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        recon, _ = self._reconstruction(batch[0])
        return Terms({"recon": recon})

    def _supervisor_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        with torch.no_grad():
            h = self.E.embedder(batch[0])
        return Terms({"supervised": supervised_loss(self.G.supervisor, h)})

    def _embedder_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        recon, h = self._reconstruction(batch[0])
        return Terms({"recon": recon, "supervised_E": SUPERVISED_IN_E * supervised_loss(self.G.supervisor, h)})

    def _latents(self, n: int, labels, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        e_hat = self.G.latent(self.G.sample_latents(n, generator), labels)
        return e_hat, self.G.supervisor(e_hat)

    def _generator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        x, real_labels = batch
        labels = self._fake_labels(n, generator)
        e_hat, h_hat = self._latents(n, labels, generator)
        with torch.no_grad():
            h = self.E.embedder(x)
        adversarial = self.loss.g_loss(self.D(h_hat, labels).flatten()).mean()
        adversarial_e = self.loss.g_loss(self.D(e_hat, labels).flatten()).mean()
        supervised = supervised_loss(self.G.supervisor, h)
        fake = self.E.recovery(h_hat)
        return Terms({"G": adversarial, "G_e": GAMMA * adversarial_e,
                      "supervised": SUPERVISED_IN_G * torch.sqrt(supervised + 1e-12),
                      "moments": MOMENTS_IN_G * moment_loss(fake, x)})

    def _discriminator_terms(self, batch, generator: torch.Generator, n: int) -> Terms:
        x, real_labels = batch
        labels = self._fake_labels(n, generator)
        with torch.no_grad():
            h = self.E.embedder(x)
            e_hat, h_hat = self._latents(n, labels, generator)
        real_logits = self.D(h, real_labels).flatten()
        fake_logits = torch.cat([self.D(h_hat, labels).flatten(), self.D(e_hat, labels).flatten()])
        loss = self.loss.d_loss(real_logits.repeat(2), fake_logits).mean()
        gate = (loss.detach() > D_GATE).to(loss.dtype)
        return Terms({"D": loss * gate}, {"D_loss_ungated": loss.detach(), "D_gate": gate,
                                          "D_real": real_logits.detach().mean(),
                                          "D_fake": fake_logits.detach().mean()})
