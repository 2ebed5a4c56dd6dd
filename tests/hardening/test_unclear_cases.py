"""Cases that used to be unclear or silent: each now ends in a message that names the problem, or is handled."""

from __future__ import annotations

import json
import shutil

import pytest

from duelo.cli.main import main
from duelo.errors import DueloError


def test_a_semicolon_csv_is_read_as_columns(tmp_path):
    from duelo.tasks.tabular.tables import read_table

    path = tmp_path / "eu.csv"
    path.write_text("age;city\n31;Lyon\n45;Gent\n")
    assert list(read_table(path).columns) == ["age", "city"]


def test_dates_on_a_number_column_are_refused(tmp_path):
    from duelo.tasks.tabular.tables import read_table

    path = tmp_path / "t.csv"
    path.write_text("n,d\n1,2024-01-01\n2,2024-02-01\n")
    assert str(read_table(path, ["d"])["d"].dtype).startswith("datetime64")
    with pytest.raises(DueloError, match="holds numbers"):
        read_table(path, ["n"])


def test_a_resolution_that_cannot_fit_in_memory_is_refused_at_once():
    from duelo.data import load_dataset

    with pytest.raises(DueloError, match="GiB of memory"):
        load_dataset("digits", resolution=1_000_000)


@pytest.fixture(scope="module")
def tabular_model(tmp_path_factory):
    import pandas as pd

    from duelo.tabular import TabularGAN

    frame = pd.DataFrame({"x": [float(i % 7) for i in range(60)], "c": list("abc") * 20})
    folder = tmp_path_factory.mktemp("tab") / "model"
    TabularGAN(epochs=1, batch_size=20, pac=2, random_state=0).fit(frame).save(folder)
    return folder


def _edit_first_numeric(config, **values):
    for column in config["transformer"]["columns"]:
        if column["type"] == "numeric":
            column.update(values)
            return config
    raise AssertionError("no numeric column")


@pytest.mark.parametrize("edit", [
    lambda c: _edit_first_numeric(c, means=[float("nan")] * len(_edit_first_numeric(c)["transformer"]["columns"][0]
                                                                   ["means"])),
    lambda c: _edit_first_numeric(c, stds=[-1.0] * len(_edit_first_numeric(c)["transformer"]["columns"][0]["stds"])),
    lambda c: {**c, "data_dim": 10**12},
    lambda c: {**c, "data_dim": c["data_dim"] + 1},
    lambda c: {**c, "transformer": {**c["transformer"], "columns": [
        {**col, "levels": [], "rare_levels": []} if col["type"] == "categorical" else col
        for col in c["transformer"]["columns"]]}},
    lambda c: {**c, "condition": {**c["condition"], "counts": [[-1]]}},
])
def test_a_damaged_tabular_model_is_refused(tabular_model, tmp_path, capsys, edit):
    folder = tmp_path / "model"
    shutil.copytree(tabular_model, folder)
    config = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps(edit(config)).replace("NaN", "NaN"))
    assert main(["tabular", "sample", str(folder), "-n", "5", "-o", str(tmp_path / "rows.csv")]) == 2
    err = capsys.readouterr().err
    assert "model.json" in err and "Traceback" not in err, err
    assert not (tmp_path / "rows.csv").exists()


def test_two_conditions_for_one_column_are_refused(tabular_model, tmp_path, capsys):
    assert main(["tabular", "sample", str(tabular_model), "-n", "5", "-o", str(tmp_path / "r.csv"),
                 "--condition", "c=a", "--condition", "c=b"]) == 2
    assert "twice" in capsys.readouterr().err


def test_a_foreign_checkpoint_error_names_the_key():
    import torch

    from duelo.errors import CheckpointError
    from duelo.training.state import restore

    net = torch.nn.Linear(2, 2)
    with pytest.raises(CheckpointError, match="missing key 'bias'"):
        restore({"net.D.weight": torch.zeros(2, 2)}, {"counters": {"nimg": 0, "iteration": 0, "elapsed_s": 0.0},
                                                       "optimizers": {}, "rng": {"numpy": [], "python": []}},
                {"D": net}, {}, {})


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="needs Linux /proc")
def test_an_output_where_no_file_can_be_made_is_one_message(tabular_model, capsys):
    assert main(["tabular", "sample", str(tabular_model), "-n", "5", "-o", "/proc/x.csv"]) == 2
    err = capsys.readouterr().err
    assert "cannot use /proc/x.csv" in err and "Traceback" not in err, err


def test_write_error_messages_name_the_file_not_the_temp_file():
    import errno

    from duelo.errors import write_error_message

    full = OSError(errno.ENOSPC, "No space left on device", "/data/run/.model.ab12cd.tmp")
    assert write_error_message(full).startswith("cannot write /data/run/model: the disk is full.")
    assert write_error_message(OSError(errno.EIO, "I/O error")) is None        # no file: a bug, shown as one


def test_damaged_health_log_lines_are_skipped_by_every_reader(tmp_path):
    from duelo.health.doctor import read_jsonl
    from duelo.health.monitor import HealthLog, records_after
    from duelo.training.run_dir import RunDir

    log = HealthLog(RunDir(tmp_path))
    log.path.write_bytes(b'{"nimg": 10, "event": "rollback"}\n[1, 2]\n\xff\xfe\n{"nimg": "abc"}\n'
                         b'{"nimg": 20}\n{"nimg": 40}\n{"kimg": \n')
    assert [r.get("nimg") for r in read_jsonl(log.path)] == [10, "abc", 20, 40]
    assert [r["nimg"] for r in records_after(log.path, 15)] == [20, 40]
    log.truncate(20)                               # a damaged count goes, a persistent event stays
    assert [r["nimg"] for r in log.records()] == [10, 20]
