"""Device-side running statistics: the training step reports tensors, the host reads them rarely.

`report(name, value)` only adds on the device (no .item(), no synchronisation), so the step stays
pure tensor work; `read()` gathers every mean with one transfer at log intervals. Each reported value
also feeds a per-name non-finite flag, so a NaN or Inf is attributed to the term that produced it.
"""

from __future__ import annotations

import torch


class StepStats:
    def __init__(self, device: torch.device):
        self.device = device
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}
        self._nonfinite: dict[str, torch.Tensor] = {}

    def report(self, name: str, value: torch.Tensor) -> None:
        """Add a scalar or per-sample tensor (its mean is taken) to the running mean of `name`."""
        value = value.detach().float().mean()
        if name not in self._sums:
            self._sums[name] = torch.zeros((), device=self.device)
            self._nonfinite[name] = torch.zeros((), dtype=torch.bool, device=self.device)
            self._counts[name] = 0
        self._sums[name].add_(value)
        self._nonfinite[name].logical_or_(~torch.isfinite(value))
        self._counts[name] += 1

    def nonfinite_names(self) -> list[str]:
        """Names that saw a NaN/Inf since the last reset (one host read)."""
        if not self._nonfinite:
            return []
        names = list(self._nonfinite)
        flags = torch.stack([self._nonfinite[n] for n in names]).cpu().tolist()
        return [n for n, bad in zip(names, flags) if bad]

    def read(self) -> dict[str, float]:
        """Means since the last reset (one host read); then reset the sums and counts."""
        names = [n for n in self._sums if self._counts[n]]
        if not names:
            return {}
        sums = torch.stack([self._sums[n] for n in names]).cpu().tolist()
        means = {n: s / self._counts[n] for n, s in zip(names, sums)}
        for n in names:
            self._sums[n].zero_()
            self._counts[n] = 0
        return means

    def clear_flags(self) -> None:
        for flag in self._nonfinite.values():
            flag.zero_()

    # -- checkpointing: a resumed run logs the same means as an uninterrupted one --------------------
    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
        return {f"stats.{n}": t.clone() for n, t in self._sums.items()}, dict(self._counts)

    def load_state(self, tensors: dict[str, torch.Tensor], counts: dict[str, int]) -> None:
        self._sums = {n: tensors[f"stats.{n}"].to(self.device).clone() for n in counts}
        self._counts = dict(counts)
        self._nonfinite = {n: torch.zeros((), dtype=torch.bool, device=self.device) for n in counts}
