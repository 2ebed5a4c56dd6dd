"""`audio.score_kimg`: a run scores its averaged G between snapshots (eval.jsonl) and keeps the model with the
lowest Fréchet distance in best/, without changing what it trains."""

from __future__ import annotations

import json

from safetensors.torch import load_file

from duelo.cli.main import main
from tests.audio.made_up import made_up_clips
from tests.audio.test_audio_task import TINY


def test_scores_between_snapshots_keep_the_best_model_and_leave_training_alone(tmp_path, capsys):
    tones = made_up_clips(tmp_path / "tones.npz")
    common = [*TINY, "--model", "wavegan", "--dataset", str(tones), "--kimg", "0.1", "--out", str(tmp_path)]
    assert main([*common, "--name", "scored", "--set", "audio.score_kimg=0.025"]) == 0
    assert "best FD so far, saved to best/" in capsys.readouterr().err
    assert main([*common, "--name", "plain"]) == 0
    scored, plain = tmp_path / "scored", tmp_path / "plain"
    lines = [json.loads(line) for line in (scored / "eval.jsonl").read_text().splitlines()]
    assert len(lines) >= 3 and [r["kimg"] for r in lines] == sorted(r["kimg"] for r in lines)
    assert all("fd" in r and "instrument_accuracy" in r and "fd_real" not in r for r in lines)
    best = json.loads((scored / "best" / "best.json").read_text())
    assert best["metric"] == "fd" and best["value"] == min(r["fd"] for r in lines)
    assert best["nimg"] == min(lines, key=lambda r: r["fd"])["nimg"]
    assert not (plain / "eval.jsonl").exists() and not (plain / "best").exists()
    same = load_file(scored / "model" / "model.safetensors"), load_file(plain / "model" / "model.safetensors")
    assert same[0].keys() == same[1].keys() and all((same[0][k] == same[1][k]).all() for k in same[0])
    assert main(["sample", str(scored / "best"), "-n", "2", "--out", str(tmp_path / "clips")]) == 0
    assert len(list((tmp_path / "clips").glob("*.wav"))) == 2
