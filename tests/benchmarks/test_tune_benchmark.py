"""benchmarks/tune.py: the warm-up trains and caches the image set's judge before the search's clock starts, so the
search's first trial finds it ready; the equal-total arm trains the preset for what the search trained; merge joins
final results of one process per seed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import tune  # noqa: E402


def test_warm_up_caches_the_judge_before_the_search(tmp_path, monkeypatch):
    from duelo.data.loading import load_dataset
    from duelo.evaluation.domain_classifier import cache_dir
    from duelo.tasks.presets import load_preset

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "20")
    data = load_dataset("mnist-5k")
    index = np.random.default_rng(0).permutation(len(data.labels))[:600]
    path = tmp_path / "small.npz"
    np.savez(path, images=data.images.numpy()[index], labels=data.labels.numpy()[index],
             class_names=np.array(data.class_names))
    base = load_preset("demo").with_overrides({"model.conditional": True, "data.dataset": str(path),
                                               "train.device": "cpu", "train.batch": 32})
    assert not list(cache_dir().glob("*.safetensors"))
    seconds = tune.warm_up(base, tmp_path / "work")
    assert seconds > 0 and (tmp_path / "work" / "warm-up" / "run" / "summary.json").is_file()
    assert len(list(cache_dir().glob("*.safetensors"))) == 1          # the judge the trials will read
    assert tune.SETS["fashion"].warm_up and not tune.SETS["adult"].warm_up


def test_the_search_budget_counts_each_trial_to_its_last_rung():
    searched = {"rungs": [100, 300, 600], "all_trials": [
        {"state": "COMPLETE", "values": {"0": 0.9, "1": 0.95, "2": 0.97}},       # 600
        {"state": "PRUNED", "values": {"0": 0.7}},                              # 100
        {"state": "PRUNED", "values": {"0": 0.8, "1": 0.9}},                    # 300
        {"state": "RUNNING", "values": {}}]}                                    # nothing reported yet
    assert tune.search_kimg(searched, 1.0) == 1000
    assert tune.search_kimg(searched, 0.5) == 500


def test_merge_puts_one_process_per_seed_back_together(tmp_path):
    def part(seed, tuned, preset):
        rows = [{"arm": "tuned", "seed": seed, "discriminative": tuned},
                {"arm": "preset_equal_total", "seed": seed, "discriminative": preset}]
        path = tmp_path / f"seed{seed}.json"
        path.write_text(json.dumps({"benchmark": "tune", "phase": "final", "set": "gunpoint", "complete": True,
                                    "tuned_settings": {"optim.g_lr": 1e-3}, "rows": rows,
                                    "arm_kimg": {"tuned": 300, "preset_equal_total": 1100}}))
        return str(path)

    merged = tune.merge([part(0, 0.10, 0.20), part(1, 0.30, 0.12)])
    assert [r["seed"] for r in merged["rows"]] == [0, 0, 1, 1]
    assert merged["means"] == {"tuned": pytest.approx(0.20), "preset_equal_total": pytest.approx(0.16)}
    assert merged["tuned_beats_preset_equal_total"] is False            # lower is better on this set
    assert merged["tuned_beats_preset"] is None                         # no preset arm at the final length
    other = json.loads(Path(part(2, 0.1, 0.1)).read_text())
    other["tuned_settings"] = {"optim.g_lr": 2e-4}
    Path(tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="different searches"):
        tune.merge([part(0, 0.1, 0.2), str(tmp_path / "other.json")])
    longer = json.loads(Path(part(3, 0.1, 0.1)).read_text())
    longer["arm_kimg"]["tuned"] = 1000                                  # a part trained at another final length
    Path(tmp_path / "longer.json").write_text(json.dumps(longer))
    with pytest.raises(SystemExit, match="tuned arm for different lengths"):
        tune.merge([part(0, 0.1, 0.2), str(tmp_path / "longer.json")])


def test_final_kimg_sets_the_final_length_and_keeps_the_search_on_top(tmp_path, monkeypatch):
    trained = []

    def fake_train(config, **_):
        trained.append((config.run.name, config.train.total_kimg))
        return {"kimg": config.train.total_kimg}

    import duelo.tasks.runner

    monkeypatch.setattr(duelo.tasks.runner, "train", fake_train)
    monkeypatch.setattr(tune, "prepare", lambda name, work: {})
    monkeypatch.setattr(tune, "full_score", lambda name, run, summary, device: {"ml_efficacy": summary["kimg"]})
    search = tmp_path / "search.json"
    search.write_text(json.dumps({"rungs": [1000, 2000, 4000], "best": {"settings": {"optim.g_lr": 1e-3}},
                                  "all_trials": [{"values": {"0": 0.9, "1": 0.95}}]}))      # 2,000 kimg searched
    args = tune.main_parser().parse_args(["final", "--set", "adult", "--search", str(search), "--seeds", "1",
                                          "--arms", "tuned,preset_equal_total", "--final-kimg", "500",
                                          "--device", "cpu", "--work", str(tmp_path), "--out",
                                          str(tmp_path / "final.json")])
    result = tune.final(args)
    assert trained == [("final-tuned-0", 500), ("final-preset_equal_total-0", 2500)]
    assert result["full_kimg"] == 500 and result["arm_kimg"] == {"tuned": 500, "preset_equal_total": 2500}
