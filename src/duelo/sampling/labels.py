"""The labels a sampling command draws for: one class asked for (checked against the model), or uniform classes."""

from __future__ import annotations

import torch

from duelo.errors import ConfigError


def sampling_labels(c_dim: int, n: int, label: int | None, generator: torch.Generator, device, kind: str = "model"
                    ) -> torch.Tensor | None:
    """(n,) int64 labels for a conditional model (all `label`, or uniform when None); None for an unconditional
    one. A label out of range, or a label for an unconditional `kind` of model, is a ConfigError."""
    if not c_dim:
        if label is not None:
            raise ConfigError(f"this {kind} is unconditional; drop --label")
        return None
    if label is None:
        return torch.randint(0, c_dim, (n,), generator=generator, device=device)
    if not 0 <= label < c_dim:
        raise ConfigError(f"label {label} is out of range: this model has classes 0..{c_dim - 1}")
    return torch.full((n,), label, dtype=torch.long, device=device)
