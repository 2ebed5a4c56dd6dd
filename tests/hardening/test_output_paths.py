"""One output-path policy for every command that writes: an existing file is never replaced without --force,
a run's or saved model's own files never (not even with --force), an existing folder as --out of a file
command means the default name inside it or a clear refusal — and every refusal comes before any work."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from duelo import faults
from duelo.cli.main import main
from tests.hardening.helpers import TINY

TRAIN = [*TINY, "--kimg", "0.064", "--snapshot-kimg", "0.064", "--seed", "1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("outputs")
    faults.reset()
    assert main([*TRAIN, "--out", str(base / "runs"), "--name", "demo"]) == 0
    return base / "runs" / "demo"


def digest(folder):
    """Every file's bytes under `folder` (what must not change)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture
def image(tmp_path):
    from PIL import Image

    path = tmp_path / "in.png"
    Image.new("L", (8, 8), 128).save(path)
    return path


def commands(run, tmp_path, image):
    """(name, argv with OUT for the output, whether OUT is a file) for every writing command on an image run."""
    return [
        ("export", ["export", str(run), "--onnx", "--no-check", "--out", "OUT"], True),
        ("eval", ["eval", str(run), "--metrics", "fd_domain", "--num-samples", "20", "--max-real", "20",
                  "--out", "OUT"], True),
        ("interpolate", ["interpolate", str(run), "--seeds", "0,1", "--frames", "2", "--out", "OUT.gif"], True),
        ("mix", ["mix", str(run), "--out", "OUT.png"], True),
        ("sample", ["sample", str(run), "--seeds", "0-1", "--out", "OUT"], False),
        ("project", ["project", str(run), str(image), "--steps", "1", "--out", "OUT"], False),
    ]


def with_out(argv, out):
    return [str(out) + a[3:] if a.startswith("OUT") else a for a in argv]


@pytest.mark.parametrize("target", ["model/model.safetensors", "model/config.json", "config.json", "metrics.jsonl",
                                    "checkpoints/ckpt-000000000064/state.safetensors"])
def test_no_command_writes_over_a_runs_own_files_even_with_force(run, tmp_path, image, capsys, target):
    before = digest(run)
    for name, argv, is_file in commands(run, tmp_path, image):
        out = run / target if is_file else run / target.split("/")[0]
        for force in ([], ["--force"]):
            argv_out = [str(out) if a.startswith("OUT") else a for a in argv] + force
            code = main(argv_out)
            err = capsys.readouterr().err
            assert code == 2, (name, target, force, err)
            assert "Traceback" not in err
    assert digest(run) == before


def test_existing_outputs_need_force_and_are_refused_before_any_work(run, tmp_path, image, capsys):
    for name, argv, is_file in commands(run, tmp_path, image):
        if name == "mix":
            continue                        # a DCGAN has no styles to mix: only the refusal order is checked below
        out = tmp_path / name
        first = main(with_out(argv, out))
        capsys.readouterr()
        assert first == 0, name
        written = out if not is_file else next(p for p in tmp_path.glob(f"{name}*") if p.is_file())
        before = digest(written) if written.is_dir() else written.read_bytes()
        assert main(with_out(argv, out)) == 2, name
        err = capsys.readouterr().err
        assert "--force" in err and "Traceback" not in err, (name, err)
        after = digest(written) if written.is_dir() else written.read_bytes()
        assert after == before, name
        assert main(with_out(argv, out) + ["--force"]) == 0, name
        capsys.readouterr()
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"mine")
    assert main(["mix", str(run), "--out", str(taken)]) == 2
    assert "exists" in capsys.readouterr().err and taken.read_bytes() == b"mine"


def test_export_into_an_existing_folder_writes_model_onnx_there(run, tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main(["export", str(run), "--onnx", "--no-check", "--out", str(folder)]) == 0
    assert (folder / "model.onnx").is_file()
    assert main(["eval", str(run), "--metrics", "fd_domain", "--out", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_export_and_eval_defaults_are_their_own_files_in_the_run(run, tmp_path, capsys):
    copy = tmp_path / "runs" / "copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(".lock"))
    for _ in range(2):                       # a re-run replaces the command's own file, nothing else
        assert main(["export", str(copy), "--onnx", "--no-check"]) == 0
        assert main(["eval", str(copy), "--metrics", "fd_domain", "--num-samples", "20", "--max-real", "20"]) == 0
    assert (copy / "model" / "model.onnx").is_file() and (copy / "eval.json").is_file()


def test_eval_on_a_read_only_folder_fails_before_computing(run, tmp_path, capsys, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    real_access = os.access
    # as root permissions are not enforced: let access() report what the mode says, as it would for a user
    monkeypatch.setattr(os, "access", lambda path, mode: real_access(path, mode) and
                        (str(path) != str(locked) or not mode & os.W_OK))
    try:
        assert main(["eval", str(run), "--metrics", "fd_domain", "--out", str(locked / "e.json")]) == 2
        err = capsys.readouterr().err
        assert "cannot write" in err and "fd_domain" not in err
    finally:
        locked.chmod(0o700)


def test_tabular_commands_keep_what_exists(tmp_path, capsys):
    import pandas as pd

    table = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0] * 10, "b": list("xyxy") * 10}).to_csv(table, index=False)
    model_folder = tmp_path / "image-model"
    model_folder.mkdir()
    (model_folder / "model.safetensors").write_bytes(b"precious")
    assert main(["tabular", "fit", str(table), "--out", str(model_folder), "--epochs", "1"]) == 2
    assert "not a duelo run folder" in capsys.readouterr().err
    assert (model_folder / "model.safetensors").read_bytes() == b"precious"
    out = tmp_path / "rows.csv"
    out.write_text("mine")
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.json").write_text("mine")
    assert main(["tabular", "report", str(table), str(table), "--out", str(report)]) == 2
    assert (report / "report.json").read_text() == "mine"
    assert main(["tabular", "sample", str(tmp_path), "-n", "2", "-o", str(out)]) == 2
    assert out.read_text() == "mine"
    assert "--force" in capsys.readouterr().err
