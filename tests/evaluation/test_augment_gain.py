"""The gain from synthetic data on real digits: extra images that are real digits with their labels (an ideal
GAN) raise the accuracy of a classifier trained on 5 per class; the same images with shuffled labels (a GAN that
ignores its condition) do not; the interval arithmetic; the command's refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.data.loading import load_dataset
from duelo.evaluation.augment_gain import augment_gain, interval


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("mnist-5k")
    rng = np.random.default_rng(0)
    labels = data.labels.numpy()
    small = np.concatenate([rng.choice(np.nonzero(labels == c)[0], 5, replace=False) for c in range(10)])
    rest = rng.permutation(np.setdiff1d(np.arange(len(labels)), small))     # MNIST-5k is ordered by class
    extra, test = rest[:600], rest[600:1100]
    take = lambda index: (data.images[torch.from_numpy(index)], data.labels[torch.from_numpy(index)])  # noqa: E731
    return take(small), take(extra), take(test)


def test_ideal_synthetic_data_helps_and_unlabelled_noise_does_not(digits, monkeypatch):
    from duelo.evaluation import domain_classifier

    # 50 steps: the 50 real images alone reach ~50 % test accuracy, the ideal extra images add ~13 points and
    # pre-training on them ~30, shuffled labels cost ~33 (at 30 steps the real-only arm is still guessing: 23 %)
    monkeypatch.setenv("DUELO_JUDGE_STEPS", "50")
    (real, real_labels), (extra, extra_labels), (test, test_labels) = digits
    # both comparisons train the real_only arm on the same 50 images with the same seed and steps (deterministic
    # on the CPU): the second one reuses the first one's classifier instead of training it again (6 s)
    train, real_only = domain_classifier.train_classifier, {}

    def train_real_only_once(images, labels, *args, **kwargs):
        if images is not real or kwargs.get("init") is not None:         # the pre-trained arm's fine-tuning
            return train(images, labels, *args, **kwargs)
        key = (args, tuple(sorted(kwargs.items())))
        if key not in real_only:
            real_only[key] = train(images, labels, *args, **kwargs)
        return real_only[key]

    monkeypatch.setattr(domain_classifier, "train_classifier", train_real_only_once)
    good = augment_gain(real, real_labels, test, test_labels, extra, extra_labels, 10, repeats=1, pretrain=True)
    assert good["gain"] > 0.05 and all(run["gains"]["real_plus_synthetic"] > 0 for run in good["runs"]), good
    # pre-trained on the good extra images, then fine-tuned on the 50 real ones: better than the 50 alone too
    assert good["gains"]["synthetic_then_real"]["gain"] > 0.05 and good["pretrain"] is True
    assert good["metric"] == "accuracy" and good["real_only"] == good["arms"]["real_only"]["accuracy"]
    assert good["real_images"] == 50 and good["synthetic_images"] == 600 and len(good["runs"]) == 1
    assert all(math.isnan(x) for x in good["gain_ci95"])                   # one repeat: no interval
    shuffled = extra_labels[torch.randperm(len(extra_labels), generator=torch.Generator().manual_seed(0))]
    bad = augment_gain(real, real_labels, test, test_labels, extra, shuffled, 10, repeats=1)
    assert len(real_only) == 1 and bad["real_only"] == good["real_only"]
    assert bad["gain"] < good["gain"] - 0.1


def test_interval():
    mean, low, high = interval([0.1, 0.2, 0.3])
    assert mean == pytest.approx(0.2) and low == pytest.approx(0.2 - 4.303 * 0.1 / math.sqrt(3))
    assert high == pytest.approx(0.2 + 4.303 * 0.1 / math.sqrt(3))
    assert math.isnan(interval([0.4])[1])


def test_the_command_refuses_what_cannot_work(tmp_path, capsys):
    assert main(["augment-gain", str(tmp_path / "none"), "--real", "mnist-5k", "--test", "mnist-5k"]) != 0
    assert main(["augment-gain", str(tmp_path), "--real", "mnist-5k", "--test", "mnist-5k", "--repeats", "0"]) != 0
    assert "at least 1" in capsys.readouterr().err


def test_agreed_keeps_the_asked_class_above_the_threshold_in_draw_order():
    from duelo.evaluation.augment_gain import agreed

    probabilities = torch.tensor([[0.95, 0.05], [0.2, 0.8], [0.9, 0.1], [0.4, 0.6], [0.99, 0.01], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 0, 1, 0, 1])
    assert agreed(probabilities, labels, per_class=2, threshold=0.85).tolist() == [0, 2, 5]
    assert agreed(probabilities, labels, per_class=9, threshold=0.5).tolist() == [0, 2, 4, 3, 5]


class _Recorder:
    """A stand-in classifier: remembers the training set's size and calls every image of mean > 0 class 1."""

    def __init__(self, sizes):
        self.sizes = sizes

    def __call__(self, images, labels, classes, init=None, **kwargs):
        self.sizes.append(len(images) if init is None else (len(images), "from", init.trained_on))
        self.trained_on = len(images)
        return self

    @property
    def model(self):
        return self

    def probabilities(self, images):
        one = (images.float().flatten(1).mean(1) > 0).long()
        return torch.nn.functional.one_hot(one, 2).float()

    def predict(self, images):
        return self.probabilities(images).argmax(1)


def test_the_filter_keeps_what_the_real_only_classifier_agrees_with_and_balance_repeats_the_real_set(monkeypatch):
    from duelo.evaluation import domain_classifier

    sizes: list[int] = []
    monkeypatch.setattr(domain_classifier, "train_classifier", _Recorder(sizes))
    real = torch.cat([-torch.ones(4, 1, 8, 8), torch.ones(4, 1, 8, 8)])
    real_labels = torch.tensor([0] * 4 + [1] * 4)
    synthetic = torch.cat([-torch.ones(30, 1, 8, 8), torch.ones(30, 1, 8, 8)])      # class 0 dark, class 1 light
    asked = torch.tensor([0, 1] * 30)                                                # half asked wrongly
    result = augment_gain(real, real_labels, real, real_labels, synthetic, asked, 2, repeats=2, per_class=10,
                          threshold=0.5, balance=True)
    assert result["filter"]["kept"] == [20, 20] and result["synthetic_images"] == 20
    # per repeat: the real-only classifier once (it also filters), then 8 real x 3 copies + 20 kept synthetic
    assert sizes == [8, 44, 8, 44]
    plain: list[int] = []
    monkeypatch.setattr(domain_classifier, "train_classifier", _Recorder(plain))
    result = augment_gain(real, real_labels, real, real_labels, synthetic, asked, 2, repeats=1)
    assert plain == [8, 68] and "filter" not in result
    staged: list = []
    monkeypatch.setattr(domain_classifier, "train_classifier", _Recorder(staged))
    result = augment_gain(real, real_labels, real, real_labels, synthetic, asked, 2, repeats=1, per_class=10,
                          threshold=0.5, pretrain=True)
    # real-only, mixed (8 + 20 kept), then the kept 20 alone and the 8 real ones started from that classifier
    assert staged == [8, 28, 20, (8, "from", 20)] and set(result["gains"]) == {"real_plus_synthetic",
                                                                              "synthetic_then_real"}


def test_a_classifier_starts_from_the_weights_it_is_given():
    from duelo.evaluation.domain_classifier import train_classifier

    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(64) % 2
    first = train_classifier(images, labels, 2, seed=0, val_fraction=0.1, steps=2)
    again = train_classifier(images, labels, 2, seed=1, val_fraction=0.1, steps=1, init=first.model)
    fresh = train_classifier(images, labels, 2, seed=1, val_fraction=0.1, steps=1)
    # one small step from the given weights stays near them; the seed's own start is elsewhere
    near = sum(float((a - b).abs().sum()) for a, b in zip(again.model.parameters(), first.model.parameters()))
    far = sum(float((a - b).abs().sum()) for a, b in zip(fresh.model.parameters(), first.model.parameters()))
    assert near < 0.2 * far, (near, far)


def test_a_classifier_learns_from_class_probabilities_as_from_labels():
    """Soft targets (a teacher's probabilities): one-hot rows train exactly what their labels train; spread rows
    train something else, and the held-out accuracy is read against their most likely class."""
    from duelo.evaluation.domain_classifier import train_classifier

    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(64) % 2
    hard = train_classifier(images, labels, 2, seed=0, val_fraction=0.1, steps=3)
    one_hot = train_classifier(images, torch.nn.functional.one_hot(labels, 2).float(), 2, seed=0,
                               val_fraction=0.1, steps=3)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(hard.model.parameters(), one_hot.model.parameters()))
    assert one_hot.val_accuracy == hard.val_accuracy
    spread = torch.full((64, 2), 0.5)
    blurred = train_classifier(images, spread, 2, seed=0, val_fraction=0.1, steps=3)
    assert not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(hard.model.parameters(), blurred.model.parameters()))


def test_filter_and_balance_are_refused_where_they_do_not_apply(tmp_path, capsys):
    assert main(["augment-gain", str(tmp_path), "--real", "x", "--test", "y", "--filter", "1.5"]) != 0
    assert "probability in [0, 1)" in capsys.readouterr().err


class _LabelRecorder(_Recorder):
    """A _Recorder that also keeps every training set's items and labels."""

    def __call__(self, images, labels, classes, init=None, **kwargs):
        self.sizes.append((images, labels))
        return self


def test_soft_labels_come_from_the_real_only_classifier_and_the_control_blends_real_items(monkeypatch):
    from duelo.evaluation import domain_classifier

    seen: list = []
    monkeypatch.setattr(domain_classifier, "train_classifier", _LabelRecorder(seen))
    real = torch.cat([-torch.ones(4, 1, 8, 8), torch.ones(4, 1, 8, 8)])
    real_labels = torch.tensor([0] * 4 + [1] * 4)
    synthetic = torch.cat([-torch.ones(30, 1, 8, 8), torch.ones(30, 1, 8, 8)]) / 2  # class 0 dark, class 1 light
    asked = torch.tensor([0, 1] * 30)                                                # half asked wrongly
    result = augment_gain(real, real_labels, real, real_labels, synthetic, asked, 2, repeats=1, balance=True,
                          soft=True)
    assert result["soft"] is True and set(result["gains"]) == {"real_plus_synthetic", "real_plus_mixtures"}
    (base_x, base_y), (mixed_x, mixed_y), (blend_x, blend_y) = seen
    assert base_y is real_labels                                  # the teacher learns from the labels as they are
    # 8 real x 8 copies (>= 60 synthetic), one-hot, then the 60 synthetic ones with the teacher's probabilities:
    # the class their brightness shows, not the class asked
    assert mixed_y.shape == (124, 2) and blend_y.shape == (124, 2)
    assert torch.equal(mixed_y[:64], torch.nn.functional.one_hot(real_labels, 2).float().repeat(8, 1))
    light = (synthetic.flatten(1).mean(1) > 0).long()
    assert torch.equal(mixed_y[64:].argmax(1), light) and not torch.equal(light, asked)
    # the control: as many blends of two real items, each between them, labelled by the same teacher
    blends = blend_x[64:]
    means = blends.flatten(1).mean(1)
    assert len(blends) == 60 and blends.min() >= -1 and blends.max() <= 1
    assert len(means.unique()) > 2                                # not only copies of the real items
    assert (means.abs() > 0.5).any()                              # made of the real (+-1), not the synthetic (+-0.5)
    assert torch.equal(blend_y[64:].argmax(1), (blends.flatten(1).mean(1) > 0).long())


def test_soft_needs_a_way_to_blend_and_blend_keeps_the_dtype():
    from duelo.evaluation.augment_gain import blend, compare_chosen

    with pytest.raises(ValueError, match="mix"):
        compare_chosen((torch.zeros(2, 1), torch.tensor([0, 1])), (torch.zeros(2, 1), torch.tensor([0, 1])),
                       (torch.zeros(2, 1), torch.tensor([0, 1])), fit=None, join=None, take=None, soft=True)
    a, b = torch.full((2, 3), 200, dtype=torch.uint8), torch.full((2, 3), 1, dtype=torch.uint8)
    mixed = blend(a, b, torch.tensor([1.0, 0.25]))
    assert mixed.dtype == torch.uint8 and mixed[0].tolist() == [200] * 3 and mixed[1].tolist() == [51] * 3


def test_series_blends_keep_the_shorter_length():
    from duelo.tasks.timeseries.augment import _mix

    windows = torch.stack([torch.zeros(5, 1), torch.ones(5, 1)])
    mixed, labels, lengths = _mix((windows, torch.tensor([0, 1]), torch.tensor([5, 3])), torch.tensor([0]),
                                  torch.tensor([1]), torch.tensor([0.25]))
    assert lengths.tolist() == [3] and torch.allclose(mixed, torch.full((1, 5, 1), 0.75)) and labels.tolist() == [0]
    assert _mix((windows, torch.tensor([0, 1]), None), torch.tensor([1]), torch.tensor([0]),
                torch.tensor([0.5]))[2] is None


def test_soft_with_a_filter_that_keeps_nothing_compares_the_real_set_with_itself(monkeypatch):
    from duelo.evaluation import domain_classifier

    seen: list = []
    monkeypatch.setattr(domain_classifier, "train_classifier", _LabelRecorder(seen))
    real = torch.cat([-torch.ones(4, 1, 8, 8), torch.ones(4, 1, 8, 8)])
    real_labels = torch.tensor([0] * 4 + [1] * 4)
    synthetic = torch.cat([-torch.ones(5, 1, 8, 8), torch.ones(5, 1, 8, 8)])
    every_one_wrong = torch.tensor([1] * 5 + [0] * 5)
    result = augment_gain(real, real_labels, real, real_labels, synthetic, every_one_wrong, 2, repeats=1,
                          threshold=0.5, soft=True)
    assert result["filter"]["kept"] == [0] and set(result["gains"]) == {"real_plus_synthetic", "real_plus_mixtures"}
    (_, _), (mixed_x, mixed_y), (blend_x, blend_y) = seen
    assert len(mixed_x) == len(blend_x) == 8 and mixed_y.shape == blend_y.shape == (8, 2)


def test_the_summary_line_names_every_arm_in_words():
    from duelo.evaluation.augment_gain import BASE, MIXTURES, PRETRAINED, SYNTHETIC, describe

    arms = {BASE: {"accuracy": 0.80}, SYNTHETIC: {"accuracy": 0.82}, MIXTURES: {"accuracy": 0.79},
            PRETRAINED: {"accuracy": 0.85}}
    result = {"metric": "accuracy", "repeats": 3, BASE: 0.80, SYNTHETIC: 0.82, "gain": 0.02, "gain_ci95": [0.01, 0.03],
              "arms": arms, "gains": {SYNTHETIC: {"gain": 0.02}, MIXTURES: {"gain": -0.01}, PRETRAINED: {"gain": 0.05}}}
    line = describe(result, "images")
    assert line.startswith("test accuracy 80.0 % on the real images alone, 82.0 % with the synthetic ones: +2.0 points "
                           "(95 % CI +1.0 to +3.0) over 3 repeat(s)")
    assert "; real plus blends of real items: 79.0 % (-1.0 points)" in line
    assert "; synthetic then real: 85.0 % (+5.0 points)" in line
