"""`duelo train --resume RUN`: the run's own configuration, wherever its folder is now; a longer --kimg extends it;
a changed setting, a folder that is no run and --task/--preset beside it are refused with a message."""

from __future__ import annotations

import json
import shutil

from duelo.cli.main import main

TOY = ["train", "--task", "toy", "--batch", "64", "--set", "run.snapshot_kimg=0.5", "--set", "run.log_kimg=0.5"]


def test_a_moved_run_resumes_where_it_is_and_refuses_changes(tmp_path, capsys):
    assert main([*TOY, "--kimg", "0.5", "--out", str(tmp_path / "a"), "--name", "ring"]) == 0
    moved = tmp_path / "b" / "ring"
    shutil.move(tmp_path / "a" / "ring", moved)
    capsys.readouterr()
    assert main(["train", "--resume", str(moved), "--kimg", "1"]) == 0
    err = capsys.readouterr().err
    assert "resuming from ckpt-" in err and not (tmp_path / "a" / "ring").exists()
    assert json.loads((moved / "summary.json").read_text())["kimg"] >= 1
    assert main(["train", "--resume", str(moved), "--lr", "0.1"]) != 0
    assert "different configuration" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "nowhere")]) != 0
    assert "no run there" in capsys.readouterr().err
    assert (moved / "model" / "model.safetensors").is_file()
    assert main(["train", "--resume", str(moved / "model")]) != 0                 # a saved model is no run
    assert "no run there" in capsys.readouterr().err
    assert main(["train", "--resume", str(moved), "--task", "toy"]) != 0
    assert "drop --task/--preset" in capsys.readouterr().err
    assert main(["train", "--resume", str(moved), "--name", "other"]) != 0          # not a new run elsewhere
    assert "drop --out/--name" in capsys.readouterr().err and not (tmp_path / "b" / "other").exists()
