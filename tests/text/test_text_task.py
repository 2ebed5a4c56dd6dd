"""The text task through the CLI on the CPU, on a generated labelled file (no download): maximum likelihood
learns (its loss falls), relgan pre-trains then plays the game with D, a run resumes, `duelo sample` prints or
writes lines at a temperature and a class, `duelo eval` scores them, and bad settings get clear errors."""

from __future__ import annotations

import json

import pytest

from duelo.cli.main import main
from duelo.tasks.text.objective import BetaSchedule
from tests.text.made_up import write_names

TINY = ["train", "--task", "text", "--width", "32", "--batch", "32", "--seed", "1", "--set", "text.embed=16",
        "--set", "text.representations=2", "--set", "text.eval_samples=64", "--set", "run.log_kimg=0.25"]


@pytest.fixture(scope="module")
def lines_file(tmp_path_factory):
    return write_names(tmp_path_factory.mktemp("text") / "made-up.txt")


@pytest.fixture(scope="module")
def mle_run(lines_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert main([*TINY, "--model", "mle", "--dataset", str(lines_file), "--kimg", "20", "--set",
                 "run.snapshot_kimg=20", "--out", str(out), "--name", "m"]) == 0
    return out / "m"


def _logged(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_maximum_likelihood_learns_and_writes_its_run(mle_run):
    losses = [row["loss_G_mle"] for row in _logged(mle_run)]
    assert losses[-1] < 0.6 * losses[0]                          # the made-up names are easy to learn
    scores = json.loads((mle_run / "summary.json").read_text())["scores"]
    for key in ("bleu4", "bleu4_real", "self_bleu4", "novelty", "longest_copy", "plausible", "nll_per_token"):
        assert 0 <= scores[key] < 50, key
    assert scores["plausible"] > 0.5                             # it writes the syllables it saw
    assert list((mle_run / "samples").glob("text-*.txt")) and (mle_run / "model" / "model.safetensors").is_file()


def test_the_transformer_core_learns_and_samples(lines_file, tmp_path, capsys):
    assert main([*TINY, "--model", "mle", "--dataset", str(lines_file), "--set", "text.generator=transformer",
                 "--kimg", "12", "--set", "run.snapshot_kimg=12", "--out", str(tmp_path), "--name", "t"]) == 0
    losses = [row["loss_G_mle"] for row in _logged(tmp_path / "t")]
    assert losses[-1] < 0.6 * losses[0]
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "t"), "-n", "4", "--temperature", "0.5"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 4


def test_sample_prints_or_writes_lines_and_eval_scores(mle_run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["sample", str(mle_run), "-n", "5", "--temperature", "0.5"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 5 and all(line.endswith(("a", "o")) for line in printed)
    assert main(["sample", str(mle_run), "-n", "3", "--out", str(tmp_path / "s.txt")]) == 0
    assert len((tmp_path / "s.txt").read_text().splitlines()) == 3
    assert main(["sample", str(mle_run), "-n", "3", "--out", str(tmp_path / "s.csv")]) != 0
    assert ".txt file" in capsys.readouterr().err
    assert main(["sample", str(mle_run), "--label", "a"]) != 0
    assert "unconditional" in capsys.readouterr().err
    assert main(["eval", str(mle_run), "--num-samples", "32"]) == 0
    assert "bleu4" in json.loads((mle_run / "eval.json").read_text())["scores"]
    best = json.loads((mle_run / "best" / "config.json").read_text())        # the lowest held-out NLL's model
    assert best["heldout_nll"] > 0 and best["kimg"] > 0
    assert main(["eval", str(mle_run / "best"), "--num-samples", "32"]) == 0
    assert json.loads((mle_run / "best" / "eval.json").read_text())["model_folder"] == "best"


def test_relgan_pretrains_then_plays_and_resumes(lines_file, tmp_path, capsys):
    args = [*TINY, "--dataset", str(lines_file), "--set", "text.pretrain_kimg=1", "--set", "run.snapshot_kimg=1",
            "--out", str(tmp_path), "--name", "r"]
    assert main([*args, "--kimg", "1.6"]) == 0
    rows = _logged(tmp_path / "r")
    assert "loss_G_mle" in rows[0] and "loss_D" not in rows[0]           # pre-training first
    assert "loss_D" in rows[-1] and "loss_G_mle" not in rows[-1]         # then the game
    assert not (tmp_path / "r" / "best").exists()                        # NLL is not what a GAN minimises
    before = json.loads((tmp_path / "r" / "summary.json").read_text())["iterations"]
    capsys.readouterr()
    assert main([*args, "--kimg", "2.2"]) == 0
    assert "resum" in capsys.readouterr().err.lower()
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["iterations"] > before


def test_seqgan_pretrains_then_learns_by_policy_gradient_conditionally(lines_file, tmp_path):
    assert main([*TINY, "--model", "seqgan", "--dataset", str(lines_file), "--conditional", "--set",
                 "text.pretrain_kimg=8", "--set", "text.rollouts=2", "--set", "loss.name=bce", "--kimg", "8.4",
                 "--set", "run.snapshot_kimg=8.4", "--out", str(tmp_path), "--name", "s"]) == 0
    rows = _logged(tmp_path / "s")
    assert "loss_G_mle" in rows[0] and "loss_D" not in rows[0]
    assert "loss_D" in rows[-1] and 0 < rows[-1]["G_reward"] < 1           # D's probabilities as the reward
    scores = json.loads((tmp_path / "s" / "summary.json").read_text())["scores"]
    assert "class_accuracy" in scores and scores["plausible"] > 0.4


def test_the_inverse_temperature_rises_exponentially():
    schedule = BetaSchedule(None, 1000, 3000, 100.0)
    assert schedule.value(0) == 1.0 and schedule.value(1000) == 1.0
    assert schedule.value(2000) == pytest.approx(10.0) and schedule.value(9000) == pytest.approx(100.0)


def test_a_conditional_model_follows_its_label(lines_file, tmp_path, capsys):
    assert main([*TINY, "--model", "mle", "--dataset", str(lines_file), "--conditional", "--kimg", "20", "--set",
                 "run.snapshot_kimg=20", "--out", str(tmp_path), "--name", "c"]) == 0
    scores = json.loads((tmp_path / "c" / "summary.json").read_text())["scores"]
    assert scores["class_accuracy"] > 0.8 and scores["class_accuracy_real"] > 0.9
    assert "held-out NLL" in capsys.readouterr().err                    # logged at every snapshot
    assert main(["sample", str(tmp_path / "c"), "-n", "6", "--label", "o", "--temperature", "0.5"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert all(line.startswith("o\t") and line.endswith("o") for line in printed), printed
    assert main(["sample", str(tmp_path / "c"), "--label", "x"]) != 0
    assert "classes are a, o" in capsys.readouterr().err


def test_settings_that_cannot_work_are_refused(lines_file, tmp_path, capsys):
    plain = tmp_path / "plain.txt"
    plain.write_text("\n".join(f"line {k}" for k in range(50)) + "\n")
    assert main([*TINY, "--dataset", str(plain), "--conditional", "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "has no labels" in capsys.readouterr().err
    assert main([*TINY, "--model", "mle", "--dataset", str(plain), "--set", "stabilise.spectral_norm=true",
                 "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "trains no discriminator" in capsys.readouterr().err
    assert main([*TINY, "--dataset", str(tmp_path / "none.txt"), "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "no such file" in capsys.readouterr().err


def test_g_learns_at_the_mle_rate_first_then_at_its_adversarial_rate():
    from types import SimpleNamespace

    import torch

    from duelo.tasks.text.objective import StageRate

    optimizer = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=1e-4)
    rate = StageRate(optimizer, 1000, 1e-3, decayed=False)
    trainer = SimpleNamespace(counters=SimpleNamespace(nimg=0), lr_scale=0.5)
    rate(trainer)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-4)          # pre-training, after one rollback cut
    trainer.counters.nimg = 1000
    rate(trainer)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-5)          # the adversarial stage: optim.g_lr


def test_a_rising_heldout_nll_is_reported_as_mode_dropping_for_a_gan(monkeypatch):
    from types import SimpleNamespace

    from duelo.tasks.text import scoring
    from duelo.tasks.text.snapshots import TextSnapshots

    values = iter([2.0, 1.8, 1.81, 1.95])
    monkeypatch.setattr(scoring, "heldout_nll", lambda G, data, device: next(values))
    said = []
    snapshots = TextSnapshots.__new__(TextSnapshots)
    snapshots.session = SimpleNamespace(data=None, log=said.append, config=SimpleNamespace(
        text=SimpleNamespace(model="relgan")))
    trainer = SimpleNamespace(counters=SimpleNamespace(nimg=0), ema={"G": None}, runtime=SimpleNamespace(device="cpu"))
    for nimg in (1000, 2000, 3000, 4000):
        trainer.counters.nimg = nimg
        snapshots.watch_heldout(trainer)
    assert not any("mode dropping" in line for line in said[:3])           # within 2 % of the lowest: noise
    assert "up from 1.800 at 2 kimg" in said[3] and "mode dropping" in said[3]


def test_a_damaged_model_folder_is_named_not_a_traceback(mle_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(mle_run / "model", copy)
    (copy / "model.safetensors").write_bytes(b"not weights")
    assert main(["sample", str(copy), "-n", "2"]) != 0
    err = capsys.readouterr().err
    assert "the saved text generator does not load" in err and str(copy) in err and "Traceback" not in err
