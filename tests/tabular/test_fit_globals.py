"""TabularGAN.fit leaves the caller's global random generators alone, keeps discrete column labels as they are,
and says what was lost when an in-memory fit is interrupted."""

import random

import numpy as np
import pandas as pd
import pytest
import torch

from duelo.errors import Interrupted
from duelo.tabular import TabularGAN

SMALL = dict(epochs=1, batch_size=20, pac=2, embedding_dim=8, generator_dim=(8,), discriminator_dim=(8,))


def _table(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame({0: rng.choice([1, 2, 3], size=n), "x": rng.normal(size=n)})


def test_fit_restores_python_numpy_and_torch_global_state():
    random.seed(11), np.random.seed(11), torch.manual_seed(11)
    expected = (random.random(), np.random.random(), torch.rand(1).item())
    random.seed(11), np.random.seed(11), torch.manual_seed(11)
    TabularGAN(**SMALL, random_state=0).fit(_table(), discrete_columns=[0])
    assert (random.random(), np.random.random(), torch.rand(1).item()) == expected


def test_non_text_discrete_labels_are_used_as_given():
    model = TabularGAN(**SMALL, random_state=0).fit(_table(), discrete_columns=[0])
    rows = model.sample(30, random_state=0)
    assert set(rows[0]) <= {1, 2, 3} and list(rows.columns) == [0, "x"]


def test_an_interrupted_in_memory_fit_says_nothing_was_kept(monkeypatch):
    import duelo.tasks.runner as runner

    def interrupted(*args, **kwargs):
        raise Interrupted("stopped at 0.1 kimg; wrote ckpt-100. Re-run the same command to resume.")

    monkeypatch.setattr(runner, "train", interrupted)
    with pytest.raises(Interrupted, match="run_dir=FOLDER"):
        TabularGAN(**SMALL, random_state=0).fit(_table())


def test_history_reads_metrics_lines_without_losses_as_none(tmp_path):
    import json

    from duelo.tasks import task_config
    from duelo.tasks.tabular.params import history

    config = task_config("tabular", {"train.batch": 100, "model.pac": 10})
    lines = [{"kimg": 0.2, "loss_D": -0.5, "loss_G": 1.0, "loss_G_cond": 0.25, "time_s": 1.0},
             {"kimg": 0.4, "time_s": 2.0},                               # a line logged before any step
             {"kimg": 0.6, "loss_D": float("nan"), "loss_G": 2.0, "time_s": 3.0}]
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n[1, 2]\n{\"kimg\": \n")
    records = history(path, config, rows=200)
    assert [r["epoch"] for r in records] == [1.0, 2.0, 3.0]
    assert records[0]["loss_g"] == 1.25 and records[1]["loss_d"] is None and records[2]["loss_d"] is None
    json.dumps(records, allow_nan=False)                                  # model.json takes it as it is
