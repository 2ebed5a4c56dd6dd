"""The music task through the CLI on made-up pieces (no corpus needed): it trains, writes its run folder (model,
piano-roll images, a MIDI file where music21 is installed), scores, resumes, and refuses what cannot work."""

import json

import numpy as np
import torch

from duelo.cli.main import main
from duelo.io.wav import read_wav
from duelo.tasks.music.data import LOW, PITCHES, onsets_of, roll, unroll
from duelo.tasks.music.model_io import load_music_model, roll_images
from duelo.tasks.music.preview import RATE, TEMPO, render_preview
from duelo.tasks.music.scoring import mode_accuracy, real_vs_generated
from tests.music.made_up import made_up_chorales

TINY = ["train", "--task", "music", "--width", "16", "--batch", "16", "--seed", "1", "--bars", "2",
        "--set", "music.eval_pieces=16", "--set", "run.log_kimg=0.2"]


def test_rolls_round_trip_and_draw():
    pitch = np.zeros((16, 4), np.uint8)
    pitch[:8, 0], pitch[8:, 0], pitch[:, 3] = 72, 74, LOW
    back = unroll(torch.from_numpy(roll(pitch))[None])[0]
    np.testing.assert_array_equal(back, pitch)
    assert onsets_of(pitch)[:, 0].nonzero()[0].tolist() == [0, 8] and not onsets_of(pitch)[:, 1].any()
    image = roll_images(torch.from_numpy(roll(pitch))[None])
    assert image.shape == (1, 3, PITCHES, 16) and image.dtype == torch.uint8
    assert image[0, :, PITCHES - 1, 0].tolist() == [245, 150, 30]              # the bass at the bottom row


def test_the_preview_plays_each_note_at_its_pitch_and_time():
    pitch = np.zeros((16, 2), np.uint8)
    pitch[:8, 0], pitch[8:, 0] = 69, 57                   # A4 for two beats, then A3; the second voice rests
    wave = render_preview(pitch, onsets_of(pitch))
    step = int(RATE * 60 / TEMPO / 4)
    assert len(wave) >= 16 * step and abs(np.abs(wave).max() - 0.8) < 1e-3

    def strongest(part):
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        return np.fft.rfftfreq(len(part), 1 / RATE)[spectrum.argmax()]

    assert abs(strongest(wave[step:7 * step]) - 440) < 5 and abs(strongest(wave[9 * step:15 * step]) - 220) < 5
    assert not render_preview(np.zeros((8, 1), np.uint8), np.zeros((8, 1), bool)).any()   # silence stays silent


def test_the_music_task_trains_scores_and_resumes(tmp_path, capsys):
    data = made_up_chorales(tmp_path / "voices.npz", count=60)           # enough held-out windows to classify
    args = [*TINY, "--dataset", str(data), "--conditional", "--out", str(tmp_path), "--name", "m",
            "--set", "run.snapshot_kimg=0.4"]
    assert main([*args, "--kimg", "0.4"]) == 0
    run = tmp_path / "m"
    scores = json.loads((run / "summary.json").read_text())["scores"]
    for key in ("histogram_distance", "in_key", "qualified_notes", "range_violations", "longest_shared",
                "mode_in_key", "real_vs_generated", "mode_accuracy"):
        assert key in scores and f"{key}_real" in scores, key
    assert 0.5 <= scores["mode_majority"] <= 1.0 and 0.0 <= scores["mode_accuracy"] <= 1.0
    assert scores["mode_accuracy_real"] > 0.9              # made-up modes differ in their notes: easy to read
    assert 0.0 <= scores["real_vs_generated_real"] <= 1.0 and scores["real_vs_generated"] >= 0.9   # G barely trained
    assert scores["in_key_real"] == 1.0                    # made up in one key (C major, moved to A for "minor")
    assert list((run / "samples").glob("rolls-*.png")) and (run / "samples" / "real.png").is_file()
    G, meta = load_music_model(run)
    assert meta["class_names"] == ["major", "minor"] and G(G.sample_latents(2), torch.tensor([0, 1])).shape == \
        (2, 4, 32, PITCHES)
    rescored = _rescore(run)                                # benchmarks/music.py rescore: the same scores again
    assert rescored["kimg"] == json.loads((run / "summary.json").read_text())["kimg"] and rescored["conditional"]
    assert set(scores) == set(rescored["scores"]) and rescored["scores"]["samples"] == scores["samples"]
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0                   # duelo eval: the summary's windows, scored again
    assert json.loads((run / "eval.json").read_text())["scores"] == scores
    assert f"in_key {scores['in_key']:g}" in capsys.readouterr().out
    assert main(["eval", str(run), "--num-samples", "8"]) != 0
    assert "score at least 16 windows" in capsys.readouterr().err
    assert main([*args, "--kimg", "0.8"]) == 0
    assert "resum" in capsys.readouterr().err.lower()
    assert main(["sample", str(run), "-n", "3", "--label", "1", "--out", str(tmp_path / "pieces")]) == 0
    assert len(list((tmp_path / "pieces").glob("piece-*.mid"))) == 3 and (tmp_path / "pieces" / "rolls.png").is_file()
    assert len(list((tmp_path / "pieces").glob("piece-*.wav"))) == 3                  # a preview beside each piece
    assert list((run / "samples").glob("piece-*.wav"))
    assert main(["sample", str(run), "-n", "1", "--out", str(tmp_path / "one.wav")]) == 0
    samples, rate = read_wav(tmp_path / "one.wav")
    assert rate == RATE and len(samples) >= 2 * 16 * RATE * 60 / TEMPO / 4 and np.abs(samples).max() > 0.5
    assert main(["sample", str(run), "-n", "1", "--out", str(tmp_path / "one.musicxml")]) == 0
    assert (tmp_path / "one.musicxml").is_file()
    assert main(["sample", str(run), "-n", "2", "--out", str(tmp_path / "two.mid")]) != 0
    assert "one file holds one piece" in capsys.readouterr().err


def _rescore(run):
    import sys
    from argparse import Namespace
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import music as music_benchmark

    return music_benchmark.rescore(Namespace(run=str(run), trained_by=""))["rows"][0]


def test_a_melody_corpus_trains_one_voice(tmp_path):
    data = made_up_chorales(tmp_path / "melodies.npz", voices=1)
    assert main([*TINY, "--dataset", str(data), "--kimg", "0.2", "--set", "run.snapshot_kimg=0.2", "--out",
                 str(tmp_path), "--name", "one"]) == 0
    G, _ = load_music_model(tmp_path / "one")
    assert G(G.sample_latents(2)).shape == (2, 1, 32, PITCHES)
    scores = json.loads((tmp_path / "one" / "summary.json").read_text())["scores"]
    assert scores["polyphony_real"] == 1.0


def test_what_cannot_work_is_refused(tmp_path, capsys):
    assert main([*TINY, "--dataset", str(tmp_path / "none.npz"), "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "no such file" in capsys.readouterr().err
    data = made_up_chorales(tmp_path / "voices.npz", count=2, bars=2)
    assert main([*TINY, "--dataset", str(data), "--bars", "4", "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "no window of 4 bars" in capsys.readouterr().err


def test_the_real_vs_generated_classifier_tells_broken_lines_from_held_notes_and_not_one_set_from_itself():
    rng = np.random.default_rng(0)

    def chorale_like(count, hold):                        # four voices in their registers, notes `hold` long
        steps = np.arange(32) // hold
        lines = [base + rng.integers(0, 5, (count, 32 // hold + 1))[:, steps] for base in (72, 65, 58, 48)]
        return np.stack(lines, axis=2).astype(np.uint8)

    held, broken = chorale_like(120, 4), chorale_like(120, 1)
    assert real_vs_generated(broken, held, 0) > 0.95
    assert abs(real_vs_generated(chorale_like(120, 4), held, 0) - 0.5) < 0.15
    assert real_vs_generated(held[:9], held[:9], 0) is None


def test_the_mode_reader_hears_the_asked_mode_and_a_model_that_ignores_the_ask_scores_the_majority_share():
    rng = np.random.default_rng(0)

    def in_mode(modes):                                   # four voices on the scale's notes: C major or A minor
        out = np.zeros((len(modes), 32, 4), np.uint8)
        for k, mode in enumerate(modes):
            tonic, scale = (57, (0, 2, 3, 5, 7, 8, 11)) if mode else (60, (0, 2, 4, 5, 7, 9, 11))
            for voice, octave in enumerate((12, 5, 0, -12)):
                degrees = rng.choice(scale, 8)[np.arange(32) // 4]
                out[k, :, voice] = tonic + octave + degrees
            out[k, -8:, 3] = tonic - 12                        # the bass ends on the tonic
        return out

    modes = np.arange(200) % 2
    train, held = in_mode(modes), in_mode(modes)
    fake_modes = np.arange(100) % 2
    read, real = mode_accuracy(train, modes, held, modes, in_mode(fake_modes), fake_modes, 0)
    assert read > 0.9 and real > 0.9
    ignored, _ = mode_accuracy(train, modes, held, modes, in_mode(np.zeros(100, int)), fake_modes, 0)
    assert abs(ignored - 0.5) < 0.1                        # every window major: right only where major was asked
    assert mode_accuracy(train, np.zeros(200, int), held, modes, held, modes, 0) is None
