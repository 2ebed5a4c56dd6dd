"""DP-SGD's gradient (Abadi et al. 2016): every record's gradient clipped to L2 norm `clip`, the clipped gradients
summed, Gaussian noise of standard deviation noise_multiplier * clip added to the sum, divided by the expected
batch size (Poisson sampling: the batch size itself is random and must not be used). Per-record gradients come
from torch.func (vmap of grad over a functional call of the module), in chunks so that memory stays bounded.

`per_record_loss(call, *record)` is the loss of ONE record, whatever else it involves: a discriminator's record
is the pair (real_i, fake_i) with its label, so the whole of the pair's loss (a relativistic pairing included) is
clipped together and one record moves the sum by at most `clip`. The module must treat records independently:
no batch norm (its statistics mix records; group norm does not), no in-place buffer updates in training mode
(spectral norm's power iteration); `check_module` refuses those by name.

The trainer takes losses, not gradients: `surrogate_loss` is a scalar whose gradient with respect to each
parameter is exactly the private gradient, so a private phase returns it like any other term.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from duelo.errors import ConfigError

Tensor = torch.Tensor
CHUNK = 64                       # records per vmap call: per-record gradients of CHUNK records live at once


def check_module(module: nn.Module, what: str) -> None:
    """Refuse layers that mix records or update buffers while a record's gradient is taken."""
    for name, child in module.named_modules():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            raise ConfigError(f"differential privacy: {what} has batch norm ({name or 'top'}), which mixes the "
                              f"records of a batch, so one record's influence cannot be clipped; use a "
                              f"{what} with group norm or none (dcgan: --set model.d_kwargs.norm=group)")
        if hasattr(child, "parametrizations") and "weight" in child.parametrizations and any(
                "Spectral" in type(p).__name__ for p in child.parametrizations.weight):
            raise ConfigError(f"differential privacy: {what} uses spectral norm ({name}), whose power iteration "
                              f"updates a buffer during the forward pass; turn it off "
                              f"(--set stabilise.spectral_norm=false): the clipping bounds each record already")


def private_gradients(module: nn.Module, per_record_loss: Callable[..., Tensor], records: tuple[Tensor, ...],
                      clip: float, noise_multiplier: float, expected_batch: float,
                      generator: torch.Generator | None = None, chunk: int = CHUNK) -> tuple[dict[str, Tensor],
                                                                                             dict[str, Tensor]]:
    """({parameter name: private gradient}, stats) for the module's trainable parameters. records: tensors whose
    first dimension indexes the records (None entries pass through as None); per_record_loss(call, *record) gets
    each record with a leading dimension of 1 and `call(*inputs)` = the module with the parameters under
    differentiation. stats: dp_records (the batch size), dp_clipped (share of records clipped) and dp_grad_norm
    (median per-record norm): the last two read the records, so a private run must not publish them."""
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in module.named_parameters() if p.requires_grad}
    buffers = dict(module.named_buffers())
    present = [i for i, r in enumerate(records) if r is not None]
    count = records[present[0]].shape[0] if present else 0

    def one(p, *record):
        full = list(records)
        for i, value in zip(present, record):
            full[i] = value.unsqueeze(0)
        return per_record_loss(lambda *inputs: functional_call(module, (p, buffers), inputs), *full).reshape(())

    per_record = vmap(grad(one), in_dims=(None, *([0] * len(present))), randomness="different")
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    norms = []
    for start in range(0, count, chunk):
        grads = per_record(params, *(records[i][start:start + chunk] for i in present))
        norm = torch.sqrt(sum(g.reshape(g.shape[0], -1).float().square().sum(1) for g in grads.values()))
        scale = (clip / (norm + 1e-6)).clamp(max=1.0)                         # (chunk,)
        for name, g in grads.items():
            total[name] += torch.einsum("n,n...->...", scale.to(g.dtype), g)
        norms.append(norm)
    for name, value in total.items():
        noise = torch.randn(value.shape, generator=generator, device=value.device, dtype=value.dtype)
        total[name] = (value + noise_multiplier * clip * noise) / expected_batch
    norm = torch.cat(norms) if norms else torch.zeros(0)
    stats = {"dp_records": torch.tensor(float(count)),
             "dp_clipped": (norm > clip).float().mean() if count else torch.tensor(0.0),
             "dp_grad_norm": norm.median() if count else torch.tensor(0.0)}
    return total, stats


def surrogate_loss(module: nn.Module, gradients: dict[str, Tensor]) -> Tensor:
    """A scalar whose gradient w.r.t. each named parameter is `gradients[name]` (and zero elsewhere)."""
    terms = [(p * gradients[name].detach()).sum() for name, p in module.named_parameters() if name in gradients]
    return torch.stack(terms).sum()
