"""A generated corpus of damaged run and model folders: every case ends in one clear message (exit 2) or is
handled (a damaged newest checkpoint falls back to the previous one and the run ends as an unbroken run would);
never a traceback, never a hang, never a silent resume of something else."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file

from duelo import faults
from duelo.cli.main import main
from tests.hardening.helpers import TINY

ARGS = [*TINY, "--kimg", "0.128", "--snapshot-kimg", "0.064", "--seed", "4", "--set", "run.keep_checkpoints=2"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    faults.reset()
    assert main([*ARGS, "--out", str(base), "--name", "whole"]) == 0
    return base / "whole"


def copy(finished, tmp_path):
    target = tmp_path / "runs" / "case"
    shutil.copytree(finished, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def rerun(folder, *extra):
    faults.reset()
    return main([*ARGS, *extra, "--out", str(folder.parent), "--name", folder.name])


def newest_state(folder):
    return sorted((folder / "checkpoints").glob("ckpt-*"))[-1] / "state.json"


def model_of(folder):
    return load_file(str(folder / "model" / "model.safetensors"))


CONFIGS = {
    "empty object": b"{}", "a number": b"5", "null": b"null", "a list": b"[]", "not UTF-8": b"\xff\xfe{",
    "not JSON": b"{\"train\": ", "train not an object": b"{\"train\": 3}",
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_a_damaged_run_config_is_refused_with_a_message(finished, tmp_path, capsys, case):
    folder = copy(finished, tmp_path)
    (folder / "config.json").write_bytes(CONFIGS[case])
    assert rerun(folder, "--loss", "hinge") == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "Traceback" not in err, err


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_run_config_that_is_no_file_is_refused_without_hanging(finished, tmp_path, capsys, kind):
    folder = copy(finished, tmp_path)
    (folder / "config.json").unlink()
    (folder / "config.json").mkdir() if kind == "folder" else os.mkfifo(folder / "config.json")
    assert rerun(folder) == 2
    assert "not a regular file" in capsys.readouterr().err or kind == "folder"


def _edit(meta):
    meta["counters"]["iteration"] += 1             # an edit that keeps valid JSON and the tensors' hash


STATES = {
    "a list": lambda path: path.write_text("[]"),
    "format_version text": lambda path: path.write_text(json.dumps({**json.loads(path.read_text()),
                                                                      "format_version": "1"})),
    "nimg text": lambda path: path.write_text(json.dumps({**json.loads(path.read_text()), "nimg": "abc"})),
    "feed missing": lambda path: path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items()
                                                             if k != "feed"})),
    "counter edited": lambda path: path.write_text(json.dumps((lambda m: (_edit(m), m)[1])(
        json.loads(path.read_text())))),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:100]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(STATES))
def test_a_damaged_newest_checkpoint_falls_back_and_ends_like_the_unbroken_run(finished, tmp_path, capsys, case):
    folder = copy(finished, tmp_path)
    STATES[case](newest_state(folder))
    (folder / "summary.json").unlink()
    assert rerun(folder) == 0
    err = capsys.readouterr().err
    assert "skipping damaged checkpoint" in err and "Traceback" not in err, err
    expected, got = model_of(finished), model_of(folder)
    assert not [k for k in expected if not torch.equal(expected[k], got[k])], case


def test_every_checkpoint_damaged_is_refused_not_restarted(finished, tmp_path, capsys):
    folder = copy(finished, tmp_path)
    for state in (folder / "checkpoints").glob("ckpt-*/state.json"):
        state.write_text("[]")
    assert rerun(folder) == 2
    assert "every checkpoint" in capsys.readouterr().err
    assert (folder / "model" / "model.safetensors").exists()       # nothing was started over


def test_a_checkpoint_of_another_run_is_refused(finished, tmp_path, capsys):
    other = tmp_path / "runs" / "other"
    faults.reset()
    args = [a if a != "4" else "9" for a in ARGS]                   # another seed
    assert main([*args, "--out", str(other.parent), "--name", other.name]) == 0
    folder = copy(finished, tmp_path)
    newest = sorted((folder / "checkpoints").glob("ckpt-*"))[-1]
    shutil.rmtree(newest)
    shutil.copytree(sorted((other / "checkpoints").glob("ckpt-*"))[-1], newest)
    assert rerun(folder) == 2
    assert "another configuration" in capsys.readouterr().err


@pytest.mark.parametrize("line", [b"[1, 2]\n", b"\xff\xfe\n", b"{\"nimg\": \"abc\"}\n", b"{\"kimg\": \n"])
def test_damaged_metrics_lines_do_not_stop_a_resume(finished, tmp_path, capsys, line):
    folder = copy(finished, tmp_path)
    with open(folder / "metrics.jsonl", "ab") as handle:
        handle.write(line)
    assert rerun(folder) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_a_moved_run_folder_resumes(finished, tmp_path, capsys):
    folder = copy(finished, tmp_path)
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    os.rename(folder, moved)
    assert rerun(moved) == 0
    assert "already reached" in capsys.readouterr().err


def test_a_new_run_never_goes_into_a_foreign_folder(tmp_path, capsys):
    foreign = tmp_path / "runs" / "mine"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("keep me")
    assert rerun(foreign) == 2
    assert "not a duelo run folder" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir() if not p.name.startswith(".")) == ["notes.txt"]


MODEL_CONFIGS = {
    "absurd c_dim": lambda c: {**c, "kwargs": {**c["kwargs"], "c_dim": 10**10}},
    "absurd z_dim": lambda c: {**c, "kwargs": {**c["kwargs"], "z_dim": 10**12}},
    "negative width": lambda c: {**c, "kwargs": {**c["kwargs"], "width": -3}},
    "kwargs a list": lambda c: {**c, "kwargs": [1]},
    "unknown kind": lambda c: {**c, "kind": "toaster"},
    "newer format": lambda c: {**c, "format_version": 99},
}


@pytest.mark.parametrize("case", sorted(MODEL_CONFIGS))
def test_a_damaged_model_folder_is_refused_by_sample(finished, tmp_path, capsys, case):
    model = tmp_path / "model"
    shutil.copytree(finished / "model", model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps(MODEL_CONFIGS[case](config)))
    assert main(["sample", str(model), "--seeds", "0-1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
