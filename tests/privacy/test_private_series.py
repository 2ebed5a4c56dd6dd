"""A differentially private time-series run end to end on sines: it trains, its summary states the epsilon spent
(at most the target) and scores on the evaluation split alone (memorisation left to the audit); its metrics log
nothing computed from the records; `duelo audit` runs both attacks on it and on a plain run. The guard: a code
path that reads the training windows outside the accountant stops the run. What cannot be private is refused
by name before anything is read: TimeGAN, sliding windows over a long series (a person would be many records),
scaling from the data's own extremes, a CSV label column. A declared value range scales plain runs too."""

from __future__ import annotations

import json

import numpy as np
import pytest

from duelo.cli.main import main
from duelo.errors import ConfigError
from duelo.privacy.records import PrivacyError

pytest.importorskip("dp_accounting")

TINY = ["train", "--task", "timeseries", "--window", "12", "--kimg", "1", "--batch", "32", "--seed", "1",
        "--set", "data.max_windows=600", "--set", "series.width=16", "--set", "series.blocks=2",
        "--set", "series.eval_samples=64", "--set", "series.score_steps=10", "--set", "run.snapshot_kimg=1",
        "--set", "privacy.eval_fraction=0.2"]


@pytest.fixture(scope="module")
def private_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("private-series")
    assert main([*TINY, "--dp-epsilon", "3", "--out", str(root), "--name", "p"]) == 0
    return root / "p"


def test_a_private_run_spends_at_most_its_epsilon_and_scores_on_its_evaluation_split(private_run, tmp_path,
                                                                                     capsys):
    summary = json.loads((private_run / "summary.json").read_text())
    privacy = summary["privacy"]
    assert privacy["steps"] == privacy["steps_planned"] == 32          # 1 kimg in batches of 32
    assert 0 < privacy["epsilon_spent"] <= privacy["epsilon_target"] == 3
    assert privacy["records"] == 480                                   # 600 windows, 20 % kept for evaluation
    scores = summary["scores"]
    assert scores["real_windows"] == 60                                # half of the evaluation split
    assert "skipped" in scores["memorisation"] and "audit" in scores["memorisation"]["skipped"]
    assert "data_sha256" not in summary
    logged = set().union(*(json.loads(line) for line in (private_run / "metrics.jsonl").read_text().splitlines()))
    assert "loss_D_dp" in logged and not logged & {"D_real", "loss_D", "dp_clipped"}, logged
    config = json.loads((private_run / "config.json").read_text())
    assert config["stabilise"]["spectral_norm"] is False and config["health"]["enabled"] is False
    model = json.loads((private_run / "model" / "config.json").read_text())
    assert model["low"] == [0.0] * 5 and model["high"] == [1.0] * 5   # sines' public range, not the records'
    audited = tmp_path / "audit.json"
    assert main(["audit", str(private_run), "--samples", "200", "--max-records", "100", "--out", str(audited)]) == 0
    result = json.loads(audited.read_text())
    assert set(result["attacks"]) == {"distance_to_closest", "discriminator"} and result["members"] == 100
    assert all(0 <= a["auc"] <= 1 for a in result["attacks"].values())
    assert result["privacy"]["epsilon_spent"] == privacy["epsilon_spent"]
    capsys.readouterr()
    assert main(["audit", str(private_run), "--reference", "sines"]) != 0
    assert "image runs and table models" in capsys.readouterr().err


def test_a_plain_run_is_audited_with_windows_it_never_saw(tmp_path):
    assert main([*TINY, "--out", str(tmp_path), "--name", "plain"]) == 0
    rng = np.random.default_rng(0)
    others = np.sin(rng.uniform(0, 0.1, (50, 1, 5)) * np.arange(12)[None, :, None] + rng.uniform(0, 0.1, (50, 1, 5)))
    np.savez(tmp_path / "others.npz", windows=others)
    out = tmp_path / "audit.json"
    assert main(["audit", str(tmp_path / "plain"), "--samples", "100", "--nonmembers", str(tmp_path / "others.npz"),
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text())["nonmembers"] == 50


def test_a_path_that_reads_the_windows_outside_the_accountant_stops_the_run(tmp_path, monkeypatch, capsys):
    import duelo.tasks.timeseries.private as private

    original = private.private_series_config
    monkeypatch.setattr(private, "private_series_config",
                        lambda config: original(config).with_overrides({"health.enabled": True}, source="test"))
    assert main([*TINY, "--dp-epsilon", "3", "--out", str(tmp_path), "--name", "leak"]) != 0
    assert "outside the accountant" in capsys.readouterr().err


def test_the_training_windows_cannot_be_read():
    from duelo.tasks.timeseries.data import load_series
    from duelo.tasks.timeseries.private import PrivateSeries

    data = PrivateSeries(load_series("sines", window=8, max_windows=50, value_range=(0.0, 1.0)))
    assert data.shape == (50, 8, 5) and len(data) == 50
    for name in ("windows", "labels"):
        with pytest.raises(PrivacyError, match="outside the accountant"):
            getattr(data, name)
    with pytest.raises(PrivacyError):
        data.records[0]


def _long_csv(tmp_path):
    csv = tmp_path / "long.csv"
    t = np.arange(400)
    csv.write_text("value,regime\n" + "\n".join(f"{np.sin(0.1 * k):.4f},{'a' if k < 200 else 'b'}" for k in t))
    return csv


@pytest.mark.parametrize("extra, named", [
    (["--preset", "timegan"], "series.model timegan"),
    (["--dataset", "CSV", "--set", "data.value_range=-1,1"], "many records"),
    (["--dataset", "CSV"], "data.value_range=LOW,HIGH"),
    (["--dataset", "CSV", "--label-column", "regime", "--set", "data.value_range=-1,1"], "--label-column"),
])
def test_what_cannot_be_private_is_refused_by_name(tmp_path, capsys, extra, named):
    extra = [str(_long_csv(tmp_path)) if item == "CSV" else item for item in extra]
    assert main([*TINY, "--dp-epsilon", "3", *extra, "--out", str(tmp_path / "runs")]) != 0
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.safetensors"))


def test_a_declared_range_scales_every_channel_and_clips_what_lies_outside():
    from duelo.tasks.timeseries.data import load_series

    data = load_series("sines", window=8, max_windows=100, value_range=(0.0, 0.5))
    assert data.low.tolist() == [0.0] * 5 and data.high.tolist() == [0.5] * 5
    assert data.windows.max() == 1.0 and data.windows.min() >= -1.0      # values above 0.5 clipped to +1
    plain = load_series("sines", window=8, max_windows=100)
    assert plain.low.min() > 0.0 and plain.windows.min() == -1.0         # min-max: the data's own extremes
    with pytest.raises(ConfigError, match="LOW < HIGH"):
        load_series("sines", window=8, max_windows=10, value_range=(1.0, 0.0))


def test_a_value_range_is_read_from_the_command_line_as_numbers(tmp_path):
    assert main([*TINY, "--kimg", "0.1", "--set", "data.value_range=0,1", "--set", "series.score_steps=2",
                 "--out", str(tmp_path), "--name", "r"]) == 0
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["data"]["value_range"] == [0.0, 1.0]
