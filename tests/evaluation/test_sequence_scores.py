"""Scores for synthetic time series: each separates TimeGAN's sines from white noise, ignores padding, is
deterministic given its seed and refuses bad input by naming the argument."""

import pytest
import torch

from duelo.errors import ConfigError
from duelo.evaluation.sequence_models import (context_fid, discriminative_score, predictive_score,
                                              train_sequence_encoder)
from duelo.evaluation.window_classifier import classification_accuracy
from duelo.evaluation.sequences import (autocorrelation_distance, cross_correlation_distance, marginal_distance,
                                        memorisation_report, nearest_real_distances, sine_windows)

N, T, C = 400, 24, 5


@pytest.fixture(scope="module")
def data():
    noise = torch.rand(N, T, C, generator=torch.Generator().manual_seed(9)) * 2 - 1
    return {"real": sine_windows(N, T, C, seed=0), "other": sine_windows(N, T, C, seed=1),
            "train": sine_windows(N, T, C, seed=2), "noise": noise}


@pytest.fixture(scope="module")
def encoder(data):
    return train_sequence_encoder(data["real"], steps=50, seed=0)


def test_sine_windows_follow_timegan():
    x = sine_windows(50, length=24, channels=3, seed=4)
    assert x.shape == (50, 24, 3) and x.dtype == torch.float32
    assert float(x.min()) >= -1 and float(x.max()) <= 1
    assert torch.equal(x, sine_windows(50, length=24, channels=3, seed=4))
    assert not torch.equal(x, sine_windows(50, length=24, channels=3, seed=5))
    assert torch.allclose(torch.asin(x[:, 0]), torch.zeros(50, 3), atol=0.1)       # phase in (0, 0.1)
    with pytest.raises(ConfigError, match="channels"):
        sine_windows(5, channels=0)


def test_discriminative_score_tells_noise_but_not_an_independent_draw(data):
    same = discriminative_score(data["real"], data["other"], steps=300)
    different = discriminative_score(data["real"], data["noise"], steps=300)
    assert same["score"] < 0.1, same
    assert different["score"] > 0.4, different
    assert same["train_n"] == 640 and same["test_n"] == 160
    assert same["score"] == pytest.approx(abs(same["accuracy"] - 0.5))


def test_discriminative_score_uses_equal_counts(data):
    report = discriminative_score(data["real"], data["noise"][:100], steps=5)
    assert report["train_n"] == 160 and report["test_n"] == 40


def test_predictive_score_is_close_to_the_real_reference_for_sines_and_worse_for_noise(data):
    reference = predictive_score(data["real"], data["train"], steps=150)["mae"]       # train on real, test on real
    sines = predictive_score(data["real"], data["other"], steps=150)["mae"]
    noise = predictive_score(data["real"], data["noise"], steps=150)["mae"]
    assert abs(sines - reference) < 0.15 * reference, (sines, reference)
    assert noise > 1.5 * reference, (noise, reference)


def test_predictive_score_reads_a_single_channel(data):
    assert predictive_score(data["real"][..., :1], data["other"][..., :1], steps=5)["mae"] > 0


def test_autocorrelation_distance(data):
    assert autocorrelation_distance(data["real"], data["real"]) == 0.0
    same = autocorrelation_distance(data["real"], data["other"])
    assert same < 0.02
    assert autocorrelation_distance(data["real"], data["noise"]) > 10 * same
    assert autocorrelation_distance(data["real"], data["other"], max_lag=3) < 0.02
    with pytest.raises(ConfigError, match="max_lag"):
        autocorrelation_distance(data["real"], data["other"], max_lag=T)


def test_cross_correlation_distance(data):
    assert cross_correlation_distance(data["real"], data["real"]) == 0.0
    assert cross_correlation_distance(data["real"][..., :1], data["noise"][..., :1]) == 0.0
    same = cross_correlation_distance(data["real"], data["other"])
    assert same < 0.1 < cross_correlation_distance(data["real"], data["noise"])
    swapped = data["real"].clone()
    swapped[..., 1] = -swapped[..., 1]                                      # flips the sign of 4 of 10 pairs
    correlation = torch.corrcoef(data["real"].reshape(-1, C).T.double())
    expected = 2 * correlation[1, [0, 2, 3, 4]].abs().sum() / 10
    assert cross_correlation_distance(data["real"], swapped) == pytest.approx(float(expected))


def test_marginal_distance(data):
    assert marginal_distance(data["real"], data["real"]) == 0.0
    same = marginal_distance(data["real"], data["other"])
    noise = marginal_distance(data["real"], data["noise"])
    assert 0 <= same < 0.2 < noise <= 2
    assert marginal_distance(data["real"], data["real"] + 3, bins=10) == pytest.approx(2.0)
    with pytest.raises(ConfigError, match="bins"):
        marginal_distance(data["real"], data["other"], bins=0)


def test_context_fid_separates_noise(data, encoder):
    same = context_fid(data["real"], data["other"], encoder)
    assert context_fid(data["real"], data["real"], encoder) == pytest.approx(0.0, abs=1e-6)
    assert 0 < same < context_fid(data["real"], data["noise"], encoder) / 10
    with pytest.raises(ConfigError, match="channels"):
        context_fid(data["real"][..., :3], data["other"][..., :3], encoder)


def test_memorisation_flags_copies_not_fresh_draws(data):
    copies = data["train"][::4].clone()
    assert torch.equal(nearest_real_distances(copies, data["train"], chunk=16), torch.zeros(len(copies),
                                                                                             dtype=torch.float64))
    copied = memorisation_report(copies, data["train"], data["real"])
    fresh = memorisation_report(data["other"], data["train"], data["real"])
    assert copied["near_copy_fraction"] == 1.0 and copied["nn_generated_median"] == 0.0
    assert fresh["near_copy_fraction"] < 0.05
    assert 0.7 < fresh["nn_generated_median"] / fresh["nn_heldout_median"] < 1.3


def test_padding_never_changes_a_score(data):
    lengths = torch.randint(12, T + 1, (N,), generator=torch.Generator().manual_seed(3))
    pad = torch.arange(T)[None, :, None] >= lengths[:, None, None]

    def padded(x, value):
        return torch.where(pad, torch.full_like(x, value), x)

    def scores(real, fake):
        kw = {"lengths_real": lengths, "lengths_fake": lengths}
        encoder = train_sequence_encoder(real, lengths=lengths, steps=10)
        return [discriminative_score(real, fake, steps=10, **kw), predictive_score(real, fake, steps=10, **kw),
                autocorrelation_distance(real, fake, **kw), cross_correlation_distance(real, fake, **kw),
                marginal_distance(real, fake, **kw), context_fid(real, fake, encoder, **kw),
                nearest_real_distances(fake, real, lengths_fake=lengths, lengths_train=lengths)]

    zeros = scores(padded(data["real"], 0.0), padded(data["noise"], 0.0))
    huge = scores(padded(data["real"], 1e6), padded(data["noise"], -1e6))
    for a, b in zip(zeros, huge):
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b
    unmasked = marginal_distance(padded(data["real"], 1e6), padded(data["noise"], 0.0))
    assert unmasked != zeros[4]                                              # the lengths did matter


def test_same_seed_same_score(data):
    state = torch.get_rng_state()
    a = discriminative_score(data["real"], data["other"], steps=20, seed=7)
    b = discriminative_score(data["real"], data["other"], steps=20, seed=7)
    p = predictive_score(data["real"], data["other"], steps=20, seed=7)
    q = predictive_score(data["real"], data["other"], steps=20, seed=7)
    e1 = train_sequence_encoder(data["real"], steps=5, seed=7)
    e2 = train_sequence_encoder(data["real"], steps=5, seed=7)
    assert a == b and p == q
    assert all(torch.equal(x, y) for x, y in zip(e1.state_dict().values(), e2.state_dict().values()))
    assert torch.equal(state, torch.get_rng_state())                          # the caller's random state is kept


@pytest.mark.parametrize("call, argument", [
    (lambda r, f: discriminative_score(r[0], f, steps=1), "real"),                     # (T, C): no sample axis
    (lambda r, f: discriminative_score(r, f[..., :3], steps=1), "fake"),               # channels differ
    (lambda r, f: discriminative_score(r[:9], f, steps=1), "real"),                    # too few for 80/20
    (lambda r, f: discriminative_score(r, f, steps=0), "steps"),
    (lambda r, f: predictive_score(r, f[:, :1], steps=1), "fake"),                     # one step: nothing to predict
    (lambda r, f: predictive_score(r, f, lengths_real=torch.ones(N, dtype=torch.int64), steps=1), "lengths_real"),
    (lambda r, f: autocorrelation_distance(r, f, lengths_fake=torch.full((N,), T + 1)), "lengths_fake"),
    (lambda r, f: autocorrelation_distance(r, f, lengths_fake=torch.full((N,), 3.0)), "lengths_fake"),
    (lambda r, f: cross_correlation_distance(r.flatten(1), f), "real"),
    (lambda r, f: marginal_distance(r, f.clone().fill_(float("nan"))), "fake"),
    (lambda r, f: memorisation_report(f, r, r[..., :2]), "heldout"),
    (lambda r, f: train_sequence_encoder(r, dim=0), "dim"),
])
def test_bad_input_names_the_argument(data, call, argument):
    with pytest.raises(ConfigError, match=rf"^{argument}:"):
        call(data["real"], data["other"])


def test_classification_accuracy_learns_real_classes_and_not_shuffled_ones():
    g = torch.Generator().manual_seed(3)
    labels = torch.randint(0, 2, (600,), generator=g)
    t = torch.arange(T, dtype=torch.float32)
    frequency = torch.where(labels == 1, 0.6, 0.1)[:, None]
    phase = torch.rand(600, 1, generator=g) * 6.28
    windows = torch.sin(frequency * t + phase)[..., None] + 0.05 * torch.randn(600, T, 1, generator=g)
    train, test = slice(0, 400), slice(400, 600)
    right = classification_accuracy(windows[train], labels[train], windows[test], labels[test], 2, steps=150)
    shuffled = labels[train][torch.randperm(400, generator=g)]
    wrong = classification_accuracy(windows[train], shuffled, windows[test], labels[test], 2, steps=150)
    assert right > 0.9 and wrong < 0.7
    with pytest.raises(ConfigError, match="labels"):
        classification_accuracy(windows[train], labels[:10], windows[test], labels[test], 2, steps=5)


def test_the_conv_discriminative_score_sees_what_a_one_unit_gru_may_miss():
    """One channel: TimeGAN's GRU has a single unit; the convolutional classifier tells sines from a flat line."""
    real = sine_windows(400, 24, 1, seed=0)
    flat = torch.full((400, 24, 1), 0.3) + 0.01 * torch.randn(400, 24, 1, generator=torch.Generator().manual_seed(1))
    conv = discriminative_score(real, flat, steps=60, network="conv")     # already 0.5 (perfect) after 60 steps
    assert conv["score"] > 0.4
    # the control keeps the full 300 steps: more training is more room to find differences that are not there
    assert discriminative_score(real, sine_windows(400, 24, 1, seed=5), steps=300, network="conv")["score"] < 0.1
    with pytest.raises(ConfigError, match="network"):
        discriminative_score(real, flat, steps=3, network="lstm")
