"""The conditional vector and training-by-sampling of a CTGAN-class model (Xu et al. 2019, section 4.3).

Every categorical column of the table is one "discrete span" of the encoded matrix. A condition is one
category of one discrete span; the conditional vector is the one-hot of that category over all discrete
spans concatenated (width `cond_dim`).

Training draws conditions as the paper does: a discrete span uniformly, then a category with probability
proportional to log(1 + count), so rare categories are seen often enough; the real rows shown to the
discriminator are drawn uniformly among the rows that have the condition's category. Generation draws a
span uniformly and the category by its observed frequency, which reproduces the real marginals.

Everything is vectorised on tensors: a batch of conditions and real rows costs a few tensor operations,
with no Python loop over rows or columns.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from duelo.errors import DataError
from duelo.tasks.tabular.columns import CategoricalSpec, canonical_label


@dataclass
class ConditionBatch:
    """One batch of conditions: span index, category within the span, global category id, one-hot."""

    span: torch.Tensor         # (B,) int64, which discrete span
    category: torch.Tensor     # (B,) int64, category within that span
    index: torch.Tensor        # (B,) int64, global category id = cond_offsets[span] + category
    vector: torch.Tensor       # (B, cond_dim) float32 one-hot


class ConditionSampler:
    """Draws conditional vectors and matching real rows.

    Args:
        spans:  list of (start, width) of each discrete span in the encoded matrix.
        counts: (cond_dim,) number of training rows with each category (spans concatenated).
        rows:   (sum(counts),) row indices grouped by category, in category order; None at sampling time.
    """

    def __init__(self, spans: list[tuple[int, int]], counts: np.ndarray, rows: np.ndarray | None = None,
                 device: torch.device | str = "cpu"):
        self.spans = [(int(start), int(width)) for start, width in spans]
        self.cond_dim = sum(width for _, width in self.spans)
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (self.cond_dim,):
            raise ValueError(f"counts has shape {counts.shape}, expected ({self.cond_dim},)")
        self.counts = counts
        self.device = torch.device(device)
        widths = np.array([width for _, width in self.spans], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
        self.offsets = torch.as_tensor(offsets, device=self.device)                  # (S,)
        self.training_cdf = self._cdf(np.log1p(counts), widths, offsets)             # (S, Wmax)
        self.frequency_cdf = self._cdf(counts.astype(np.float64), widths, offsets)   # (S, Wmax)
        row_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.row_start = torch.as_tensor(row_start, device=self.device)             # (cond_dim,)
        self.row_count = torch.as_tensor(counts, device=self.device)                # (cond_dim,)
        self.rows = None if rows is None else torch.as_tensor(rows, dtype=torch.int64, device=self.device)

    @classmethod
    def from_encoded(cls, matrix: np.ndarray, specs: list, device: torch.device | str = "cpu"
                     ) -> ConditionSampler:
        """Build from an encoded (N, D) matrix and the transformer's column specs."""
        spans = discrete_spans(specs)
        if not spans:
            return cls([], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), device)
        category = np.concatenate([matrix[:, start:start + width].argmax(axis=1)
                                   for start, width in spans])                  # (S*N,) per span, per row
        widths = np.array([width for _, width in spans])
        offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
        global_id = category + np.repeat(offsets, len(matrix))                   # (S*N,)
        counts = np.bincount(global_id, minlength=int(widths.sum()))
        order = np.argsort(global_id, kind="stable")
        rows = np.tile(np.arange(len(matrix)), len(spans))[order]                # grouped by category
        return cls(spans, counts, rows, device)

    def _cdf(self, weights: np.ndarray, widths: np.ndarray, offsets: np.ndarray) -> torch.Tensor:
        """(S, Wmax) cumulative distribution over the categories of each span (padding repeats 1)."""
        if len(widths) == 0:
            return torch.ones(0, 1, device=self.device)
        table = np.zeros((len(widths), int(widths.max())))
        for s, (offset, width) in enumerate(zip(offsets, widths)):
            table[s, :width] = weights[offset:offset + width]
        table /= table.sum(axis=1, keepdims=True)
        return torch.as_tensor(np.cumsum(table, axis=1), dtype=torch.float32, device=self.device)

    @property
    def n_spans(self) -> int:
        return len(self.spans)

    def sample(self, n: int, training: bool, generator: torch.Generator | None = None) -> ConditionBatch | None:
        """n conditions: log-frequency weighted for training, frequency weighted for generation."""
        if not self.spans:
            return None
        cdf = self.training_cdf if training else self.frequency_cdf
        span = torch.randint(self.n_spans, (n,), device=self.device, generator=generator)
        draw = torch.rand(n, 1, device=self.device, generator=generator)
        category = (cdf[span] < draw).sum(dim=1).clamp_max(cdf.shape[1] - 1)
        return self.conditions(span, category)

    def fixed(self, n: int, span: int, category: int) -> ConditionBatch:
        """n copies of one condition (conditional generation)."""
        spans = torch.full((n,), span, dtype=torch.int64, device=self.device)
        return self.conditions(spans, torch.full_like(spans, category))

    def conditions(self, span: torch.Tensor, category: torch.Tensor) -> ConditionBatch:
        """The batch of conditions (span, category within it) for the given tensors."""
        index = self.offsets[span] + category
        vector = torch.nn.functional.one_hot(index, self.cond_dim).to(torch.float32)
        return ConditionBatch(span, category, index, vector)

    def real_rows(self, index: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B,) row numbers, each drawn uniformly among the training rows with category `index[b]`."""
        if self.rows is None:
            raise RuntimeError("this ConditionSampler was built without the training rows")
        offset = (torch.rand(index.shape, device=self.device, generator=generator)
                  * self.row_count[index]).long().clamp_max(self.row_count[index] - 1)
        return self.rows[self.row_start[index] + offset]


def discrete_spans(specs: list) -> list[tuple[int, int]]:
    """(start, width) in the encoded matrix of every categorical column's one-hot span."""
    spans, start = [], 0
    for spec in specs:
        if isinstance(spec, CategoricalSpec):
            spans.append((start, spec.width))
        start += spec.width
    return spans


def resolve_condition(specs: list, name: Hashable, value: Any) -> tuple[int, int, Any]:
    """(discrete span index, category, the level itself) of `name == value`; DataError names the problem.

    `value` matches a level equal to it or with the same canonical text, so the CLI's strings work:
    "2020" matches 2020 and 2020.0, "true"/"True" match True, surrounding spaces are ignored.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise DataError(f"condition {name}={value!r}: conditions on missing values are not supported; "
                        f"sample without this condition and filter the rows where {name!r} is missing")
    span = 0
    for spec in specs:
        if not isinstance(spec, CategoricalSpec):
            if spec.name == name:
                raise DataError(f"cannot condition on column {name!r}: it is {spec.kind}, and conditions "
                                f"work on categorical columns only; pass it in discrete_columns when "
                                f"fitting to treat it as categorical")
            continue
        if spec.name == name:
            for slot, level in enumerate(spec.levels):
                if _same(level, value):
                    return span, slot, level
            for level in spec.rare_levels:
                if _same(level, value):
                    raise DataError(f"condition {name}={value!r}: {value!r} is a rare level of {name!r}, "
                                    f"merged with the other rare levels in training, so it cannot be asked "
                                    f"for on its own; fit with a smaller rare_fraction")
            shown = ", ".join(repr(level) for level in spec.levels[:20])
            more = " ..." if len(spec.levels) > 20 else ""
            raise DataError(f"condition {name}={value!r}: {value!r} was not seen in column {name!r} during "
                            f"fit; its levels are {shown}{more}")
        span += 1
    known = [spec.name for spec in specs]
    raise DataError(f"condition names column {name!r}, which the model was not fitted on; its columns "
                    f"are {known!r}")


def _same(level: Any, value: Any) -> bool:
    """A level matches a condition value given as itself or as equivalent text (canonical_label)."""
    try:
        if level == value:
            return True
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):               # CLI text: surrounding spaces and the case of true/false ignored
        value = value.strip()
        value = value.capitalize() if value.lower() in ("true", "false") else value
    return canonical_label(level) == canonical_label(value)
