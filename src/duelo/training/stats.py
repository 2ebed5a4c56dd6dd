"""Device-side running statistics: the training step reports tensors, the host reads them rarely.

`report(name, value)` only adds on the device (no .item(), no synchronisation), so the step stays
pure tensor work; `read()` gathers every mean with one transfer at log intervals. Each reported value
also feeds a per-name non-finite flag, so a NaN or Inf is attributed to the term that produced it.
The counts are device tensors too: a step captured in a CUDA graph runs its Python once, at capture,
and every replay must still count its reports.
"""

from __future__ import annotations

import torch


class StepStats:
    def __init__(self, device: torch.device):
        self.device = device
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, torch.Tensor] = {}
        self._nonfinite: dict[str, torch.Tensor] = {}

    def report(self, name: str, value: torch.Tensor) -> None:
        """Add a scalar or per-sample tensor (its mean is taken) to the running mean of `name`."""
        value = value.detach().float().mean()
        if name not in self._sums:
            self._sums[name] = torch.zeros((), device=self.device)
            self._nonfinite[name] = torch.zeros((), dtype=torch.bool, device=self.device)
            self._counts[name] = torch.zeros((), device=self.device)
        self._sums[name].add_(value)
        self._nonfinite[name].logical_or_(~torch.isfinite(value))
        self._counts[name].add_(1.0)

    def nonfinite_names(self) -> list[str]:
        """Names that saw a NaN/Inf since the last reset (one host read)."""
        if not self._nonfinite:
            return []
        names = list(self._nonfinite)
        flags = torch.stack([self._nonfinite[n] for n in names]).cpu().tolist()
        return [n for n, bad in zip(names, flags) if bad]

    def read(self) -> dict[str, float]:
        """Means since the last reset (one host read); then reset the sums and counts."""
        names = list(self._sums)
        if not names:
            return {}
        pairs = torch.stack([torch.stack([self._sums[n], self._counts[n]]) for n in names]).cpu().tolist()
        means = {n: s / c for n, (s, c) in zip(names, pairs) if c}
        for n in names:
            self._sums[n].zero_()
            self._counts[n].zero_()
        return means

    def clear_flags(self) -> None:
        for flag in self._nonfinite.values():
            flag.zero_()

    # -- checkpointing: a resumed run logs the same means as an uninterrupted one --------------------
    def state(self) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
        names = list(self._sums)
        counts = torch.stack([self._counts[n] for n in names]).cpu().tolist() if names else []
        return ({f"stats.{n}": t.clone() for n, t in self._sums.items()},
                {n: int(c) for n, c in zip(names, counts)})

    def load_state(self, tensors: dict[str, torch.Tensor], counts: dict[str, int]) -> None:
        """Put the sums and counts back in place (into existing tensors, which a captured step writes to)."""
        for name, count in counts.items():
            saved = tensors[f"stats.{name}"].to(self.device)
            if name in self._sums:
                self._sums[name].copy_(saved)
                self._counts[name].fill_(float(count))
                self._nonfinite[name].zero_()
            else:
                self._sums[name] = saved.clone()
                self._counts[name] = torch.tensor(float(count), device=self.device)
                self._nonfinite[name] = torch.zeros((), dtype=torch.bool, device=self.device)
        for name in set(self._sums) - set(counts):
            self._sums[name].zero_()
            self._counts[name].zero_()
            self._nonfinite[name].zero_()
