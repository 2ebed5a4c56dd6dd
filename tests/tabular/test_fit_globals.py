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
