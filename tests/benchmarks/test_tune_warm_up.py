"""benchmarks/tune.py's warm-up: the image set's judge is trained and cached before the search's clock starts, so
the search's first trial finds it ready instead of spending its minutes on it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

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
