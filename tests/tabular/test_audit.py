"""`duelo audit` on table models: a model whose rows are near-copies of its training rows is caught by the
distance attack, one whose rows are fresh draws of the same distribution is not; the tables are required."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from duelo.cli.main import main
from duelo.tabular import TabularGAN
from tests.tabular.test_augment import FakeModel, table


class Model(FakeModel):
    def __init__(self, members: pd.DataFrame | None):
        super().__init__(ignores_condition=False)
        self.members = members

    def sample(self, n, conditions=None, random_state=None):
        if self.members is None:
            return table(n // 2, n - n // 2, 1000 + random_state)
        rng = np.random.default_rng(random_state)
        rows = self.members.iloc[rng.choice(len(self.members), n)].reset_index(drop=True)
        return rows.assign(x1=rows.x1 + 0.001 * rng.standard_normal(n))


@pytest.fixture
def tables(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_text(json.dumps({"format": "duelo-tabular"}))
    members, others = table(150, 150, 0), table(150, 150, 1)
    members.to_csv(tmp_path / "members.csv", index=False)
    others.to_csv(tmp_path / "others.csv", index=False)
    return tmp_path, members


def audit(tmp_path, monkeypatch, model) -> dict:
    import duelo.cli.tabular as tabular_cli

    monkeypatch.setattr(tabular_cli, "is_tabular_output", lambda folder: True)
    monkeypatch.setattr(TabularGAN, "load", classmethod(lambda cls, path, device="cpu": model))
    out = tmp_path / "audit.json"
    assert main(["audit", str(tmp_path / "m"), "--members", str(tmp_path / "members.csv"), "--nonmembers",
                 str(tmp_path / "others.csv"), "--samples", "600", "--out", str(out)]) == 0
    return json.loads(out.read_text())["attacks"]["distance_to_closest"]


def test_copies_are_caught_and_fresh_rows_are_not(tables, monkeypatch):
    tmp_path, members = tables
    caught = audit(tmp_path, monkeypatch, Model(members))
    fresh = audit(tmp_path, monkeypatch, Model(None))
    assert caught["auc"] > 0.9 and caught["epsilon_lower"] > 1, caught
    assert abs(fresh["auc"] - 0.5) < 0.1 and fresh["epsilon_lower"] < 0.5, fresh


def test_a_table_model_needs_both_tables(tables, monkeypatch, capsys):
    import duelo.cli.tabular as tabular_cli

    tmp_path, _ = tables
    monkeypatch.setattr(tabular_cli, "is_tabular_output", lambda folder: True)
    assert main(["audit", str(tmp_path / "m"), "--members", str(tmp_path / "members.csv")]) != 0
    assert "--nonmembers" in capsys.readouterr().err
