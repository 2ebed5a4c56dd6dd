"""`duelo tabular fit | sample | report` end to end on small tables, and the table readers/writers."""

import json

import numpy as np
import pandas as pd
import pytest

from duelo.cli.main import main
from duelo.errors import ConfigError, DataError
from duelo.tasks.tabular.tables import read_table, write_table

FAST = ["--epochs", "2", "--batch-size", "50", "--pac", "5"]


def _table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 90, size=n), "city": rng.choice(["Oslo", "Lima", "Pune"], size=n),
                         "income": rng.gamma(2.0, 1000.0, size=n).round(2),
                         "member": rng.choice(["yes", "no"], size=n)})


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tabular")
    _table().to_csv(folder / "data.csv", index=False)
    assert main(["tabular", "fit", str(folder / "data.csv"), "--out", str(folder / "model"), *FAST]) == 0
    return folder


def test_fit_writes_a_run_folder_resumes_it_and_refuses_another_experiment(model_dir, capsys):
    run = model_dir / "model"
    assert (run / "model" / "model.json").is_file() and (run / "model" / "model.safetensors").is_file()
    assert (run / "config.json").is_file() and list((run / "checkpoints").glob("ckpt-*"))
    config = json.loads((run / "model" / "model.json").read_text())
    assert config["params"]["epochs"] == 2 and config["params"]["random_state"] == 0
    before = (run / "model" / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert main(["tabular", "fit", str(model_dir / "data.csv"), "--out", str(run), *FAST]) == 0   # same command
    assert "already reached total_kimg" in capsys.readouterr().err
    code = main(["tabular", "fit", str(model_dir / "data.csv"), "--out", str(run), *FAST, "--seed", "1"])
    assert code == 2 and "different configuration" in capsys.readouterr().err
    assert (run / "model" / "model.safetensors").read_bytes() == before


def test_fit_prints_progress(tmp_path, capsys):
    _table(200).to_parquet(tmp_path / "data.parquet")
    assert main(["tabular", "fit", str(tmp_path / "data.parquet"), "--out", str(tmp_path / "m"), *FAST,
                 "--discrete", "city,member"]) == 0
    err = capsys.readouterr().err
    assert "2.0 epochs" in err and "encoded 200 rows" in err and "column_shapes" in err


def test_sample_csv_and_parquet_with_conditions(model_dir, capsys):
    out = model_dir / "synthetic.csv"
    assert main(["tabular", "sample", str(model_dir / "model"), "-n", "120", "-o", str(out), "--seed", "3"]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["age", "city", "income", "member"] and len(df) == 120
    parquet = model_dir / "only-lima.parquet"
    assert main(["tabular", "sample", str(model_dir / "model"), "-n", "30", "-o", str(parquet),
                 "--condition", "city=Lima", "--seed", "3"]) == 0
    lima = pd.read_parquet(parquet)
    assert len(lima) == 30 and (lima["city"] == "Lima").all() and lima["age"].dtype == np.int64
    code = main(["tabular", "sample", str(model_dir / "model"), "-n", "5", "-o", str(out)])
    assert code == 2 and "--force" in capsys.readouterr().err
    code = main(["tabular", "sample", str(model_dir / "model"), "-n", "5", "-o", str(model_dir / "x.csv"),
                 "--condition", "city=Paris"])
    assert code == 2 and "'Paris' was not seen in column 'city'" in capsys.readouterr().err
    code = main(["tabular", "sample", str(model_dir / "model"), "-n", "5", "-o", str(model_dir / "y.csv"),
                 "--condition", "city"])
    assert code == 2 and "COLUMN=VALUE" in capsys.readouterr().err
    assert not (model_dir / "x.csv").exists() and not (model_dir / "y.csv").exists()


def test_report_writes_json_and_html(model_dir, capsys):
    holdout = model_dir / "holdout.csv"
    _table(300, seed=9).to_csv(holdout, index=False)
    synthetic = model_dir / "report-synthetic.csv"
    main(["tabular", "sample", str(model_dir / "model"), "-n", "400", "-o", str(synthetic), "--seed", "1"])
    capsys.readouterr()
    assert main(["tabular", "report", str(model_dir / "data.csv"), str(synthetic), "--holdout", str(holdout),
                 "--target", "member", "--out", str(model_dir / "report")]) == 0
    printed = capsys.readouterr().out
    report = json.loads((model_dir / "report" / "report.json").read_text())
    assert f"{report['scores']['column_shapes']:.3f}" in printed
    assert report["ml_efficacy"]["target"] == "member"
    assert (model_dir / "report" / "report.html").read_text().startswith("<!DOCTYPE html>")
    code = main(["tabular", "report", str(model_dir / "data.csv"), str(synthetic), "--out", str(model_dir / "report")])
    assert code == 2 and "--force" in capsys.readouterr().err


def test_bad_files_are_named(tmp_path, capsys):
    code = main(["tabular", "fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m")])
    assert code == 2 and "missing.csv: no such file" in capsys.readouterr().err
    (tmp_path / "data.xlsx").write_text("x")
    code = main(["tabular", "fit", str(tmp_path / "data.xlsx"), "--out", str(tmp_path / "m")])
    assert code == 2 and "unknown table format" in capsys.readouterr().err
    (tmp_path / "empty.csv").write_text("")
    code = main(["tabular", "fit", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "m")])
    assert code == 2 and "empty.csv: cannot read it" in capsys.readouterr().err
    (tmp_path / "nulls.csv").write_text("a,b\n1,\n2,\n")
    code = main(["tabular", "fit", str(tmp_path / "nulls.csv"), "--out", str(tmp_path / "m"), *FAST])
    assert code == 2 and "'b' is entirely null" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_table_round_trips_and_dates(tmp_path):
    df = pd.DataFrame({"when": pd.to_datetime(["2024-01-02", "2025-03-04"]), "n": [1, 2], "s": ["a", None]})
    for name in ("t.csv", "t.csv.gz", "t.parquet", "t.tsv"):
        write_table(df, tmp_path / name)
        back = read_table(tmp_path / name, dates=["when"] if "parquet" not in name else [])
        assert back["when"].tolist() == df["when"].tolist() and back["n"].tolist() == [1, 2]
        assert back["s"].iloc[0] == "a" and pd.isna(back["s"].iloc[1])
    with pytest.raises(ConfigError, match="--dates names"):
        read_table(tmp_path / "t.csv", dates=["nope"])
    with pytest.raises(DataError, match="not readable as dates"):
        read_table(tmp_path / "t.csv", dates=["s"])


def test_force_replaces_only_a_tabular_folder(tmp_path, capsys):
    _table(200).to_csv(tmp_path / "data.csv", index=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"task": "image-gan"}))
    (other / "precious.txt").write_text("keep me")
    code = main(["tabular", "fit", str(tmp_path / "data.csv"), "--out", str(other), *FAST, "--force"])
    assert code == 2 and "not a duelo tabular run" in capsys.readouterr().err
    assert (other / "precious.txt").read_text() == "keep me"
    run = tmp_path / "run"
    assert main(["tabular", "fit", str(tmp_path / "data.csv"), "--out", str(run), *FAST]) == 0
    (run / "stale.txt").write_text("from the first fit")
    assert main(["tabular", "fit", str(tmp_path / "data.csv"), "--out", str(run), *FAST, "--seed", "1", "--force"]) == 0
    assert not (run / "stale.txt").exists() and json.loads((run / "config.json").read_text())["train"]["seed"] == 1


def test_epochs_follow_the_batch_and_critic_steps_set_with_set(tmp_path):
    _table(200).to_csv(tmp_path / "data.csv", index=False)
    run = tmp_path / "run"
    assert main(["tabular", "fit", str(tmp_path / "data.csv"), "--out", str(run), *FAST,
                 "--set", "train.d_steps=2", "--set", "train.batch=100"]) == 0
    train = json.loads((run / "config.json").read_text())["train"]
    assert train["total_kimg"] == pytest.approx(2 * (200 // 100) * 100 * 2 / 1000)   # 2 epochs of 2 steps x 2 critics
    params = json.loads((run / "model" / "model.json").read_text())["params"]
    assert params["epochs"] == 2 and params["discriminator_steps"] == 2 and params["batch_size"] == 100
