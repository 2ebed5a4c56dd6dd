"""The tabular synthetic-data report: scores on tables whose relation to the real one is known by design."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from duelo.errors import ConfigError, DataError
from duelo.tasks.tabular.report import quality_report, write_report

N_ROWS = 1500


def draw(n: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """Correlated Gaussians, an integer count and categories derived from them; the label depends on x1."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 0.9 * x1 + np.sqrt(1 - 0.81) * rng.normal(size=n)
    x3 = -0.7 * x1 + np.sqrt(1 - 0.49) * rng.normal(size=n)
    noisy_x2 = x2 + 0.3 * rng.normal(size=n)
    band = np.array(["low", "mid", "high"], dtype=object)[np.digitize(noisy_x2, [-0.5, 0.5])]
    count = rng.poisson(np.exp(1 + 0.5 * x3)).astype(int)
    label = np.where(x1 + 0.3 * rng.normal(size=n) > 0.2, "yes", "no").astype(object)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "band": band, "count": count, "label": label})


def shuffled_columns(frame: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """Each column permuted on its own: marginals kept exactly, relationships broken."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: frame[name].to_numpy()[rng.permutation(len(frame))] for name in frame.columns})


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return draw(seed=0)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return draw(N_ROWS // 2, seed=1)


@pytest.fixture(scope="module")
def copy_report(real, holdout) -> dict:
    return quality_report(real, real.copy(), holdout=holdout)


@pytest.fixture(scope="module")
def fresh_report(real, holdout) -> dict:
    return quality_report(real, draw(seed=2), holdout=holdout)


def column_entry(report: dict, name: str) -> dict:
    return next(entry for entry in report["columns"] if entry["name"] == name)


# -- column shapes and pair trends ------------------------------------------------------------------------

def test_identical_copy_scores_one_everywhere(copy_report):
    scores = copy_report["scores"]
    assert scores["column_shapes"] == pytest.approx(1.0)
    assert scores["column_pair_trends"] == pytest.approx(1.0)
    assert all(entry["score"] == pytest.approx(1.0) for entry in copy_report["columns"])
    kinds = {entry["name"]: (entry["kind"], entry["metric"]) for entry in copy_report["columns"]}
    assert kinds["x1"] == ("numeric", "KS") and kinds["band"] == ("categorical", "TV")
    assert len(copy_report["pairs"]) == 6 * 5 // 2


def test_fresh_sample_scores_high_but_not_perfect(fresh_report):
    scores = fresh_report["scores"]
    assert 0.9 < scores["column_shapes"] < 1.0
    assert 0.9 < scores["column_pair_trends"] < 1.0


def test_shuffled_columns_keep_shapes_but_lose_pair_trends(real, copy_report):
    report = quality_report(real, shuffled_columns(real))
    assert report["scores"]["column_shapes"] == pytest.approx(1.0)      # marginals are exactly the real ones
    assert report["scores"]["column_pair_trends"] < copy_report["scores"]["column_pair_trends"] - 0.15
    strong = next(pair for pair in report["pairs"] if pair["columns"] == ["x1", "x2"])
    assert strong["metric"] == "correlation"
    assert strong["real"] == pytest.approx(np.corrcoef(real["x1"], real["x2"])[0, 1])
    assert abs(strong["synthetic"]) < 0.1                               # shuffling removed the correlation
    assert strong["score"] == pytest.approx(1 - abs(strong["real"] - strong["synthetic"]) / 2)


def test_shifted_column_is_the_worst_column(real):
    synthetic = real.copy()
    synthetic["x3"] = synthetic["x3"] + 1.0                             # one standard deviation
    report = quality_report(real, synthetic)
    worst = min(report["columns"], key=lambda entry: entry["score"])
    assert worst["name"] == "x3" and worst["score"] < 0.75
    others = [entry["score"] for entry in report["columns"] if entry["name"] != "x3"]
    assert min(others) == pytest.approx(1.0)


def test_categorical_shape_is_one_minus_total_variation(real):
    synthetic = real.copy()
    flip = synthetic.index[synthetic["band"] == "low"][:150]             # 150 "low" rows become a new level
    synthetic.loc[flip, "band"] = "unseen"
    entry = column_entry(quality_report(real, synthetic), "band")
    assert entry["score"] == pytest.approx(1 - 150 / len(real))
    assert entry["unseen_level_share"] == pytest.approx(150 / len(real))


def test_numeric_missing_rate_gap_lowers_the_score(real):
    synthetic = real.copy()
    gaps = np.random.default_rng(3).random(len(real)) < 0.3
    synthetic.loc[gaps, "x2"] = np.nan
    entry = column_entry(quality_report(real, synthetic), "x2")
    assert entry["missing_real"] == 0 and entry["missing_synthetic"] == pytest.approx(gaps.mean())
    assert entry["score"] == pytest.approx((1 - entry["statistic"]) * (1 - gaps.mean()))
    assert entry["score"] < 0.75


def test_kinds_match_and_values_compare_across_storage_types(real):
    real = real.assign(small=np.arange(len(real)) % 3,                 # few distinct ints: categorical
                       when=pd.Timestamp("2022-01-01") + pd.to_timedelta(real["count"], unit="D"))
    synthetic = real.assign(small=real["small"].astype(float))          # 0.0 / 1.0 / 2.0 are the same levels
    report = quality_report(real, synthetic)
    assert report["meta"]["kinds"]["small"] == "categorical"
    assert report["meta"]["kinds"]["when"] == "datetime"
    assert column_entry(report, "small")["score"] == pytest.approx(1.0)
    assert column_entry(report, "when")["score"] == pytest.approx(1.0)
    assert report["scores"]["privacy"]["exact_copy_fraction"] == 1.0


def test_discrete_columns_override_the_kind(real):
    report = quality_report(real, real, discrete_columns=["count"])
    assert column_entry(report, "count")["kind"] == "categorical"


def test_wide_tables_sample_columns_for_pairs():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(200, 55)), columns=[f"c{i}" for i in range(55)])
    report = quality_report(wide, wide.sample(frac=1, random_state=0), max_rows=100)
    assert len(report["pairs"]) == 50 * 49 // 2
    assert any("50 of the 55 columns" in note for note in report["meta"]["subsampling"])
    assert any("100 of the 200 real rows" in note for note in report["meta"]["subsampling"])


# -- ML efficacy ------------------------------------------------------------------------------------------

def test_efficacy_of_a_copy_is_near_one_and_shuffled_target_is_lower(real, holdout, copy_report):
    ml = copy_report["ml_efficacy"]
    assert ml["target"] == "label" and ml["target_chosen"] == "last column" and ml["task"] == "classification"
    assert copy_report["scores"]["ml_efficacy"] == pytest.approx(1.0, abs=0.02)
    assert ml["trtr"]["macro_f1"] > 0.8 and ml["test_rows"] == len(holdout)
    synthetic = real.copy()
    synthetic["label"] = np.random.default_rng(4).permutation(synthetic["label"].to_numpy())
    shuffled = quality_report(real, synthetic, holdout=holdout)
    assert shuffled["scores"]["ml_efficacy"] < copy_report["scores"]["ml_efficacy"] - 0.25
    assert shuffled["ml_efficacy"]["tstr"]["roc_auc"] < 0.65


def test_efficacy_without_holdout_splits_the_real_table(real):
    report = quality_report(real, real.copy(), target="label")
    ml = report["ml_efficacy"]
    assert ml["target_chosen"] == "given"
    assert ml["test_rows"] == round(0.2 * len(real)) and ml["train_rows_real"] == len(real) - ml["test_rows"]
    assert "may have" in ml["note"]
    assert report["scores"]["ml_efficacy"] == pytest.approx(1.0, abs=0.15)


def test_efficacy_caps_training_rows_and_says_so(real):
    report = quality_report(real, draw(seed=4), max_rows=500)
    ml = report["ml_efficacy"]
    assert ml["train_rows_synthetic"] == 500 and ml["train_rows_real"] == 500 and ml["test_rows"] == 300
    notes = report["meta"]["subsampling"]
    assert any("synthetic training rows capped at a seeded sample of 500 of 1500" in note for note in notes)
    assert not any("test rows capped" in note for note in notes)


def test_efficacy_regression_target(real, holdout):
    report = quality_report(real, real.copy(), holdout=holdout, target="x1")
    ml = report["ml_efficacy"]
    assert ml["task"] == "regression" and ml["metric"] == "r2"
    assert ml["trtr"]["r2"] > 0.5
    assert report["scores"]["ml_efficacy"] == pytest.approx(1.0, abs=0.02)
    noise = real.assign(x1=np.random.default_rng(6).permutation(real["x1"].to_numpy()))
    assert quality_report(real, noise, holdout=holdout, target="x1")["scores"]["ml_efficacy"] < 0.5


def test_unknown_target_raises_naming_it(real):
    with pytest.raises(DataError, match="'salary'"):
        quality_report(real, real, target="salary")


def test_single_class_target_gives_none_with_a_reason(real):
    constant = real.assign(label="yes")
    report = quality_report(constant, constant)
    assert report["scores"]["ml_efficacy"] is None
    assert "single class" in report["ml_efficacy"]["reason"]


# -- privacy ----------------------------------------------------------------------------------------------

def test_copies_are_flagged(copy_report, fresh_report):
    privacy = copy_report["scores"]["privacy"]
    assert privacy["exact_copy_fraction"] == 1.0 and privacy["exact_copies"] == N_ROWS
    assert privacy["dcr_synthetic_median"] == 0.0 and privacy["dcr_synthetic_p5"] == 0.0
    assert privacy["dcr_p5_ratio"] == 0.0
    # the training reference is subsampled to the holdout's size, so about half the copies find themselves
    assert privacy["closer_to_training_share"] > 0.7
    assert privacy["closer_to_training_share"] > fresh_report["scores"]["privacy"]["closer_to_training_share"]


def test_fresh_draws_look_like_holdout_rows(fresh_report):
    privacy = fresh_report["scores"]["privacy"]
    assert privacy["exact_copy_fraction"] < 0.01
    assert privacy["closer_to_training_share"] == pytest.approx(0.5, abs=0.06)
    assert privacy["dcr_p5_ratio"] == pytest.approx(1.0, abs=0.3)
    assert privacy["dcr_synthetic_median"] > 0


def test_exact_copies_count_whole_rows_with_missing_values(real):
    gappy = real.copy()
    gappy.loc[gappy.index[::7], "x2"] = np.nan
    gappy.loc[gappy.index[::5], "band"] = None
    synthetic = gappy.copy()
    synthetic.loc[synthetic.index[:100], "x3"] += 1e-3                   # 100 rows no longer copies
    privacy = quality_report(gappy, synthetic, holdout=gappy.iloc[:300])["scores"]["privacy"]
    assert privacy["exact_copies"] == len(real) - 100
    assert privacy["holdout_exact_copy_fraction"] == 1.0


def test_no_holdout_leaves_baselines_empty(real):
    privacy = quality_report(real, draw(seed=9))["privacy"]
    assert privacy["dcr_holdout"] is None and privacy["closer_to_training_share"] is None
    assert "no holdout" in privacy["note"]


# -- JSON and HTML ----------------------------------------------------------------------------------------

def messy_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Missing values, an all-null column, odd names; the synthetic table has an unseen level."""
    real = draw(400, seed=7)
    real.loc[real.index[::9], "x1"] = np.nan
    real.loc[real.index[::4], "band"] = None
    real["empty"] = np.nan
    real = real.rename(columns={"band": "<b>band & co</b>"})
    synthetic = draw(300, seed=8).rename(columns={"band": "<b>band & co</b>"})
    synthetic["empty"] = np.where(np.arange(300) % 2 == 0, np.nan, 1.0)
    synthetic.loc[synthetic.index[:20], "<b>band & co</b>"] = "never seen"
    return real, synthetic[list(synthetic.columns)[::-1]]                 # columns in another order


def test_report_is_strict_json_and_documents_itself():
    real, synthetic = messy_pair()
    report = quality_report(real, synthetic, holdout=real.iloc[:100])
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    empty = column_entry(report, "empty")
    assert empty["score"] == pytest.approx(0.5)                          # only the missing rates compare
    assert any("'empty'" in note for note in report["meta"]["notes"])
    meta = report["meta"]
    assert meta["rows"] == {"real": 400, "synthetic": 300, "holdout": 100}
    assert meta["columns"] == [str(name) for name in real.columns] and meta["random_state"] == 0
    assert set(meta["seconds"]) >= {"column_shapes", "column_pair_trends", "ml_efficacy", "privacy", "total"}
    for score in (report["scores"]["column_shapes"], report["scores"]["column_pair_trends"]):
        assert 0 <= score <= 1


def test_same_seed_same_report(real):
    synthetic = draw(seed=3)
    first, second = (quality_report(real, synthetic, random_state=1, max_rows=600) for _ in range(2))
    for report in (first, second):
        report["meta"].pop("seconds")
    assert first == second


def test_write_report_with_frames_has_inline_plots(tmp_path):
    real, synthetic = messy_pair()
    report = quality_report(real, synthetic, holdout=real.iloc[:100])
    json_path, html_path = write_report(report, tmp_path / "deep" / "out", real=real, synthetic=synthetic)
    assert json_path == tmp_path / "deep" / "out" / "report.json" and html_path.name == "report.html"
    assert json.loads(json_path.read_text()) == report
    page = html_path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "http://" not in page and "https://" not in page
    for name in ("column_shapes", "column_pair_trends", "ml_efficacy", "privacy"):
        assert name in page
    assert page.count('<img src="data:image/png;base64,') >= 4         # worst columns, heat map, DCR
    assert "<b>band & co</b>" not in page and "&lt;b&gt;band &amp; co&lt;/b&gt;" in page


def test_write_report_without_frames_has_tables_only_for_columns(tmp_path, fresh_report):
    _, html_path = write_report(fresh_report, str(tmp_path))
    page = html_path.read_text()
    assert "Pass the real and synthetic frames" in page
    assert page.count("<img") == 2                                       # heat map and DCR histogram only
    write_report(fresh_report, tmp_path)                                 # overwriting is fine


# -- bad input --------------------------------------------------------------------------------------------

def test_bad_frames_are_refused(real):
    with pytest.raises(DataError, match="real table must be a pandas DataFrame"):
        quality_report(real.to_numpy(), real)
    with pytest.raises(DataError, match="synthetic table is empty"):
        quality_report(real, real.iloc[:0])
    with pytest.raises(DataError, match="holdout table is empty"):
        quality_report(real, real, holdout=pd.DataFrame())
    with pytest.raises(DataError, match=r"missing \['label'\], extra \['other'\]"):
        quality_report(real, real.rename(columns={"label": "other"}))
    with pytest.raises(DataError, match="holdout table's columns"):
        quality_report(real, real, holdout=real.drop(columns="x1"))
    with pytest.raises(DataError, match="duplicate column names"):
        quality_report(pd.concat([real, real["x1"]], axis=1), real)


def test_kind_disagreement_names_the_column(real):
    synthetic = real.assign(x2=np.where(np.arange(len(real)) < 5, "oops", real["x2"].astype(str)))
    with pytest.raises(DataError, match="'x2'.*oops"):
        quality_report(real, synthetic)
    numeric_text = real.assign(x2=real["x2"].astype(str))               # numbers stored as text are fine
    assert column_entry(quality_report(real, numeric_text), "x2")["score"] == pytest.approx(1.0)
    with pytest.raises(DataError, match="'x3'.*inf"):
        quality_report(real, real.assign(x3=np.inf))


def test_bad_options_are_refused(real):
    with pytest.raises(ConfigError, match="max_rows"):
        quality_report(real, real, max_rows=0)
    with pytest.raises(ConfigError, match="random_state"):
        quality_report(real, real, random_state="seed")
    with pytest.raises(ConfigError, match=r"\['band'\]"):
        quality_report(real, real, discrete_columns="band")
    with pytest.raises(ConfigError, match="'nope'"):
        quality_report(real, real, discrete_columns=["nope"])
    with pytest.raises(DataError, match="quality_report"):
        write_report({"not": "a report"}, Path("unused"))
