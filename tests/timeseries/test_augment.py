"""augment-gain on time series: windows of the right class (an ideal generator) raise the accuracy of a classifier
trained on 3 windows per class; the same windows under swapped labels (a generator that ignores its condition)
lower it; sets whose shape or classes do not fit the model are refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from duelo.errors import ConfigError
from duelo.tasks.timeseries import augment, model_io

CONFIG = {"columns": ["v"], "low": [-1.0], "high": [1.0], "class_names": ["slow", "fast"]}


def windows(label: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(16)
    frequency = 0.6 if label == 1 else 0.4
    phase = rng.uniform(0, 6.3, (n, 1))
    return (np.sin(frequency * t[None, :] + phase) + 0.6 * rng.standard_normal((n, 16)))[..., None]


def labelled_npz(path, per_class: int, seed: int, names=("slow", "fast")):
    values = np.concatenate([windows(c, per_class, seed + c) for c in (0, 1)])
    np.savez(path, windows=values, labels=np.repeat([0, 1], per_class), class_names=np.array(names),
             columns=np.array(["v"]))
    return str(path)


class Conditional(torch.nn.Module):
    c_dim = 2


@pytest.fixture
def fake_model(monkeypatch):
    swap = {"on": False}

    def generate(G, config, n, seed=0, label=None, device="cpu"):
        drawn = windows(1 - label if swap["on"] else label, n, 1000 + seed)
        return torch.from_numpy(drawn), torch.full((n,), label), None

    monkeypatch.setattr(model_io, "load_series_model", lambda run, device="cpu": (Conditional(), CONFIG))
    monkeypatch.setattr(model_io, "generate_windows", generate)
    # 50 steps of the window classifier: the 6 real windows alone score ~75 %, the right windows add ~20 points
    # (pre-trained on them too), mislabelled ones cost ~70, as with 150 steps (3x the time)
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "50")
    return swap


def test_right_windows_help_and_mislabelled_ones_do_not(fake_model, tmp_path):
    small, test = labelled_npz(tmp_path / "s.npz", 3, 0), labelled_npz(tmp_path / "t.npz", 100, 50)
    good = augment.augment_series(tmp_path, small, test, per_class=60, repeats=1, pretrain=True)
    fake_model["on"] = True
    bad = augment.augment_series(tmp_path, small, test, per_class=60, repeats=1)
    assert good["real_windows"] == 6 and good["synthetic_windows"] == 120 and good["test_windows"] == 200
    assert good["gain"] > 0.05 and bad["gain"] < -0.2, (good, bad)
    # pre-trained on the right windows, then fine-tuned on the 6 real ones: better than the 6 alone too
    assert good["gains"]["synthetic_then_real"]["gain"] > 0.05, good


def test_sets_that_do_not_fit_the_model_are_refused(fake_model, tmp_path):
    test = labelled_npz(tmp_path / "t.npz", 5, 50)
    other = labelled_npz(tmp_path / "o.npz", 5, 0, names=("slow", "walk"))
    with pytest.raises(ConfigError, match="'walk' are not the model's"):
        augment.augment_series(tmp_path, other, test, per_class=2, repeats=1)
    np.savez(tmp_path / "u.npz", windows=windows(0, 4, 0))
    with pytest.raises(ConfigError, match="unlabelled"):
        augment.augment_series(tmp_path, test, str(tmp_path / "u.npz"), per_class=2, repeats=1)


class _Recorder:
    """A stand-in window classifier: remembers each training set's size, calls every window of mean > 0 class 1."""

    def __init__(self):
        self.sizes: list[int] = []

    def __call__(self, windows, labels, classes, **kwargs):
        self.sizes.append(len(windows))
        return self

    def probabilities(self, windows, lengths=None):
        one = (torch.as_tensor(windows).float().flatten(1).mean(1) > 0).long()
        return torch.nn.functional.one_hot(one, 2).float()


def test_the_filter_keeps_what_the_real_only_classifier_agrees_with_and_balance_repeats_the_real_set(
        fake_model, tmp_path, monkeypatch):
    from duelo.evaluation import window_classifier

    def half_wrong(G, config, n, seed=0, label=None, device="cpu"):       # half dark, half light, whatever asked
        drawn = np.concatenate([-np.ones((n // 2, 16, 1)), np.ones((n - n // 2, 16, 1))])
        return torch.from_numpy(drawn), torch.full((n,), label), None

    monkeypatch.setattr(model_io, "generate_windows", half_wrong)
    np.savez(tmp_path / "r.npz", windows=np.concatenate([-np.ones((4, 16, 1)), np.ones((4, 16, 1))]),
             labels=np.repeat([0, 1], 4), class_names=np.array(["slow", "fast"]), columns=np.array(["v"]))
    real = str(tmp_path / "r.npz")
    recorder = _Recorder()
    monkeypatch.setattr(window_classifier, "train_window_classifier", recorder)
    result = augment.augment_series(tmp_path, real, real, per_class=10, repeats=2, threshold=0.5, balance=True)
    # 40 candidates per class, 20 of them named as asked, 10 kept per class; per repeat the real-only classifier
    # once (it also filters), then the 8 real windows x 3 copies + the 20 kept ones
    assert result["filter"] == {"threshold": 0.5, "candidates": 80, "kept": [20, 20]}
    assert result["synthetic_windows"] == 20 and result["balance"] is True
    assert recorder.sizes == [8, 44, 8, 44]
    assert result["real_only"] == 1.0 and result["gain"] == 0.0          # both arms name the test windows right
    plain = _Recorder()
    monkeypatch.setattr(window_classifier, "train_window_classifier", plain)
    result = augment.augment_series(tmp_path, real, real, per_class=10, repeats=1)
    assert plain.sizes == [8, 28] and "filter" not in result and "balance" not in result


def test_soft_labels_train_the_window_classifier_beside_blends_of_real_windows(fake_model, tmp_path, monkeypatch):
    from duelo.evaluation import window_classifier

    train, seen = window_classifier.train_window_classifier, []

    def recording(windows, labels, *args, **kwargs):
        classifier = train(windows, labels, *args, **kwargs)
        seen.append((windows, labels, classifier))
        return classifier

    monkeypatch.setattr(window_classifier, "train_window_classifier", recording)
    small, test = labelled_npz(tmp_path / "s.npz", 3, 0), labelled_npz(tmp_path / "t.npz", 100, 50)
    result = augment.augment_series(tmp_path, small, test, per_class=60, repeats=1, soft=True)
    assert result["soft"] is True and set(result["gains"]) == {"real_plus_synthetic", "real_plus_mixtures"}
    assert all(0.5 <= arm["accuracy"] <= 1 for arm in result["arms"].values()), result["arms"]
    # the teacher on class indices; both students on probabilities: 6 real one-hot rows + 120 of the teacher's
    (_, hard, teacher), (windows, student, _), (blends, control, _) = seen
    assert hard.dtype == torch.int64 and student.shape == control.shape == (126, 2)
    one_hot = torch.nn.functional.one_hot(hard, 2).float()
    assert torch.equal(student[:6], one_hot) and torch.equal(control[:6], one_hot)
    assert torch.allclose(student[6:], teacher.probabilities(windows[6:]))
    assert torch.allclose(control[6:], teacher.probabilities(blends[6:]))
    assert 0 < float(student[6:].max(1).values.min()) < 1              # the teacher's own doubts, not one-hot
