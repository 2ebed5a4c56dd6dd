"""augment-gain on tables: rows of the rare class drawn from its own distribution (an ideal generator) raise the
classifier's F1 on that class; rows of the common class labelled rare (a generator that ignores its condition) do
not; plain oversampling is measured beside them; the default row count balances the classes; the refusals. The
CLI on a briefly fitted TabularGAN writes the JSON with every arm."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.tabular import TabularGAN
from duelo.tasks.tabular.augment import augment_tables
from duelo.tasks.tabular.columns import CategoricalSpec


def table(common: int, rare: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1, (common, 2)), rng.normal(1.8, 1, (rare, 2))])
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": ["common"] * common + ["rare"] * rare})


class FakeModel:
    def __init__(self, ignores_condition: bool):
        self.ignores_condition = ignores_condition
        specs = [SimpleNamespace(name="x1"), SimpleNamespace(name="x2"),
                 CategoricalSpec(name="y", dtype="object", levels=["common", "rare"])]
        self.transformer_ = SimpleNamespace(column_specs_=specs)

    def sample(self, n, conditions=None, random_state=None):
        assert conditions == {"y": "rare"}
        drawn = table(n, 0, random_state) if self.ignores_condition else table(0, n, random_state)
        return drawn.assign(y="rare")


@pytest.fixture
def files(tmp_path):
    table(400, 8, 0).to_csv(tmp_path / "real.csv", index=False)
    table(500, 150, 1).to_csv(tmp_path / "test.csv", index=False)
    return tmp_path / "real.csv", tmp_path / "test.csv"


def test_rows_of_the_right_class_help_and_mislabelled_ones_do_not(files, tmp_path, monkeypatch):
    made = {}
    monkeypatch.setattr(TabularGAN, "load", classmethod(lambda cls, path, device="cpu": made["model"]))
    made["model"] = FakeModel(ignores_condition=False)
    good = augment_tables(tmp_path, *files, target="y", label=None, rows=None, repeats=2)
    made["model"] = FakeModel(ignores_condition=True)
    bad = augment_tables(tmp_path, *files, target="y", label=None, rows=None, repeats=2)
    assert good["class"] == "rare" and good["synthetic_rows"] == 392 and good["real_class_rows"] == 8
    assert set(good["arms"]) == {"real_only", "real_plus_synthetic", "real_plus_copies"}
    assert good["metric"] == "f1" and good["gain"] > 0.2 and bad["gain"] < good["gain"] - 0.2, (good, bad)
    assert good["arms"]["real_only"]["roc_auc"] > 0.5


def test_bad_requests_are_refused_by_name(files, tmp_path, monkeypatch):
    monkeypatch.setattr(TabularGAN, "load", classmethod(lambda cls, path, device="cpu": FakeModel(False)))
    for kwargs, message in (({"target": None}, "--target"), ({"target": "x1"}, "not a categorical column"),
                            ({"target": "y", "label": "absent"}, "no real row has y = 'absent'"),
                            ({"target": "y", "label": "common"}, "already the most frequent")):
        with pytest.raises(ConfigError, match=message):
            augment_tables(tmp_path, *files, **{"label": None, "rows": None, "repeats": 1, **kwargs})


def test_the_command_on_a_fitted_table_model(files, tmp_path, capsys):
    assert main(["tabular", "fit", str(files[0]), "--out", str(tmp_path / "run"), "--epochs", "2",
                 "--batch-size", "100"]) == 0
    out = tmp_path / "gain.json"
    assert main(["augment-gain", str(tmp_path / "run"), "--real", str(files[0]), "--test", str(files[1]),
                 "--target", "y", "--rows", "50", "--repeats", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["kind"] == "tables" and result["synthetic_rows"] == 50 and len(result["runs"]) == 1
    assert "test f1" in capsys.readouterr().out
    assert main(["augment-gain", str(tmp_path / "run"), "--real", str(files[0]), "--test", str(files[1])]) != 0
    assert "--target" in capsys.readouterr().err
    assert main(["augment-gain", str(tmp_path / "run"), "--real", str(files[0]), "--test", str(files[1]),
                 "--target", "y", "--soft"]) != 0
    assert "--soft are for image and time-series models" in capsys.readouterr().err
