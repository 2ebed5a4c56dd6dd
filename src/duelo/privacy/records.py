"""The training records of a private run, readable only through the accountant's sampler.

PrivateRecords holds the records and refuses every read but `poisson_batch`, which draws each record
independently with probability `sample_rate` (Poisson sampling, what the accountant analyses) and counts the step.
A code path that reads the records any other way (a health probe, a judge, a report) raises PrivacyError instead
of leaking silently: the test suite trains private runs end to end with them in place.

PoissonFeed is the trainer's feed over them (duelo.training.protocols.Feed): batches of random size whose mean is
`batch`, the step count saved with every checkpoint, and a refusal to draw past the planned steps (the budget
the noise was chosen for). Its Poisson draws come from a generator seeded from the OS's entropy, not from the
run's published seed (secret_generator). Its `labels` are the public label pool for fake labels: every class once
(uniform), not the records' class frequencies.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import torch

from duelo.errors import ConfigError, DueloError


class PrivacyError(DueloError):
    """Real training data read outside the accountant, or a privacy budget exceeded."""


def secret_generator(device: torch.device) -> torch.Generator:
    """A generator for DP-SGD's sampling and noise, seeded from the operating system's entropy: never the run's
    seed, which config.json publishes (with it, anyone could redraw the noise and subtract it). Not saved in
    checkpoints, so a private run is not bit-reproducible, by design. torch's generator is not cryptographically
    secure (Opacus' secure mode uses a CSPRNG): attacks on the generator or on floating-point noise (Mironov 2012)
    are outside what duelo defends."""
    generator = torch.Generator(device=device)
    generator.manual_seed(secrets.randbits(63))
    return generator


@dataclass(frozen=True)
class PrivacyPlan:
    """What the accountant was asked and answered for one run."""

    epsilon: float                  # the target
    delta: float
    clip: float
    noise_multiplier: float
    sample_rate: float
    steps: int                      # planned D steps (each one Poisson-sampled Gaussian mechanism)
    records: int
    once: tuple[float, ...] = ()    # noise multipliers of Gaussian mechanisms run once before training

    @classmethod
    def make(cls, epsilon: float, delta: float | None, clip: float, batch: int, records: int, steps: int,
             once: tuple[float, ...] = ()):
        from duelo.privacy.accounting import noise_for

        if records < 2 * batch:
            raise ConfigError(f"differential privacy: {records} training records for an expected batch of {batch}; "
                               f"use a smaller --batch (DP-SGD needs a sample rate well below 1)")
        delta = default_delta(records) if delta is None else delta
        rate = batch / records
        return cls(epsilon, delta, clip, noise_for(epsilon, rate, steps, delta, once=once), rate, steps, records,
                   tuple(once))

    def spent(self, steps: int) -> float:
        from duelo.privacy.accounting import epsilon

        return epsilon(self.noise_multiplier, self.sample_rate, steps, self.delta, self.once)

    def describe(self) -> str:
        before = (f"; noisy histograms before training (noise multiplier "
                  f"{', '.join(f'{s:.2f}' for s in self.once)})") if self.once else ""
        return (f"differential privacy: epsilon {self.epsilon:g}, delta {self.delta:.2g} over {self.steps:,} D steps "
                f"(sample rate {self.sample_rate:.4f} of {self.records:,} records, clip {self.clip:g}, noise "
                f"multiplier {self.noise_multiplier:.3f}){before}")


def default_delta(records: int) -> float:
    """delta when none is given: min(1e-5, 1 / (10 x records))."""
    return min(1e-5, 1 / (10 * records))


class PrivateRecords:
    """Records (N, ...) and optional labels (N,), on one device; only `poisson_batch` reads them."""

    def __init__(self, samples: torch.Tensor, labels: torch.Tensor | None, device: torch.device):
        self._samples, self._labels = samples.to(device), None if labels is None else labels.to(device)
        self.device = device

    def __len__(self) -> int:
        return int(self._samples.shape[0])

    def to(self, device: torch.device) -> PrivateRecords:
        """The same records, guarded the same way, on `device`."""
        return PrivateRecords(self._samples, self._labels, device)

    def audit_copy(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(records, labels) on the CPU for the data owner's membership audit (duelo audit), which reads the
        data by design; training never calls it."""
        return self._samples.cpu(), None if self._labels is None else self._labels.cpu()

    def poisson_batch(self, rate: float, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        keep = torch.rand(len(self), generator=generator, device=self.device) < rate
        index = keep.nonzero().squeeze(1)
        return self._samples[index], None if self._labels is None else self._labels[index]

    def __getattr__(self, name: str):
        raise PrivacyError(f"the private training records were read outside the accountant (attribute {name!r}); "
                           f"only DP-SGD's Poisson sampler may read them")

    def __getitem__(self, index):
        raise PrivacyError("the private training records were indexed outside the accountant; only DP-SGD's "
                           "Poisson sampler may read them")


class PoissonFeed:
    def __init__(self, records: PrivateRecords, plan: PrivacyPlan, batch: int, num_classes: int, decode):
        self.records, self.plan, self.batch = records, plan, batch
        self.decode = decode
        self._sampler = secret_generator(records.device)          # not the round's (public, seeded) generator
        self.labels = torch.arange(num_classes, device=records.device) if num_classes else None
        self.steps = 0

    def next(self, generator: torch.Generator | None = None):
        if self.steps >= self.plan.steps:
            raise PrivacyError(f"differential privacy: the {self.plan.steps:,} D steps the noise was chosen for are "
                               f"spent (epsilon {self.plan.epsilon:g}); a run cannot train on past its budget. "
                               f"Start a new run with a larger --kimg or --dp-epsilon")
        samples, labels = self.records.poisson_batch(self.plan.sample_rate, self._sampler)
        self.steps += 1
        return self.decode(samples), labels

    def spent(self) -> float:
        return self.plan.spent(self.steps)

    def summary(self) -> dict:
        """summary.json's privacy section: the plan and what the steps taken spent."""
        from duelo.privacy.accounting import ACCOUNTANT

        plan = self.plan
        figures = {"epsilon_target": plan.epsilon, "epsilon_spent": round(self.spent(), 4), "delta": plan.delta,
                   "noise_multiplier": round(plan.noise_multiplier, 4), "sample_rate": plan.sample_rate,
                   "clip": plan.clip, "steps": self.steps, "steps_planned": plan.steps, "records": plan.records,
                   "accountant": ACCOUNTANT}
        if plan.once:
            figures["histogram_noise_multiplier"] = [round(s, 4) for s in plan.once]
        return figures

    def reserve(self, count: int) -> None:          # batches have random sizes: no captured (graph) steps
        pass

    def stage(self, count: int) -> None:
        pass

    def state_dict(self) -> dict:
        return {"steps": self.steps, "records": self.plan.records, "noise_multiplier": self.plan.noise_multiplier,
                "sample_rate": self.plan.sample_rate}

    def load_state_dict(self, state: dict) -> None:
        same = (state.get("records") == self.plan.records
                and math.isclose(state.get("noise_multiplier", -1), self.plan.noise_multiplier)
                and math.isclose(state.get("sample_rate", -1), self.plan.sample_rate))
        if not same:
            raise PrivacyError(f"the checkpoint was trained with another privacy plan ({state.get('records')} records, "
                               f"noise {state.get('noise_multiplier')}, sample rate {state.get('sample_rate')}); the "
                               f"steps already spent would be accounted wrongly: use a new run folder")
        self.steps = int(state["steps"])
