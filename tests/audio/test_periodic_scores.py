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
    # scoring may be switched on when a run is continued (it changes nothing it trains), not below one clip
    assert main([*common, "--name", "plain", "--kimg", "0.15", "--set", "audio.score_kimg=0.025"]) == 0
    assert (plain / "eval.jsonl").is_file()
    capsys.readouterr()
    assert main([*common, "--name", "tiny", "--set", "audio.score_kimg=0.0004"]) != 0
    assert "at least 0.001" in capsys.readouterr().err


def test_the_scorer_leaves_the_global_random_state_as_it_found_it(tmp_path, monkeypatch):
    """Trained (its initialisation and dropout seeded from the global generator) or loaded from the cache (built,
    then given the cached weights), the scorer gives the caller's random stream back untouched."""
    import torch

    from duelo.tasks.audio import clips as clip_store
    from duelo.tasks.audio.scorer import scorer_for

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    clips = clip_store.load(made_up_clips(tmp_path / "tones.npz"))
    for path in ("trained", "loaded"):
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        scorer_for(clips, 1, 0, "cpu", log=lambda text: None)
        assert torch.equal(torch.rand(3), expected), path
