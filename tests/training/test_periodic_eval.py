"""Periodic evaluation during training: logged, best model kept, and training itself untouched."""

import json

import pytest
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


@pytest.mark.slow
def test_periodic_eval_survives_a_kill_and_replays_identically(tmp_path):
    from tests.training.helpers import run_cli, run_here

    args = [*ARGS, "--name", "run", "--eval-every", "0.16", "--set", "run.eval_samples=200"]
    reference = tmp_path / "reference"
    reference.mkdir()
    assert run_here(args, reference).returncode == 0                       # nothing kills it: in this process
    killed = tmp_path / "killed"
    killed.mkdir()
    assert run_cli(args, killed, fault="checkpoint-committed:2").returncode != 0
    assert run_cli(args, killed).returncode == 0
    read = lambda root: (root / "runs" / "run" / "eval.jsonl").read_text()  # noqa: E731
    assert read(killed) == read(reference)
    best = lambda root: json.loads((root / "runs" / "run" / "best" / "best.json").read_text())  # noqa: E731
    assert best(killed) == best(reference)


def test_eval_metric_that_cannot_judge_this_model_is_refused_before_training(tmp_path, capsys):
    unconditional = ["train", *TINY_ARGS, "--kimg", "0.48"]
    assert main([*unconditional, "--out", str(tmp_path), "--eval-every", "0.16", "--eval-metric",
                 "class_accuracy"]) == 2
    assert "unconditional" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_the_best_record_reads_back_and_a_damaged_one_is_named(tmp_path):
    """RunDir.best_value, shared by the image and audio periodic evaluations: none before a model is kept, the
    value best_record wrote, and a damaged record refused with what to do."""
    from duelo.errors import ConfigError
    from duelo.training.run_dir import RunDir

    run_dir = RunDir(tmp_path)
    assert run_dir.best_value() is None
    run_dir.best.mkdir()
    (run_dir.best / RunDir.BEST_RECORD).write_text(RunDir.best_record("fd", 12.5, 4000))
    assert run_dir.best_value() == 12.5
    (run_dir.best / RunDir.BEST_RECORD).write_text('{"metric": "fd"}')
    with pytest.raises(ConfigError, match="move best/ out of the run folder"):
        run_dir.best_value()
