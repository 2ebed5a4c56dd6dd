"""TabularGAN: scikit-learn conventions, learning, conditions, save/load, bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from duelo.errors import CheckpointError, ConfigError, DataError
from duelo.tabular import TabularGAN

SMALL = dict(embedding_dim=16, generator_dim=(64, 64), discriminator_dim=(64, 64), batch_size=100, pac=5)


def _table(n=2000, seed=0, missing=0.0):
    """'group' sets the mean of 'value' (0 or 10); 'flag' follows 'group' 90% of the time."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["low", "high"], size=n, p=[0.6, 0.4])
    value = np.where(group == "high", 10.0, 0.0) + rng.normal(size=n)
    flag = np.where(rng.random(n) < 0.9, group == "high", group == "low")
    count = rng.integers(0, 50, size=n)
    df = pd.DataFrame({"group": group, "value": value, "flag": flag, "count": count})
    if missing:
        df.loc[rng.random(n) < missing, "value"] = np.nan
    return df


@pytest.fixture(scope="module")
def fitted():
    df = _table(missing=0.3)
    return df, TabularGAN(epochs=100, random_state=0, **SMALL).fit(df, discrete_columns=["group", "flag"])


def test_estimator_conventions():
    model = TabularGAN(epochs=-3, batch_size="big")           # __init__ stores without checking
    assert model.get_params()["epochs"] == -3
    copy = clone(TabularGAN(epochs=7, pac=2))
    assert copy.get_params()["epochs"] == 7 and copy.get_params()["pac"] == 2
    with pytest.raises(ConfigError, match="batch_size must be a positive int, got 'big'"):
        model.fit(_table(50))
    with pytest.raises(ConfigError, match="epochs must be a positive int, got -3"):
        model.set_params(batch_size=100).fit(_table(50))
    with pytest.raises(ConfigError, match="multiple of pac"):
        TabularGAN(batch_size=99, pac=10).fit(_table(50))
    with pytest.raises(ConfigError, match="precision"):
        TabularGAN(precision="fp8").fit(_table(50))
    with pytest.raises(ConfigError, match="device"):
        TabularGAN(device="tpu:9").fit(_table(50))


def test_fit_returns_self_and_learned_attributes(fitted):
    df, model = fitted
    assert isinstance(model, TabularGAN)
    assert model.n_features_in_ == 4 and list(model.feature_names_in_) == list(df.columns)
    assert len(model.history_) == 100 and model.fit_seconds_ > 0
    assert [h["epoch"] for h in model.history_] == pytest.approx(list(range(1, 101)))
    assert all(np.isfinite([h["loss_d"], h["loss_g"]]).all() for h in model.history_)


def test_sample_has_the_columns_dtypes_and_ranges(fitted):
    df, model = fitted
    out = model.sample(500, random_state=1)
    assert list(out.columns) == list(df.columns) and len(out) == 500
    assert out.dtypes.tolist() == df.dtypes.tolist()
    assert set(out["group"]) <= {"low", "high"}
    assert out["count"].between(df["count"].min(), df["count"].max()).all()
    assert model.sample(0).shape == (0, 4)


def test_the_model_learns_the_dependence_between_columns(fitted):
    """Conditioned on group, 'value' must sit near that group's mean (0 or 10): fails for a model that
    ignores its conditional vector or does not learn the joint distribution."""
    _, model = fitted
    high = model.sample(400, conditions={"group": "high"}, random_state=2)
    low = model.sample(400, conditions={"group": "low"}, random_state=2)
    assert (high["group"] == "high").all() and (low["group"] == "low").all()
    assert high["value"].median() > 7 and low["value"].median() < 3
    assert (high["value"].dropna() > 5).mean() - (low["value"].dropna() > 5).mean() > 0.4
    both = model.sample(400, conditions={"group": "high", "flag": False}, random_state=3)
    assert len(both) == 400 and (both["group"] == "high").all() and (~both["flag"]).all()


def test_random_state_reproduces_fit_and_sample():
    df = _table(600)
    a = TabularGAN(epochs=2, random_state=5, **SMALL).fit(df)
    b = TabularGAN(epochs=2, random_state=5, **SMALL).fit(df)
    pd.testing.assert_frame_equal(a.sample(200, random_state=0), b.sample(200, random_state=0))
    assert not a.sample(200, random_state=0).equals(a.sample(200, random_state=1))
    c = TabularGAN(epochs=2, random_state=6, **SMALL).fit(df)
    assert not a.sample(200, random_state=0).equals(c.sample(200, random_state=0))


def test_save_load_round_trip(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["model.json", "model.safetensors"]
    config = json.loads((tmp_path / "model" / "model.json").read_text())
    assert config["params"]["epochs"] == 100 and config["format"] == "duelo.tabular.TabularGAN"
    loaded = TabularGAN.load(tmp_path / "model")
    assert loaded.get_params() == {**model.get_params(), "generator_dim": [64, 64], "discriminator_dim": [64, 64]}
    pd.testing.assert_frame_equal(loaded.sample(300, random_state=4), model.sample(300, random_state=4))
    pd.testing.assert_frame_equal(loaded.sample(50, conditions={"group": "low"}, random_state=4),
                                  model.sample(50, conditions={"group": "low"}, random_state=4))


def test_load_refuses_damaged_folders(fitted, tmp_path):
    _, model = fitted
    with pytest.raises(CheckpointError, match="model.json not found"):
        TabularGAN.load(tmp_path / "nothing")
    model.save(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        TabularGAN.load(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        TabularGAN.load(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text("{broken")
    with pytest.raises(CheckpointError, match="model.json .* is not valid JSON"):
        TabularGAN.load(tmp_path / "m")


def test_conditions_with_unknown_values_or_columns_are_refused(fitted):
    _, model = fitted
    with pytest.raises(DataError, match="'medium' was not seen in column 'group'"):
        model.sample(10, conditions={"group": "medium"})
    with pytest.raises(DataError, match="categorical columns only"):
        model.sample(10, conditions={"value": 3.0})
    with pytest.raises(DataError, match="not fitted on"):
        model.sample(10, conditions={"colour": "red"})
    with pytest.raises(ConfigError, match="n must be an int"):
        model.sample(-1)


def test_missing_values_are_generated_at_about_their_rate(fitted):
    df, model = fitted
    rate = model.sample(2000, random_state=0)["value"].isna().mean()
    assert abs(rate - df["value"].isna().mean()) < 0.1


def test_constant_and_numeric_only_tables():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300) * 3, "k": 7.0})
    out = TabularGAN(epochs=2, random_state=0, **SMALL).fit(df).sample(100, random_state=0)
    assert (out["k"] == 7.0).all() and out[["a", "b"]].notna().all().all()


@pytest.mark.parametrize("bad, message", [
    (pd.DataFrame(), "empty"),
    (pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), "entirely null"),
    (pd.DataFrame({"a": [1.0, np.inf, 2.0]}), "inf"),
    (pd.DataFrame({"a": ["x", 1, 2.5]}), "'a'"),
])
def test_bad_tables_get_clear_errors(bad, message):
    with pytest.raises(DataError, match=message):
        TabularGAN(epochs=1, **SMALL).fit(bad)


def test_ema_half_life_follows_ema_decay_and_is_capped_for_short_fits(tmp_path):
    """ema_decay is per step of batch_size rows; the run caps the half-life at a tenth of the rows seen so far
    (train.ema_rampup), so a short fit on a small table does not sample from weights near the initial ones."""
    model = TabularGAN(epochs=1, random_state=0, ema_decay=0.995, run_dir=tmp_path / "run", **SMALL).fit(_table(200))
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    steps_per_halflife = np.log(0.5) / np.log(0.995)                               # 138 steps of 100 rows
    assert config["train"]["ema_halflife_kimg"] == pytest.approx(steps_per_halflife * 0.1)
    assert config["train"]["ema_rampup"] == 0.1
    assert model.summary_["kimg"] == 0.2


def test_fp32_and_bf16_both_train():
    df = _table(400)
    for precision in ("fp32", "bf16"):
        model = TabularGAN(epochs=2, random_state=0, precision=precision, **SMALL).fit(df)
        assert np.isfinite(model.history_[-1]["loss_d"])


def test_ema_generator_is_the_average_of_the_trained_weights():
    """One step with ema_decay 0.9: the sampling generator = beta * initial + (1 - beta) * trained weights, with
    the trainer's beta for one step (its half-life capped at a tenth of the 100 rows seen), and its batch-norm
    statistics are re-estimated (not the initial zeros/ones)."""
    import torch

    from duelo.tasks.tabular.networks import ResidualGenerator
    from duelo.training.ema import ema_beta
    df = _table(100)
    params = dict(SMALL, epochs=1, random_state=3)
    plain = TabularGAN(ema_decay=0, **params).fit(df)          # one step (100 rows, batch 100)
    averaged = TabularGAN(ema_decay=0.9, **params).fit(df)
    torch.manual_seed(3)
    data_dim = plain.transformer_.output_dim_
    initial = ResidualGenerator(16 + plain.sampler_.cond_dim, (64, 64), data_dim).state_dict()
    trained, ema = plain.generator_.state_dict(), averaged.generator_.state_dict()
    halflife_kimg = np.log(0.5) / np.log(0.9) * 0.1
    beta = ema_beta(100, 100, halflife_kimg, rampup=0.1)
    assert 0 < beta < 0.01
    for name, value in initial.items():
        if name.endswith(("weight", "bias")):
            torch.testing.assert_close(ema[name], beta * value + (1 - beta) * trained[name])
    assert not torch.equal(ema["blocks.0.bn.running_mean"], initial["blocks.0.bn.running_mean"])
    assert averaged.generator_.training is False


def test_unseeded_calls_are_fresh_and_the_global_rng_is_left_alone(fitted):
    import torch
    _, model = fitted
    state = torch.get_rng_state()
    assert not model.sample(50).equals(model.sample(50))
    pd.testing.assert_frame_equal(model.sample(50, random_state=7), model.sample(50, random_state=7))
    assert torch.equal(torch.get_rng_state(), state)
    a = TabularGAN(epochs=1, **SMALL).fit(_table(200))
    b = TabularGAN(epochs=1, **SMALL).fit(_table(200))
    assert not torch.equal(a.generator_.out.weight, b.generator_.out.weight)


def test_numpy_hyper_parameters_save_and_tiny_batches_are_refused(tmp_path):
    model = TabularGAN(epochs=np.int64(1), random_state=np.int64(2), **SMALL).fit(_table(200))
    model.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "model.json").read_text())["params"]["random_state"] == 2
    with pytest.raises(ConfigError, match="batch_size must be at least 2"):
        TabularGAN(batch_size=1, pac=1).fit(_table(50))


def test_auto_precision_is_bf16_only_on_cpus_with_native_bf16():
    import torch

    from duelo.tasks.tabular.objective import auto_precision
    assert auto_precision(torch.device("cuda")) == "fp32"        # launch-bound there: fp32 measured faster
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert auto_precision(torch.device("cpu")) == ("bf16" if native else "fp32")
