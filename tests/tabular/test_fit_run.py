"""A tabular fit is a run of the shared trainer: it checkpoints, resumes bitwise after SIGKILL, rolls a divergence
back with lower learning rates, stops at a time budget, and its health monitor reads rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from duelo.cli.main import main
from tests.training.helpers import final_state, run_cli, run_here

ARGS = ["--epochs", "4", "--batch-size", "50", "--pac", "5", "--seed", "2", "--set", "run.snapshot_kimg=0.4",
        "--set", "run.log_kimg=0.1", "--set", "model.embedding_dim=8", "--set", "model.generator_dim=32,32",
        "--set", "model.discriminator_dim=32,32"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit-run")
    rng = np.random.default_rng(0)
    n = 250
    group = rng.choice(["a", "b", "c"], n)
    frame = pd.DataFrame({"group": group, "value": np.where(group == "a", 0.0, 5.0) + rng.normal(0, 1, n),
                          "count": rng.integers(0, 9, n)})
    frame.to_csv(folder / "t.csv", index=False)
    return folder / "t.csv"


def _fit(table, out, *extra, fault=None, cwd=None, here=False):
    args = ["tabular", "fit", str(table), "--out", str(out), *ARGS, *extra]
    return run_here(args, cwd or out.parent) if here else run_cli(args, cwd or out.parent, fault=fault)


@pytest.mark.slow
def test_sigkill_mid_fit_then_rerun_ends_bitwise_where_an_uninterrupted_fit_ends(table, tmp_path):
    whole = _fit(table, tmp_path / "whole", here=True)                 # nothing kills it: in this process
    assert whole.returncode == 0, whole.stderr
    killed = _fit(table, tmp_path / "cut", fault="checkpoint-committed:1")
    assert killed.returncode != 0 and not (tmp_path / "cut" / "summary.json").exists()
    resumed = _fit(table, tmp_path / "cut")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ckpt-" in resumed.stderr
    a, b = final_state(tmp_path / "whole"), final_state(tmp_path / "cut")
    assert a.keys() == b.keys() and any(k.startswith("net.G_ema.") for k in a)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    model_a = load_file(str(tmp_path / "whole" / "model" / "model.safetensors"))
    model_b = load_file(str(tmp_path / "cut" / "model" / "model.safetensors"))
    assert all(torch.equal(model_a[k], model_b[k]) for k in model_a)
    metrics = [json.loads(line) for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [m["nimg"] for m in metrics] == sorted({m["nimg"] for m in metrics})     # no line twice after resume


def test_a_divergence_is_rolled_back_with_lower_learning_rates(table, tmp_path, monkeypatch):
    monkeypatch.setenv("DUELO_INJECT_NAN", "6")            # a critic weight turns NaN after iteration 6
    assert main(["tabular", "fit", str(table), "--out", str(tmp_path / "run"), *ARGS]) == 0
    events = [json.loads(line) for line in (tmp_path / "run" / "health.jsonl").read_text().splitlines()]
    rollback = [e for e in events if e.get("event") == "rollback"]
    assert rollback and rollback[0]["evidence"]["lr_scale"] == 0.5
    state = final_state(tmp_path / "run")
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_a_time_budget_ends_the_fit_with_a_model(table, tmp_path, capsys):
    code = main(["tabular", "fit", str(table), "--out", str(tmp_path / "run"), *ARGS, "--epochs", "100000",
                 "--minutes", "0.02"])
    assert code == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["stopped_by"].startswith("time budget") and summary["task"] == "tabular"
    assert 0 < summary["column_shapes"] <= 1 and (tmp_path / "run" / "model" / "model.json").exists()
    assert main(["tabular", "sample", str(tmp_path / "run"), "-n", "20", "-o", str(tmp_path / "s.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "s.csv")) == 20


def test_the_health_monitor_checks_rows(table, tmp_path):
    assert main(["tabular", "fit", str(table), "--out", str(tmp_path / "run"), *ARGS,
                 "--set", "health.heldout_fraction=0.2", "--set", "health.samples=100"]) == 0
    checks = [json.loads(line)["signals"] for line in (tmp_path / "run" / "health.jsonl").read_text().splitlines()
              if json.loads(line)["kind"] == "signals"]
    assert len(checks) == 3                                # one per snapshot: 0.4, 0.8 and the last, 1.0 kimg
    last = checks[-1]
    assert {"d_real_train", "d_real_heldout", "d_fake", "grad_norm_D", "grad_norm_G", "diversity_ratio",
            "classes_covered", "classes_total"} <= set(last)
    assert last["classes_total"] >= 3 and 0 < last["diversity_ratio"] < 3
    assert np.isfinite(last["grad_norm_G"]) and last["grad_norm_G"] > 0
