"""audio.peak: sets read with one peak level (drums, spoken) have it found, G's clips are brought to it when they
become waves (samples, scores, `duelo sample`), the clips as drawn are scored beside, and sets without one level
(notes: velocities kept) are left as drawn."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.io.wav import read_wav
from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.clips import to_int16
from duelo.tasks.audio.levels import chosen_peak, shared_peak, to_peak
from tests.audio.made_up import made_up_clips, tone
from tests.audio.test_audio_task import TINY as AUDIO_TINY

TINY = [*AUDIO_TINY, "--kimg", "0.05"]


def test_a_shared_peak_is_found_and_scattered_peaks_are_not():
    one_level = np.stack([tone("sine", 57, 0.9), tone("square", 69, 0.9) * 1.5, tone("sine", 64, 0.9)])
    one_level = one_level * (0.9 / np.abs(one_level).max(axis=1, keepdims=True))
    assert shared_peak(one_level) == pytest.approx(0.9)
    three_levels = np.stack([tone("sine", 57, level) for level in (0.3, 0.6, 0.9)])
    assert shared_peak(three_levels) is None
    assert shared_peak(np.zeros((3, 100), np.float32)) is None and shared_peak(np.zeros((0, 100))) is None
    almost = np.concatenate([one_level] * 6 + [three_levels[:1]])          # 18 of 19 share it: under 95 %
    assert shared_peak(almost) is None and shared_peak(np.concatenate([one_level] * 19 + [three_levels[:1]]))
    assert chosen_peak("auto", one_level) == pytest.approx(0.9) and chosen_peak("auto", three_levels) is None
    assert chosen_peak("off", one_level) is None and chosen_peak("0.5", three_levels) == 0.5
    assert shared_peak(to_int16(one_level)) == pytest.approx(0.9, abs=1e-4)      # the clips store's int16
    assert shared_peak(to_int16(three_levels)) is None


def test_every_clip_is_brought_to_the_level_and_silence_stays_silent():
    waves = torch.stack([0.2 * torch.sin(torch.arange(1000.0)), -0.7 * torch.ones(1000), torch.zeros(1000)])
    out = to_peak(waves, 0.9)
    assert torch.allclose(out[:2].abs().amax(dim=1), torch.tensor([0.9, 0.9]))
    assert torch.allclose(out[0], waves[0] * (0.9 / waves[0].abs().max()))          # one gain a clip: same shape
    assert torch.equal(out[2], waves[2]) and torch.equal(to_peak(waves, None), waves)


@pytest.mark.parametrize("value", ["2", "0", "loud", "-0.5"])
def test_a_peak_out_of_range_is_refused_by_name(value, tmp_path, capsys):
    assert main([*TINY, "--set", f"audio.peak={value}", "--out", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "audio.peak" in err and "auto, off or a level in (0, 1]" in err and "Traceback" not in err


def _one_level(path):
    """The made-up tones, each brought to a peak of 0.9 as the drums and spoken words are."""
    clips = clip_store.load(made_up_clips(path))
    waves = clips.floats()
    waves = waves * (0.9 / np.abs(waves).max(axis=1, keepdims=True))
    return clip_store.save(dataclasses.replace(clips, waves=to_int16(waves)), path)


def test_a_one_level_set_has_its_clips_brought_to_the_level_and_scored_as_drawn_too(tmp_path):
    one_level = _one_level(tmp_path / "one.npz")
    assert main([*TINY, "--model", "specgan", "--dataset", str(one_level), "--out", str(tmp_path),
                 "--name", "one"]) == 0
    run = tmp_path / "one"
    scores = json.loads((run / "summary.json").read_text())["scores"]
    assert scores["peak"] == pytest.approx(0.9, abs=1e-3)
    for key in ("fd_as_drawn", "loudness_db_as_drawn", "score_as_drawn", "instrument_accuracy_as_drawn"):
        assert key in scores, key
    assert scores["loudness_db"] != scores["loudness_db_as_drawn"]        # an untrained G is not at 0.9
    assert json.loads((run / "model" / "config.json").read_text())["kwargs"]["peak"] == pytest.approx(0.9, abs=1e-3)
    assert main(["sample", str(run), "-n", "2", "--out", str(tmp_path / "clips")]) == 0
    for path in sorted((tmp_path / "clips").glob("*.wav")):
        wave, _ = read_wav(path)
        assert np.abs(wave).max() == pytest.approx(0.9, abs=2e-3), path

    off = main([*TINY, "--model", "specgan", "--dataset", str(one_level), "--out", str(tmp_path), "--name", "off",
                "--set", "audio.peak=off"])
    assert off == 0
    plain = json.loads((tmp_path / "off" / "summary.json").read_text())["scores"]
    assert "peak" not in plain and "fd_as_drawn" not in plain
    assert plain["loudness_db"] == pytest.approx(scores["loudness_db_as_drawn"], abs=0.01)   # the same G, as drawn


def test_a_set_of_many_levels_is_left_as_drawn(tmp_path):
    tones = made_up_clips(tmp_path / "tones.npz")                          # levels 0.3, 0.6 and 0.9
    assert main([*TINY, "--dataset", str(tones), "--out", str(tmp_path), "--name", "many"]) == 0
    scores = json.loads((tmp_path / "many" / "summary.json").read_text())["scores"]
    assert "peak" not in scores and "fd_as_drawn" not in scores
    assert json.loads((tmp_path / "many" / "model" / "config.json").read_text())["kwargs"]["peak"] is None
