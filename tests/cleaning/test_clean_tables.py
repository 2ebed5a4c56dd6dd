"""`duelo clean` on a table: repeated rows, impossible numbers (slipped decimal points, sign errors) and likely
typos found, nothing found in clean columns with their natural extremes; the report and the cleaned copy."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from duelo.cleaning.findings import edit_distance
from duelo.cleaning.table_faults import find_table_faults
from duelo.cli.main import main


def table(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(17, 91, rows),
        "hours": np.where(rng.random(rows) < 0.01, 1, rng.integers(20, 60, rows)),     # a few natural 1s
        "income": np.round(rng.lognormal(10, 1, rows), 2),
        "job": rng.choice(["Private", "Self-employed", "Government", "Never-worked"], rows, p=[.6, .2, .19, .01]),
        "country": rng.choice(["United-States", "Mexico", "Canada", "Laos"], rows, p=[.9, .06, .035, .005]),
    })


def test_edit_distance():
    assert edit_distance("private", "prvate", 2) == 1 and edit_distance("abc", "abc", 1) == 0
    assert edit_distance("mexico", "canada", 2) == 3                      # stopped early: more than the limit


def test_planted_faults_are_found_and_clean_columns_left_alone():
    clean = table()
    assert [f.kind for f in find_table_faults(clean).findings] == []         # natural extremes are no finding
    df = clean.copy()
    df.loc[10, "age"] = 4500                                                  # a slipped decimal point
    df.loc[20, "income"] = -df.loc[20, "income"]                              # a sign error
    df.loc[30, "job"] = "Privat"                                              # a typo
    df.loc[40] = df.loc[41]                                      # a repeated row: 40 comes first, 41 is the finding
    faults = find_table_faults(df)
    found = {f.index: f for f in faults.findings}
    assert found[10].kind == "impossible number" and "age = 4500" in found[10].reason
    assert found[20].kind == "impossible number" and "negative" in found[20].reason
    assert found[30].kind == "likely typo" and "'Private'" in found[30].reason
    assert found[41].kind == "duplicate" and found[41].related == 40
    assert set(found) == {10, 20, 30, 41}


def test_the_command_writes_a_report_and_a_cleaned_table(tmp_path, capsys):
    df = table(500)
    df.loc[3, "age"] = 9000
    path = tmp_path / "people.csv"
    df.to_csv(path, index=False)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["clean", str(path), "--out", str(tmp_path / "out")]) == 0
    assert "1 rows with an impossible number" in capsys.readouterr().out
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["counts"] == {"impossible number": 1} and report["findings"][0]["index"] == 3
    cleaned = pd.read_csv(tmp_path / "out" / "cleaned.csv")
    assert len(cleaned) == 499 and 9000 not in cleaned["age"].tolist()
    assert "age = 9000" in (tmp_path / "out" / "report.html").read_text()
    assert main(["clean", str(path), "--out", str(tmp_path / "o2"), "--keep", "outlier"]) != 0
    assert "unknown kind 'outlier' for a table" in capsys.readouterr().err


def test_rows_whose_label_the_other_columns_dispute_are_found_with_a_label_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 1500
    hours = rng.integers(10, 60, n)
    job = rng.choice(["clerk", "nurse", "pilot"], n)
    income = np.where((hours > 35) | (job == "pilot"), "high", "low")            # a rule the trees can learn
    flipped = rng.choice(n, 30, replace=False)
    income[flipped] = np.where(income[flipped] == "high", "low", "high")
    df = pd.DataFrame({"hours": hours, "job": job, "age": np.round(rng.uniform(18, 80, n), 1), "income": income})
    faults = find_table_faults(df, label="income")            # (age: no two rows alike, so none is a duplicate)
    found = {f.index for f in faults.findings if f.kind == "mislabelled"}
    assert len(found & set(flipped.tolist())) >= 27 and len(found - set(flipped.tolist())) <= 3, found
    assert "disputes" in faults.checked["labels"]
    assert not [f for f in find_table_faults(df).findings if f.kind == "mislabelled"]   # only when asked
    path = tmp_path / "people.csv"
    df.to_csv(path, index=False)
    assert main(["clean", str(path), "--label", "income", "--out", str(tmp_path / "out")]) == 0
    assert "likely mislabelled" in capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["counts"]["mislabelled"] == len(found)
    assert "but the other columns say" in report["findings"][0]["reason"]
    assert main(["clean", str(path), "--label", "wage", "--out", str(tmp_path / "bad")]) != 0
    assert "not a column" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    assert main(["clean", "mnist-5k", "--label", "income", "--out", str(tmp_path / "img")]) != 0
    assert "for tables" in capsys.readouterr().err


def test_a_label_with_a_one_row_class_or_too_few_rows_is_checked_without_crashing():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200),
                       "label": np.where(rng.random(200) < 0.5, "a", "b")})
    df.loc[7, "label"] = "rare"                                 # one row of its class
    faults = find_table_faults(df, label="label")
    assert "cross-fitted" in faults.checked["labels"]
    few = find_table_faults(df.iloc[:3].assign(label=["a", "b", "c"]), label="label")
    assert few.checked["labels"].startswith("skipped")
