"""Networks of the tabular GAN: a residual MLP generator, a PacGAN discriminator, the output activation.

Generator (Xu et al. 2019): input [noise, conditional vector]; each residual block appends
ReLU(BatchNorm(Linear(h))) to its input (h grows by the block width); a final Linear gives one raw
output per matrix column.

Output activation: tanh on every (1, "tanh") span and Gumbel-softmax (temperature 0.2, Jang et al. 2017)
on every (w, "softmax") span of the transformer's output_info. All softmax spans are computed at once:
their logits are gathered into a padded (B, S, Wmax) block (padding at -1e9), so the activation costs a
handful of tensor operations whatever the number of columns.

Discriminator (PacGAN, Lin et al. 2018): `pac` consecutive rows are concatenated and judged together,
which penalises mode collapse; Linear -> LeakyReLU(0.2) -> Dropout(0.5) per hidden layer, then a linear
critic output (WGAN-GP).
"""

from __future__ import annotations

import torch
from torch import nn

PAD_LOGIT = -1e9      # padding of the (B, S, Wmax) logit block: exp() underflows to exactly 0


def _softmax(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension of padded logits (B, S, Wmax); `valid` (S, Wmax) is 1 on real slots.

    Written out because, on CPU, torch.softmax over a short last dimension is about 4x slower forward and
    backward (measured, torch 2.13). Shifted logits are clamped at -80 before exp(): exp() of arguments
    whose result underflows takes a slow path on x86 (5-10x); e^-80 ~ 2e-35 is negligible beside the
    maximum's e^0 = 1. Padding slots are zeroed by `valid`.
    """
    e = torch.exp((x - x.detach().amax(dim=-1, keepdim=True)).clamp_min(-80.0)) * valid
    return e / e.sum(dim=-1, keepdim=True)


class Residual(nn.Module):
    """x (B, i) -> [ReLU(BN(Linear(x))), x] (B, o + i)."""

    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)


class ResidualGenerator(nn.Module):
    """(B, embedding_dim + cond_dim) -> (B, data_dim) raw outputs (before the span activation)."""

    def __init__(self, input_dim: int, hidden: tuple[int, ...], data_dim: int):
        super().__init__()
        blocks, width = [], input_dim
        for size in hidden:
            blocks.append(Residual(width, size))
            width += size
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(width, data_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(x))


class PacDiscriminator(nn.Module):
    """(B, input_dim) with B divisible by pac -> (B // pac, 1) critic scores. Dropout draws its masks from the
    `generator` given to forward (the training round's), so a run is a function of its seed alone."""

    def __init__(self, input_dim: int, hidden: tuple[int, ...], pac: int, dropout: float = 0.5):
        super().__init__()
        self.pac = pac
        layers: list[nn.Module] = []
        width = input_dim * pac
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        h = x.reshape(-1, x.shape[1] * self.pac)
        for layer in self.net:
            if not isinstance(layer, nn.Dropout):
                h = layer(h)
            elif self.training and layer.p > 0:                   # inverted dropout, masks from `generator`
                keep = torch.rand(h.shape, device=h.device, generator=generator) >= layer.p
                h = h * keep.to(h.dtype) / (1 - layer.p)
        return h


class SpanActivation(nn.Module):
    """Raw generator outputs (B, D) -> activated rows (B, D): tanh and Gumbel-softmax spans.

    Also exposes the padded logits of the discrete spans for the conditional loss.
    """

    def __init__(self, output_info: list[tuple[int, str]], discrete_spans: list[tuple[int, int]],
                 tau: float = 0.2):
        super().__init__()
        self.tau = tau
        tanh_cols, soft_spans, start = [], [], 0
        for width, kind in output_info:
            if kind == "tanh":
                tanh_cols += range(start, start + width)
            elif kind == "softmax":
                soft_spans.append((start, width))
            else:
                raise ValueError(f"unknown output activation {kind!r}; expected 'tanh' or 'softmax'")
            start += width
        dim = start
        wmax = max((width for _, width in soft_spans), default=1)
        # gather[s, j]: matrix column of slot j of softmax span s, or `dim` (a padding column) past its width
        gather = torch.full((max(len(soft_spans), 1), wmax), dim, dtype=torch.int64)
        for s, (first, width) in enumerate(soft_spans):
            gather[s, :width] = torch.arange(first, first + width)
        self.register_buffer("slot_mask", (gather < dim).float(), persistent=False)    # (S, Wmax)
        valid = (gather < dim).flatten()
        soft_cols = gather.flatten()[valid]
        order = torch.cat([torch.tensor(tanh_cols, dtype=torch.int64), soft_cols])
        self.register_buffer("gather", gather, persistent=False)
        self.register_buffer("tanh_cols", torch.tensor(tanh_cols, dtype=torch.int64), persistent=False)
        self.register_buffer("valid", valid.nonzero().flatten(), persistent=False)
        self.register_buffer("inverse", torch.argsort(order), persistent=False)
        # which softmax span each discrete (categorical) span is, for the conditional loss
        position = {first: s for s, (first, _) in enumerate(soft_spans)}
        self.register_buffer("discrete", torch.tensor([position[first] for first, _ in discrete_spans],
                                                      dtype=torch.int64), persistent=False)
        self.has_soft = bool(soft_spans)

    def padded_logits(self, raw: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, S, Wmax) logits of the softmax spans, padded with PAD_LOGIT."""
        pad = raw.new_full((raw.shape[0], 1), PAD_LOGIT)
        padded = torch.cat([raw, pad], dim=1).index_select(1, self.gather.flatten())
        return padded.view(raw.shape[0], *self.gather.shape)

    def forward(self, raw: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Activated rows (B, D) and the padded softmax logits (B, S, Wmax); the Gumbel noise is drawn from
        `generator` (torch's global one when None)."""
        raw = raw.float()
        logits = self.padded_logits(raw)
        parts = [torch.tanh(raw.index_select(1, self.tanh_cols))]
        if self.has_soft:
            uniform = torch.rand(logits.shape, device=logits.device, generator=generator)
            uniform = uniform.clamp_(1e-10, 1.0 - 1e-7)                     # (rand is ~20x faster than
            gumbel = -torch.log(-torch.log(uniform))                        # exponential_ on CPU, measured)
            soft = _softmax((logits + gumbel) / self.tau, self.slot_mask)                     # (B, S, Wmax)
            parts.append(soft.flatten(1).index_select(1, self.valid))
        return torch.cat(parts, dim=1).index_select(1, self.inverse), logits

    def condition_loss(self, logits: torch.Tensor, span: torch.Tensor, category: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the generated logits of each row's conditioned span against its category."""
        which = self.discrete[span].view(-1, 1, 1).expand(-1, 1, logits.shape[2])
        chosen = logits.gather(1, which).squeeze(1)                            # (B, Wmax)
        return nn.functional.cross_entropy(chosen, category)
