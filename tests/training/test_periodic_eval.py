"""Periodic evaluation during training: logged, best model kept, and training itself untouched."""

import json

import torch

from duelo.cli.main import main
from tests.training.helpers import TINY_ARGS, final_state

ARGS = ["train", *TINY_ARGS, "--conditional", "--kimg", "0.48"]


def test_periodic_eval_keeps_the_best_and_does_not_change_training(tmp_path):
    assert main([*ARGS, "--out", str(tmp_path), "--name", "plain"]) == 0
    assert main([*ARGS, "--out", str(tmp_path), "--name", "evald", "--eval-every", "0.16",
                 "--set", "run.eval_samples=200"]) == 0
    plain, evald = final_state(tmp_path / "plain"), final_state(tmp_path / "evald")
    differ = [k for k in plain if not torch.equal(plain[k], evald[k])]
    assert not differ, f"evaluation changed the training state: {differ[:5]}"
    lines = [json.loads(line) for line in (tmp_path / "evald" / "eval.jsonl").read_text().splitlines()]
    assert [line["nimg"] for line in lines] == [160, 320, 480]
    best = json.loads((tmp_path / "evald" / "best" / "best.json").read_text())
    assert best["metric"] == "fd_domain" and best["value"] == min(line["fd_domain"] for line in lines)
    assert (tmp_path / "evald" / "best" / "model.safetensors").exists()
    assert not (tmp_path / "plain" / "eval.jsonl").exists()


def test_eval_metric_must_rank_models(tmp_path, capsys):
    assert main([*ARGS, "--out", str(tmp_path), "--eval-every", "0.16", "--eval-metric", "kidd"]) == 2
    assert "unknown metric 'kidd'" in capsys.readouterr().err
    assert main([*ARGS, "--out", str(tmp_path), "--eval-every", "0.16", "--set", "run.eval_kimg=0"]) == 2
