"""The time-series task end to end on the CPU: train on sines through the CLI, the run folder (model, plot,
scores in summary.json), `duelo sample` to CSV and .npz, `duelo eval`, a conditional run on a labelled CSV,
and the networks' shapes for any window length."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.tasks.timeseries.networks import SeriesDiscriminator, SeriesGenerator

TINY = ["train", "--task", "timeseries", "--window", "12", "--kimg", "3", "--batch", "64", "--seed", "1",
        "--set", "data.max_windows=800", "--set", "series.width=16", "--set", "series.blocks=2",
        "--set", "series.eval_samples=64", "--set", "series.score_steps=20", "--set", "run.snapshot_kimg=3",
        "--set", "run.log_kimg=1"]


@pytest.mark.parametrize("window", [7, 12, 24])
def test_networks_take_any_window_length(window):
    G = SeriesGenerator(window, 3, z_dim=8, step_noise=2, width=16, blocks=3)
    D = SeriesDiscriminator(window, 3, width=16, blocks=3)
    z = G.sample_latents(5, torch.Generator().manual_seed(0))
    assert z.shape == (5, 8 + 2 * window)
    x = G(z)
    assert x.shape == (5, window, 3) and x.abs().max() <= 1
    assert D(x).shape == (5,)


def test_the_shared_latent_changes_the_whole_window_and_step_noise_only_varies_it():
    G = SeriesGenerator(12, 2, z_dim=8, step_noise=2, width=16, blocks=2)
    z = torch.randn(1, G.z_dim)
    other_shared, other_steps = z.clone(), z.clone()
    other_shared[:, :8] = torch.randn(1, 8)
    other_steps[:, 8:] = torch.randn(1, G.z_dim - 8)
    with torch.no_grad():
        base, shared, steps = G(z), G(other_shared), G(other_steps)
    assert not torch.allclose(base, shared) and not torch.allclose(base, steps)


def test_conditional_networks_need_labels():
    G = SeriesGenerator(8, 2, c_dim=3, z_dim=4, step_noise=1, width=8, blocks=1)
    D = SeriesDiscriminator(8, 2, c_dim=3, width=8, blocks=1)
    labels = torch.tensor([0, 2])
    x = G(G.sample_latents(2), labels)
    assert D(x, labels).shape == (2,)
    with pytest.raises(ValueError, match="labels"):
        G(G.sample_latents(2))


@pytest.fixture(scope="module")
def sines_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    assert main([*TINY, "--out", str(root), "--name", "sines"]) == 0
    return root / "sines"


def test_a_run_writes_model_plot_and_scores(sines_run):
    summary = json.loads((sines_run / "summary.json").read_text())
    scores = summary["scores"]
    for key in ("discriminative", "predictive_mae", "predictive_mae_real", "context_fid", "autocorrelation",
                "cross_correlation", "marginal"):
        assert isinstance(scores[key], float) and np.isfinite(scores[key]), key
    assert 0 <= scores["discriminative"] <= 0.5
    assert (sines_run / "model" / "config.json").is_file() and (sines_run / "model" / "model.safetensors").is_file()
    assert list((sines_run / "samples").glob("series-*.png"))


def test_sample_writes_csv_and_npz_in_the_data_units(sines_run, tmp_path, capsys):
    assert main(["sample", str(sines_run), "-n", "6", "--out", str(tmp_path / "w.csv")]) == 0
    lines = (tmp_path / "w.csv").read_text().splitlines()
    assert lines[0].split(",")[:2] == ["window", "step"] and len(lines[0].split(",")) == 2 + 5
    assert len(lines) == 1 + 6 * 12
    assert main(["sample", str(sines_run), "-n", "6", "--out", str(tmp_path / "w.npz")]) == 0
    windows = np.load(tmp_path / "w.npz")["windows"]
    assert windows.shape == (6, 12, 5)
    config = json.loads((sines_run / "model" / "config.json").read_text())
    assert (windows >= np.array(config["low"]) - 1e-4).all() and (windows <= np.array(config["high"]) + 1e-4).all()
    first = np.array([[float(v) for v in line.split(",")[2:]] for line in lines[1:13]])
    np.testing.assert_allclose(first, windows[0], rtol=1e-4, atol=1e-5)     # seed 0 both times
    assert main(["sample", str(sines_run), "-n", "6", "--out", str(tmp_path / "w.csv")]) != 0   # no overwrite
    assert "exists" in capsys.readouterr().err


def test_eval_scores_the_run_again(sines_run, tmp_path):
    assert main(["eval", str(sines_run), "--num-samples", "64", "--out", str(tmp_path / "e.json")]) == 0
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["task"] == "timeseries" and result["num_samples"] == 64
    assert 0 <= result["scores"]["discriminative"] <= 0.5


def test_a_conditional_run_on_a_labelled_csv(tmp_path, capsys):
    steps = np.arange(3000)
    label = (steps // 300) % 2                                  # regimes of 300 steps
    frequency = np.where(label == 1, 0.3, 0.05)
    csv = tmp_path / "regimes.csv"
    rows = ["value,other,regime"] + [f"{np.sin(f * t):.5f},{np.cos(0.02 * t):.5f},{'fast' if r else 'slow'}"
                                     for t, f, r in zip(steps, frequency, label)]
    csv.write_text("\n".join(rows) + "\n")
    assert main([*TINY, "--kimg", "2", "--dataset", str(csv), "--label-column", "regime", "--conditional",
                 "--out", str(tmp_path), "--name", "c"]) == 0
    scores = json.loads((tmp_path / "c" / "summary.json").read_text())["scores"]
    assert 0 <= scores["class_accuracy_synthetic"] <= 1 and 0 <= scores["class_accuracy_real"] <= 1
    config = json.loads((tmp_path / "c" / "model" / "config.json").read_text())
    assert config["kwargs"]["c_dim"] == 2 and sorted(config["class_names"]) == ["fast", "slow"]
    assert main(["sample", str(tmp_path / "c"), "-n", "3", "--label", "1", "--out", str(tmp_path / "f.csv")]) == 0
    assert all(line.split(",")[2] == config["class_names"][1]
               for line in (tmp_path / "f.csv").read_text().splitlines()[1:])
    assert main(["sample", str(tmp_path / "c"), "-n", "3", "--label", "7", "--out", str(tmp_path / "g.csv")]) != 0
    assert "out of range" in capsys.readouterr().err


def test_conditional_without_labels_is_refused(tmp_path, capsys):
    assert main([*TINY, "--conditional", "--out", str(tmp_path)]) != 0
    assert "labels" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_a_damaged_series_model_is_named_not_a_traceback(sines_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sines_run / "model", copy)
    (copy / "model.safetensors").write_bytes(b"not weights")
    assert main(["sample", str(copy), "-n", "2", "--out", str(tmp_path / "w.csv")]) != 0
    err = capsys.readouterr().err
    assert "model does not load" in err and "Traceback" not in err


def test_too_few_held_out_windows_to_score_still_save_the_run(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "few.npz", windows=np.sin(np.arange(12)[None, :, None] + rng.uniform(0, 6, (30, 1, 1))))
    assert main([*TINY, "--kimg", "0.1", "--batch", "8", "--dataset", str(tmp_path / "few.npz"), "--out",
                 str(tmp_path), "--name", "few"]) == 0
    summary = json.loads((tmp_path / "few" / "summary.json").read_text())
    assert "6 held-out window(s)" in summary["scores"]["skipped"]
    assert (tmp_path / "few" / "model" / "model.safetensors").is_file()
