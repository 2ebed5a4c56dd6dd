"""The sequence panels draw what `duelo sample` draws for the same seed: a text model's lines, a series model's
windows (its CSV byte for byte, and a plot), an audio model's clip (its WAV byte for byte); the Hub loader's
`sample(n, seed)` agrees; bad requests come back as messages."""

from __future__ import annotations

import pytest

from duelo.cli.main import main

pytestmark = pytest.mark.slow          # three tiny runs trained once (about 6 s on two cores)


def test_text_lines_for_a_seed_and_class_are_duelo_sample_s(sequence_studio, tmp_path):
    from duelo.hub import from_pretrained

    run = sequence_studio.runs / "names"
    page = sequence_studio.get("/run?id=0/names").text
    assert 'id="panel-sequence"' in page and 'data-outputs="txt"' in page and ">a</option>" in page
    assert main(["sample", str(run), "-n", "7", "--seeds", "3", "--label", "a", "--out", str(tmp_path / "a.txt")]) == 0
    answer = sequence_studio.get("/api/draw?id=0/names&n=7&seed=3&label=0")
    assert answer.status == 200 and answer.content_type.startswith("text/plain")
    assert answer.body == (tmp_path / "a.txt").read_bytes()
    assert all(line.startswith("a\t") for line in answer.text.splitlines())
    any_class = sequence_studio.get("/api/draw?id=0/names&n=5&seed=9").text
    assert any_class.splitlines() == from_pretrained(run).sample(5, seed=9)


def test_series_windows_are_duelo_sample_s_csv_and_a_plot(sequence_studio, tmp_path):
    page = sequence_studio.get("/run?id=0/sines").text
    assert 'data-outputs="png csv"' in page
    assert main(["sample", str(sequence_studio.runs / "sines"), "-n", "6", "--seeds", "4",
                 "--out", str(tmp_path / "w.csv")]) == 0
    csv = sequence_studio.get("/api/draw?id=0/sines&n=6&seed=4&as=csv")
    assert csv.status == 200 and csv.content_type.startswith("text/csv")
    assert csv.body == (tmp_path / "w.csv").read_bytes()
    plot = sequence_studio.get("/api/draw?id=0/sines&n=6&seed=4")                      # the first output: png
    assert plot.status == 200 and plot.content_type == "image/png" and plot.body.startswith(b"\x89PNG")


def test_an_audio_clip_for_a_seed_and_label_is_duelo_sample_s_wav(sequence_studio, tmp_path):
    run = sequence_studio.runs / "tones"
    page = sequence_studio.get("/run?id=0/tones").text
    assert 'data-outputs="wav"' in page and "/" in page.split('name="label"')[1].split("</select>")[0]
    assert main(["sample", str(run), "-n", "1", "--seeds", "2", "--label", "3", "--out", str(tmp_path / "c.wav")]) == 0
    clip = sequence_studio.get("/api/draw?id=0/tones&seed=2&label=3")
    assert clip.status == 200 and clip.content_type == "audio/wav"
    assert clip.body == (tmp_path / "c.wav").read_bytes()
    assert clip.body != sequence_studio.get("/api/draw?id=0/tones&seed=2&label=4").body


def test_sequence_requests_a_model_cannot_answer_get_a_message(sequence_studio):
    get = sequence_studio.get
    assert "out of range" in get("/api/draw?id=0/names&seed=1&label=5").json()["error"]
    assert get("/api/draw?id=0/names&n=100000").status == 400                         # n capped
    assert "whole number" in get("/api/draw?id=0/sines&seed=x").json()["error"]
    assert "unconditional" in get("/api/draw?id=0/sines&label=0").json()["error"]
    wrong = get("/api/draw?id=0/tones&as=exe")
    assert wrong.status == 400 and "wav" in wrong.json()["error"] and "Traceback" not in wrong.text
    assert get("/api/draw?id=0/tones&n=2").status == 400                              # one clip per seed
