"""Optimizer wrappers that stay inside a CUDA-graph-capturable training step."""

from __future__ import annotations

import math
from typing import Any

import torch

from duelo.errors import ConfigError

Tensor = torch.Tensor


class ClipGradNorm:
    """Rescale the gradients to a total L2 norm of at most `max_norm`, then step the wrapped optimizer.

    Clipping by the global norm (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent
    neural networks", section 3.2): g <- g * min(1, max_norm / ‖g‖), ‖g‖ over all the optimizer's
    parameters at once. The scale is computed on the device (torch's clip_grad_norm_ multiplies by the
    clamped coefficient instead of branching), and the norm is never read on the host: it is copied into
    `last_norm`, a detached 0-dim tensor, for logging when the caller chooses to sync.

    Duck-typed, not an Optimizer subclass: it forwards step, zero_grad, state_dict, load_state_dict,
    param_groups and state, so checkpoints of the wrapped optimizer are unchanged. Learning-rate
    schedulers need the real optimizer: pass them `wrapper.optimizer`.
    """

    def __init__(self,
        optimizer: Any,                     # a torch.optim.Optimizer (or anything with param_groups/step)
        max_norm:  float,                   # largest total L2 norm of the gradients, > 0
    ):
        number = isinstance(max_norm, (int, float)) and not isinstance(max_norm, bool)
        if not number or not math.isfinite(max_norm) or max_norm <= 0:
            raise ConfigError(f"ClipGradNorm: max_norm must be a finite number > 0 (got {max_norm!r})")
        self.optimizer = optimizer
        self.max_norm = float(max_norm)
        first = next((p for group in optimizer.param_groups for p in group["params"]), None)
        device = first.device if first is not None else None
        self.last_norm: Tensor = torch.zeros((), device=device)  # total norm before clipping, last step

    def _parameters(self) -> list[Tensor]:
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def step(self) -> None:
        """Clip all gradients together, then `optimizer.step()`. No closure: a closure would recompute the
        gradients after they were clipped."""
        norm = torch.nn.utils.clip_grad_norm_(self._parameters(), self.max_norm, foreach=True)
        with torch.no_grad():
            self.last_norm.copy_(norm.detach())  # in place: a fixed address that a CUDA graph can own
        self.optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    @property
    def state(self):
        return self.optimizer.state

    def __repr__(self) -> str:
        return f"ClipGradNorm(max_norm={self.max_norm}, optimizer={self.optimizer!r})"


def lazy_adam_settings(lr: float, betas: tuple[float, float], interval: int | None) -> tuple[float, tuple]:
    """Lazy regularisation takes an extra optimiser step every `interval` iterations; Karras et al. 2020
    (StyleGAN2, §B) keep Adam's effective rate by scaling lr and the betas by c = interval / (interval + 1)."""
    if not interval:
        return lr, betas
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)
