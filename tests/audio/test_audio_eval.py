"""`duelo eval RUN` on an audio run reads its averaged G's clips again as the summary did (the same clips, judge and
scores, the Griffin-Lim and peak-level variants included), writes RUN/eval.json (RUN/best/eval.json for the
lowest-FD model), and refuses what it cannot do."""

import json

import pytest

from duelo.cli.main import main
from tests.audio.made_up import made_up_clips

TINY = ["train", "--task", "audio", "--model", "specgan-m", "--width", "4", "--batch", "8", "--seed", "1",
        "--conditional", "--kimg", "0.05", "--set", "run.snapshot_kimg=0.05", "--set", "audio.eval_clips=16",
        "--set", "audio.scorer_epochs=1", "--set", "audio.decode_refine=2", "--set", "audio.peak=0.9",
        "--set", "audio.score_kimg=0.025"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    tones = made_up_clips(folder / "tones.npz")
    assert main([*TINY, "--dataset", str(tones), "--out", str(folder), "--name", "a"]) == 0
    return folder / "a"


def test_eval_reads_the_runs_clips_again_as_its_summary_did(run, capsys):
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0
    out = capsys.readouterr().out
    written = json.loads((run / "eval.json").read_text())
    summary = json.loads((run / "summary.json").read_text())["scores"]
    assert written["task"] == "audio" and written["num_samples"] == 16
    assert written["scores"] == summary                               # same clips, same judge, same figures
    assert {"fd_unrefined", "fd_as_drawn", "instrument_accuracy_by_class", "peak"} <= set(summary)
    assert f"fd {summary['fd']:g}" in out and "wrote" in out

    assert main(["eval", str(run), "--num-samples", "32", "--out", str(run.parent / "more.json")]) == 0
    more = json.loads((run.parent / "more.json").read_text())
    assert more["num_samples"] == 32 and more["scores"]["samples"] == 32

    assert main(["eval", str(run / "best")]) == 0                    # the lowest-FD model, the run's clips
    best = json.loads((run / "best" / "eval.json").read_text())
    assert best["model_folder"] == "best" and written["model_folder"] == "."
    assert best["scores"]["fd_real"] == summary["fd_real"]           # the same real clips and judge


def test_eval_refuses_a_model_folder_too_few_clips_and_an_existing_file(run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["eval", str(run / "model")]) != 0
    assert "give the run folder" in capsys.readouterr().err
    assert main(["eval", str(run), "--num-samples", "4"]) != 0
    assert "score at least 16 clips" in capsys.readouterr().err
    assert main(["eval", str(run), "--metrics", "fid", "--dataset", "mnist"]) != 0        # the image metrics' options
    err = capsys.readouterr().err
    assert "--metrics, --dataset: for image runs; this audio run" in err and "docs/audio.md" in err
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    assert main(["eval", str(run), "--out", str(taken)]) != 0
    assert "Traceback" not in capsys.readouterr().err and taken.read_text() == "{}"   # nothing already written is lost
