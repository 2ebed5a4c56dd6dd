"""Private tables: the encoding comes from the public schema and one noisy histogram mechanism (one record moves
each column's histogram by one count), the accountant composes it with DP-SGD, a private fit runs end to end with
the training table behind the guard (reading it raises PrivacyError, so any code path that touched it would stop
the run), scores on the split it never trained on, and mistakes in the schema or the data are refused by name."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from duelo.cli.main import main
from duelo.errors import ConfigError, DataError
from duelo.privacy.accounting import epsilon, noise_for
from duelo.privacy.records import PrivacyError
from duelo.tasks.tabular.private import GRID, _histogram, private_specs
from duelo.tasks.tabular.schema import conform, draft, read_schema

pytest.importorskip("dp_accounting")


def _table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gain = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 900, n))
    return pd.DataFrame({"age": rng.integers(18, 80, n), "gain": gain,
                         "job": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])})


SCHEMA = {"columns": [{"name": "age", "kind": "integer", "bounds": [0, 100]},
                      {"name": "gain", "kind": "integer", "bounds": [0, 1000], "spikes": [0]},
                      {"name": "job", "kind": "categorical", "levels": ["a", "b", "c", "d"]}]}


def _schema(tmp_path, data=SCHEMA):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(data))
    return path


def test_one_record_moves_each_histogram_by_one_count(tmp_path):
    schema = read_schema(_schema(tmp_path))
    table = conform(_table(), schema, "t")
    fewer = table.iloc[1:]
    for column in schema:
        difference = _histogram(column, table[column.name]) - _histogram(column, fewer[column.name])
        assert np.abs(difference).sum() == 1, column.name


def test_specs_follow_the_schema_and_the_noisy_counts(tmp_path):
    schema = read_schema(_schema(tmp_path))
    table = conform(_table(), schema, "t")
    specs, counts = private_specs(table, schema, max_modes=5, noise_multiplier=1e-6,
                                  rng=np.random.default_rng(0))
    age, gain, job = specs
    assert job.levels == ["a", "b", "c", "d"] and list(counts) == [
        int((table.job == level).sum()) or 1 for level in "abcd"]          # an unseen level keeps a slot
    assert age.minimum == 0 and age.maximum == 100 and len(age.means) <= 5
    assert gain.means[0] == 0 and gain.stds[0] == 0                        # the public spike: an exact mode
    assert abs(gain.weights[0] - (table.gain == 0).mean()) < 0.01
    assert min(age.means) >= 0 and max(age.means) <= 100 and abs(sum(age.weights) - 1) < 1e-6
    # grid bins grouped by equal mass: uniform ages 18-79 give five modes of about a fifth each
    assert len(age.means) == 5 and all(0.15 < w < 0.25 for w in age.weights)
    assert GRID >= 16


def test_the_histograms_are_composed_with_the_steps():
    once = (noise_for(0.5, 1.0, 1, 1e-5),)
    assert abs(epsilon(0.0, 1.0, 0, 1e-5, once) - 0.5) < 0.01
    assert epsilon(1.0, 0.01, 500, 1e-5, once) > epsilon(1.0, 0.01, 500, 1e-5)
    sigma = noise_for(2.0, 0.01, 500, 1e-5, once=once)
    assert epsilon(sigma, 0.01, 500, 1e-5, once) <= 2.0
    with pytest.raises(ConfigError, match="before training"):
        noise_for(0.4, 0.01, 500, 1e-5, once=once)


def test_schema_and_data_mistakes_are_refused(tmp_path):
    bad = [({"columns": [{"name": "x", "kind": "number"}]}, "kind"),
           ({"columns": [{"name": "x", "kind": "integer", "bounds": [5, 1]}]}, "bounds"),
           ({"columns": [{"name": "x", "kind": "categorical", "levels": []}]}, "levels"),
           ({"cols": []}, "columns")]
    for data, word in bad:
        with pytest.raises(ConfigError, match=word):
            read_schema(_schema(tmp_path, data))
    schema = read_schema(_schema(tmp_path))
    table = _table()
    for frame, word in ((table.assign(job="z"), "not among the schema's levels"),
                        (table.drop(columns="gain"), "not in the table"),
                        (table.assign(extra=1), "not in the schema"),
                        (table.assign(age=np.nan), "missing values"),
                        (table.assign(age="old"), "holds text")):
        with pytest.raises(DataError, match=word):
            conform(frame, schema, "t")
    clipped = conform(table.assign(age=150), schema, "t")
    assert clipped.age.max() == 100                                        # clipped to the public bounds
    drafted = draft(table)
    assert [c["kind"] for c in drafted["columns"]] == ["integer", "integer", "categorical"]
    assert drafted["columns"][1]["spikes"] == [0.0] and "public knowledge" in drafted["note"]


def test_a_private_fit_runs_behind_the_guard_and_spends_at_most_its_epsilon(tmp_path, capsys):
    _table().to_csv(tmp_path / "t.csv", index=False)
    schema = _schema(tmp_path)
    out = tmp_path / "run"
    args = ["tabular", "fit", str(tmp_path / "t.csv"), "--out", str(out), "--epochs", "2", "--batch-size", "50"]
    assert main([*args, "--dp-epsilon", "2"]) != 0
    assert "needs --dp-schema" in capsys.readouterr().err
    assert main([*args, "--dp-epsilon", "2", "--dp-schema", str(schema)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    privacy = summary["privacy"]
    assert privacy["steps"] == privacy["steps_planned"] and 0 < privacy["epsilon_spent"] <= 2
    assert privacy["histogram_noise_multiplier"][0] > 0 and privacy["records"] < 600
    assert summary["summary_rows"] == 600 - privacy["records"]            # scored on the split kept out
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["pac"] == 1 and config["health"]["enabled"] is False
    logged = set().union(*(json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()))
    assert "dp_batch" in logged and not logged & {"dp_clipped", "dp_grad_norm", "loss_D"}
    assert main(["tabular", "sample", str(out), "-n", "50", "-o", str(tmp_path / "s.csv"), "--seed", "0"]) == 0
    sampled = pd.read_csv(tmp_path / "s.csv")
    assert set(sampled.job) <= {"a", "b", "c", "d"} and sampled.age.between(0, 100).all()
    _table(200, seed=1).to_csv(tmp_path / "others.csv", index=False)
    audited = tmp_path / "audit.json"
    assert main(["audit", str(out), "--members", str(tmp_path / "t.csv"), "--nonmembers", str(tmp_path / "others.csv"),
                 "--samples", "200", "--out", str(audited)]) == 0
    result = json.loads(audited.read_text())
    assert result["privacy"]["epsilon_spent"] == privacy["epsilon_spent"] and result["delta"] == privacy["delta"]


def test_a_killed_private_fit_resumes_with_the_encoding_it_released(tmp_path):
    import os
    import subprocess
    import sys

    _table().to_csv(tmp_path / "t.csv", index=False)
    args = [sys.executable, "-m", "duelo", "train", "--task", "tabular", "--dataset", str(tmp_path / "t.csv"),
            "--dp-epsilon", "2", "--dp-schema", str(_schema(tmp_path)), "--batch", "50", "--kimg", "0.2",
            "--set", "run.snapshot_kimg=0.1", "--out", str(tmp_path), "--name", "r", "--device", "cpu"]
    killed = subprocess.run(args, env={**os.environ, "DUELO_FAULT": "checkpoint-committed:1"}, capture_output=True)
    assert killed.returncode != 0
    released = (tmp_path / "r" / "private-encoding.json").read_text()
    finished = subprocess.run(args, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "resuming" in finished.stderr + finished.stdout
    assert (tmp_path / "r" / "private-encoding.json").read_text() == released      # not drawn (and spent) again
    privacy = json.loads((tmp_path / "r" / "summary.json").read_text())["privacy"]
    assert privacy["steps"] == privacy["steps_planned"] and privacy["epsilon_spent"] <= 2


def test_the_training_table_cannot_be_read(tmp_path):
    from duelo.tasks import task_config
    from duelo.tasks.tabular.private import PrivateTable

    config = task_config("tabular", {"privacy.epsilon": 1.0, "data.schema": str(_schema(tmp_path))})
    data = PrivateTable(_table(), read_schema(_schema(tmp_path)), config, "t")
    for read in (lambda: data.frame, lambda: data.matrix, lambda: data.records[0], lambda: data.records.samples):
        with pytest.raises(PrivacyError):
            read()
