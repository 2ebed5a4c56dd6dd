"""A table made ready for training: read (CSV/Parquet) or given as a DataFrame, encoded by a fitted
TabularTransformer, and fed to the critic by training-by-sampling (Xu et al. 2019, section 4.3).

The feed draws each batch's conditions (a categorical column uniformly, a level by log-frequency), the real rows
that hold them (uniformly among those rows) and a permutation of the conditions for the real side, all from
the round's generator on the training device: a resumed run draws exactly what the uninterrupted one would,
and a CUDA graph can capture the draws.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from duelo.errors import DataError


@dataclass
class TableData:
    frame:       pd.DataFrame           # the table as given
    transformer: Any                    # fitted duelo.tasks.tabular.transformer.TabularTransformer
    matrix:      np.ndarray             # (N, D) float32 encoding
    name:        str                    # where it came from, for logs

    @property
    def rows(self) -> int:
        return len(self.matrix)

    @property
    def fingerprint(self) -> str:
        """sha256 of the encoded rows: a resume must train on exactly the same encoding."""
        return hashlib.sha256(np.ascontiguousarray(self.matrix).tobytes()).hexdigest()


def encode(frame: pd.DataFrame, discrete: tuple, max_modes: int, rare_fraction: float, seed: int,
           name: str) -> TableData:
    """Fit the transformer (deterministic for a seed) and encode the table."""
    from duelo.tasks.tabular.transformer import TabularTransformer

    missing = [column for column in discrete if column not in frame.columns]
    if missing:
        raise DataError(f"{name}: discrete column(s) {missing} are not in the table; its columns are "
                        f"{list(map(str, frame.columns))}")
    transformer = TabularTransformer(list(discrete) or None, max_modes, rare_fraction, random_state=seed)
    matrix = transformer.fit(frame).transform(frame)
    return TableData(frame, transformer, np.ascontiguousarray(matrix, dtype=np.float32), name)


class TableFeed:
    """Batches (conditions, real rows with the permuted conditions appended) for the critic."""

    def __init__(self, rows: torch.Tensor, fingerprint: str, name: str, sampler, batch: int, device: torch.device):
        if len(rows) < batch:
            raise DataError(f"{name} has {len(rows)} training rows, fewer than one batch ({batch}); use a smaller "
                            f"--batch (a multiple of --pac)")
        self.rows = rows.to(device)                                          # (N, D)
        self.sampler = sampler
        self.batch = batch
        self.device = device
        self.fingerprint = fingerprint
        self.labels = None

    def next(self, generator: torch.Generator | None = None):
        n = self.batch
        cond = self.sampler.sample(n, training=True, generator=generator)
        if cond is None:
            real = self.rows[torch.randint(len(self.rows), (n,), device=self.device, generator=generator)]
            return None, real
        perm = torch.randperm(n, device=self.device, generator=generator)
        real = self.rows[self.sampler.real_rows(cond.index[perm], generator)]
        return cond, torch.cat([real, cond.vector[perm]], dim=1)

    def reserve(self, count: int) -> None:
        """Nothing to stage: every draw happens on the device."""

    def stage(self, count: int) -> None:
        """Nothing to stage: every draw happens on the device."""

    def state_dict(self) -> dict[str, Any]:
        return {"rows": int(self.rows.shape[0]), "width": int(self.rows.shape[1]), "sha256": self.fingerprint}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("sha256") != self.fingerprint:
            raise DataError(f"the checkpoint was trained on another table (or another encoding of it: "
                            f"{state.get('rows')} rows x {state.get('width')} features, now "
                            f"{self.rows.shape[0]} x {self.rows.shape[1]}); the data changed since the run "
                            f"started: use a new --name (or --out)")
