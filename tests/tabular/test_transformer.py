"""TabularTransformer: round trips, spans, kind inference, rare levels, persistence and bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from duelo.errors import ConfigError, DataError
from duelo.tabular import CategoricalSpec, NumericSpec, TabularTransformer

N_ROWS = 2000


def mixed_frame(n: int = N_ROWS, seed: int = 1) -> pd.DataFrame:
    """One column of every kind, some with missing values; no rare levels at the default 1%."""
    rng = np.random.default_rng(seed)
    with_gaps = rng.random(n) < 0.1
    return pd.DataFrame({
        "bimodal": np.concatenate([rng.normal(0, 1, n // 2), rng.normal(10, 2, n - n // 2)]),
        "count": rng.integers(0, 1000, n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "flag": rng.random(n) < 0.5,
        "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s"),
        "gappy": np.where(with_gaps, np.nan, rng.normal(5, 1, n)),
        "gappy_text": pd.Series(np.where(with_gaps[::-1], None, rng.choice(["x", "y"], n)), dtype=object),
        "few_ints": rng.integers(0, 3, n),
        "category": pd.Categorical(rng.choice(["p", "q"], n), categories=["p", "q", "r"]),
        "when_tz": pd.date_range("2020-01-01", periods=n, freq="h", tz="Europe/Paris"),
        "nullable_int": pd.array(np.where(with_gaps, None, rng.integers(0, 500, n)), dtype="Int64"),
        "whole_floats": np.where(with_gaps, np.nan, rng.integers(0, 300, n).astype(float)),
    })


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return mixed_frame()


@pytest.fixture(scope="module")
def fitted(frame) -> TabularTransformer:
    return TabularTransformer().fit(frame)


def spec_of(transformer: TabularTransformer, name: str):
    return next(spec for spec in transformer.column_specs_ if spec.name == name)


# -- round trip ------------------------------------------------------------------------------------------

def test_round_trip_restores_columns_dtypes_and_values(frame, fitted):
    back = fitted.inverse_transform(fitted.transform(frame))
    assert list(back.columns) == list(frame.columns)
    assert back.dtypes.tolist() == frame.dtypes.tolist()
    for name in ["colour", "flag", "gappy_text", "few_ints", "category"]:         # categorical: exact
        pd.testing.assert_series_equal(back[name], frame[name])
    for name in ["bimodal", "count", "gappy", "nullable_int", "whole_floats"]:   # numeric: 1% of range
        original, restored = frame[name].astype(float), back[name].astype(float)
        tolerance = 0.01 * (original.max() - original.min())
        assert np.nanmax(np.abs(original - restored)) <= tolerance, name


def test_integers_come_back_as_integers(frame, fitted):
    back = fitted.inverse_transform(fitted.transform(frame))
    assert back["count"].dtype == np.int64
    assert back["nullable_int"].dtype == "Int64"
    whole = back["whole_floats"].dropna()
    assert np.array_equal(whole, np.round(whole))
    assert not np.array_equal(back["gappy"].dropna(), np.round(back["gappy"].dropna()))   # floats stay floats


def test_datetimes_come_back_within_a_second(frame, fitted):
    back = fitted.inverse_transform(fitted.transform(frame))
    for name in ["when", "when_tz"]:
        assert back[name].dtype == frame[name].dtype
        assert (back[name] - frame[name]).abs().max() <= pd.Timedelta(seconds=1), name


def test_missing_positions_are_restored_exactly(frame, fitted):
    back = fitted.inverse_transform(fitted.transform(frame))
    for name in ["gappy", "gappy_text", "nullable_int", "whole_floats"]:
        assert frame[name].isna().any()
        np.testing.assert_array_equal(back[name].isna().to_numpy(), frame[name].isna().to_numpy(), name)
    assert spec_of(fitted, "gappy").output_info[-1] == (2, "softmax")
    assert not spec_of(fitted, "bimodal").has_missing


def test_outputs_are_clipped_to_observed_bounds(frame, fitted):
    matrix = fitted.transform(frame)
    first = 0                                                     # alpha of the first column: push to +-1
    matrix[:, first] = np.where(np.arange(len(matrix)) % 2 == 0, 1.0, -1.0)
    back = fitted.inverse_transform(matrix)
    assert back["bimodal"].min() >= frame["bimodal"].min()
    assert back["bimodal"].max() <= frame["bimodal"].max()


# -- spans -----------------------------------------------------------------------------------------------

def test_output_info_widths_sum_to_width_and_softmax_spans_are_one_hot(frame, fitted):
    matrix = fitted.transform(frame)
    assert matrix.dtype == np.float32
    assert matrix.shape == (len(frame), fitted.output_dim_)
    assert sum(width for width, _ in fitted.output_info_) == matrix.shape[1]
    start = 0
    for width, activation in fitted.output_info_:
        span = matrix[:, start:start + width]
        if activation == "softmax":
            assert set(np.unique(span)) <= {0.0, 1.0}
            np.testing.assert_array_equal(span.sum(axis=1), 1.0)
        else:
            assert activation == "tanh" and width == 1
            assert np.abs(span).max() <= 0.99 + 1e-6
        start += width


def test_modes_are_found_and_sampled_reproducibly(frame, fitted):
    spec = spec_of(fitted, "bimodal")
    assert 2 <= len(spec.means) <= 10
    assert all(weight > 0.005 for weight in spec.weights)
    assert abs(sum(spec.weights) - 1) < 1e-9
    np.testing.assert_array_equal(fitted.transform(frame), fitted.transform(frame))


def test_transform_accepts_reordered_columns(frame, fitted):
    shuffled = frame[list(frame.columns)[::-1]]
    np.testing.assert_array_equal(fitted.transform(shuffled), fitted.transform(frame))


# -- inference -------------------------------------------------------------------------------------------

def test_column_kinds_are_inferred_from_a_mixed_frame(fitted):
    kinds = {spec.name: spec.kind if isinstance(spec, NumericSpec) else "categorical"
             for spec in fitted.column_specs_}
    assert kinds == {"bimodal": "continuous", "count": "integer", "colour": "categorical",
                     "flag": "categorical", "when": "datetime", "gappy": "continuous",
                     "gappy_text": "categorical", "few_ints": "categorical", "category": "categorical",
                     "when_tz": "datetime", "nullable_int": "integer", "whole_floats": "integer"}


def test_discrete_columns_override_inference(frame):
    transformer = TabularTransformer(discrete_columns=["count"]).fit(frame[["count", "few_ints"]])
    count, few_ints = transformer.column_specs_
    assert isinstance(count, CategoricalSpec)
    assert isinstance(few_ints, NumericSpec) and few_ints.kind == "integer"   # no heuristic when declared


def test_constant_columns_are_one_mode_or_one_level():
    df = pd.DataFrame({"number": [3.5] * 50, "word": ["same"] * 50})
    transformer = TabularTransformer().fit(df)
    assert transformer.output_info_ == [(1, "tanh"), (1, "softmax"), (1, "softmax")]
    pd.testing.assert_frame_equal(transformer.inverse_transform(transformer.transform(df)), df)


# -- rare levels -----------------------------------------------------------------------------------------

def test_rare_levels_share_one_slot_and_decode_to_merged_levels():
    common = ["a"] * 600 + ["b"] * 380
    rare = ["r1"] * 12 + ["r2"] * 6 + ["r3"] * 2                            # each < 2% of 1000 rows
    df = pd.DataFrame({"level": common + rare})
    transformer = TabularTransformer(rare_fraction=0.02).fit(df)
    spec = transformer.column_specs_[0]
    assert spec.levels == ["a", "b"] and spec.rare_levels == ["r1", "r2", "r3"]
    np.testing.assert_allclose(spec.rare_weights, [0.6, 0.3, 0.1])
    assert transformer.output_info_ == [(3, "softmax")]
    matrix = transformer.transform(df)
    np.testing.assert_array_equal(matrix[980:, 2], 1.0)
    all_rare = np.tile(np.array([[0.0, 0.0, 1.0]], dtype=np.float32), (5000, 1))
    drawn = transformer.inverse_transform(all_rare)["level"].value_counts(normalize=True)
    assert set(drawn.index) == {"r1", "r2", "r3"}
    assert abs(drawn["r1"] - 0.6) < 0.03 and abs(drawn["r3"] - 0.1) < 0.03
    back = transformer.inverse_transform(matrix)
    assert (back["level"][:980] == df["level"][:980]).all()


# -- persistence -----------------------------------------------------------------------------------------

def test_to_dict_is_json_and_from_dict_gives_identical_transform(frame, fitted):
    text = json.dumps(fitted.to_dict())
    restored = TabularTransformer.from_dict(json.loads(text))
    np.testing.assert_array_equal(restored.transform(frame), fitted.transform(frame))
    assert restored.output_info_ == fitted.output_info_
    matrix = fitted.transform(frame)
    pd.testing.assert_frame_equal(restored.inverse_transform(matrix), fitted.inverse_transform(matrix))


def test_from_dict_refuses_foreign_data():
    with pytest.raises(ConfigError, match="format"):
        TabularTransformer.from_dict({"format": "something else"})


# -- bad input -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("df, match", [
    (pd.DataFrame(), "empty"),
    (pd.DataFrame({"a": []}), "empty"),
    (pd.DataFrame({"ok": [1.0, 2.0], "hole": [np.nan, np.nan]}), "'hole' is entirely null"),
    (pd.DataFrame({"big": [1.0, np.inf, 2.0]}), "'big' contains inf"),
    (pd.DataFrame({"mix": pd.Series([1, "two", 3.0], dtype=object)}), "'mix' has object dtype with mixed"),
    (pd.DataFrame({"nums": pd.Series([1, 2, 3], dtype=object)}), "'nums' has object dtype but holds only"),
    (pd.DataFrame({"span": pd.to_timedelta([1, 2], unit="s")}), "'span' has dtype"),
])
def test_bad_frames_raise_data_errors_naming_the_problem(df, match):
    with pytest.raises(DataError, match=match):
        TabularTransformer().fit(df)


def test_mixed_object_column_is_accepted_when_declared_discrete():
    df = pd.DataFrame({"mix": pd.Series([1, "two", 1, "two"], dtype=object)})
    transformer = TabularTransformer(discrete_columns=["mix"]).fit(df)
    pd.testing.assert_frame_equal(transformer.inverse_transform(transformer.transform(df)), df)


@pytest.mark.parametrize("params, match", [
    ({"discrete_columns": ["nope"]}, "'nope'"),
    ({"discrete_columns": "colour"}, "list of column names"),
    ({"max_modes": 0}, "max_modes"),
    ({"rare_fraction": 1.5}, "rare_fraction"),
])
def test_bad_parameters_raise_config_errors(frame, params, match):
    with pytest.raises(ConfigError, match=match):
        TabularTransformer(**params).fit(frame)


def test_transform_refuses_frames_unlike_the_fitted_one(frame, fitted):
    with pytest.raises(DataError, match="missing \\['colour'\\]"):
        fitted.transform(frame.drop(columns="colour"))
    with pytest.raises(DataError, match="unexpected \\['extra'\\]"):
        fitted.transform(frame.assign(extra=1.0))
    with pytest.raises(DataError, match="'colour' has 1 values not seen"):
        fitted.transform(frame.assign(colour=["purple"] + frame["colour"].tolist()[1:]))
    with pytest.raises(DataError, match="'bimodal' has missing values"):
        fitted.transform(frame.assign(bimodal=[np.nan] + frame["bimodal"].tolist()[1:]))
    with pytest.raises(DataError, match="'bimodal' contains inf"):
        fitted.transform(frame.assign(bimodal=[np.inf] + frame["bimodal"].tolist()[1:]))


def test_inverse_transform_refuses_wrong_width_and_non_finite(frame, fitted):
    matrix = fitted.transform(frame)
    with pytest.raises(DataError, match=f"\\(N, {fitted.output_dim_}\\)"):
        fitted.inverse_transform(matrix[:, :-1])
    matrix[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN or inf"):
        fitted.inverse_transform(matrix)


def test_values_held_by_many_rows_get_exact_modes():
    """A zero-inflated column (like capital gains) and a column with a popular value decode exactly, even
    when the generator's alpha is off: a Gaussian mode would spread 0 over nearby values."""
    rng = np.random.default_rng(0)
    gains = np.where(rng.random(4000) < 0.9, 0.0, rng.lognormal(8, 1, 4000))
    hours = np.where(rng.random(4000) < 0.4, 40.0, rng.normal(40, 12, 4000).round())
    df = pd.DataFrame({"gains": gains, "hours": hours})
    transformer = TabularTransformer(random_state=0).fit(df)
    gains_spec, hours_spec = transformer.column_specs_
    assert gains_spec.means[0] == 0.0 and gains_spec.stds[0] == 0.0 and abs(gains_spec.weights[0] - 0.9) < 0.02
    assert hours_spec.means[0] == 40.0 and hours_spec.stds[0] == 0.0
    assert all(std > 0 for std in gains_spec.stds[1:])
    matrix = transformer.transform(df)
    k = len(gains_spec.means)
    on_zero = matrix[:, 1] == 1.0                               # the spike mode's one-hot slot
    np.testing.assert_array_equal(on_zero, gains == 0.0)        # zeros, and only zeros, take the spike mode
    matrix[:, 0] = rng.uniform(-1, 1, len(df))                  # any alpha
    back = transformer.inverse_transform(matrix)
    assert (back["gains"][gains == 0.0] == 0.0).all()
    assert (back["hours"][hours == 40.0] == 40.0).all()
    assert matrix[:, 1:1 + k].sum(axis=1).max() == 1.0


def test_exact_modes_are_the_most_frequent_values_and_need_enough_rows():
    rng = np.random.default_rng(0)
    values = np.concatenate([np.full(60, 1.0), np.full(60, 2.0), np.full(500, 3.0), rng.normal(50, 5, 380)])
    spec = TabularTransformer(max_modes=3, random_state=0).fit(pd.DataFrame({"v": values})).column_specs_[0]
    assert spec.means[0] == 3.0 and spec.stds[0] == 0.0           # the dominant value, not the smallest
    assert spec.means[1] == 1.0 and spec.stds[1] == 0.0 and spec.stds[2] > 0
    small = pd.DataFrame({"v": rng.normal(size=15).round(1)})     # 15 rows: no value is frequent enough
    spec = TabularTransformer(random_state=0).fit(small).column_specs_[0]
    assert all(std > 0 for std in spec.stds)


def test_new_values_go_to_the_nearest_exact_mode():
    df = pd.DataFrame({"v": np.repeat([0.0, 0.1, 0.2], 100)})
    transformer = TabularTransformer(random_state=0).fit(df)
    assert transformer.column_specs_[0].stds == [0.0, 0.0, 0.0]
    back = transformer.inverse_transform(transformer.transform(pd.DataFrame({"v": [0.11] * 200 + [0.19] * 5})))
    assert (back["v"][:200] == 0.1).all() and (back["v"][200:] == 0.2).all()
