"""The music and video panels draw what `duelo sample` writes for the same seed and class: a piece's MIDI, its
audio preview and its piano roll byte for byte (MusicXML that music21 reads back), a video model's animated grid
and arrays byte for byte. The models are freshly initialised networks saved as a run's model (what is checked is
the drawing path, not what the networks learned), so no training is needed (conftest's media_runs)."""

from __future__ import annotations

import pytest
from duelo.cli.main import main
from tests.studio.conftest import serve


@pytest.fixture(scope="module")
def media_studio(media_runs):
    client, server = serve([media_runs])
    client.runs = media_runs
    yield client
    server.shutdown()
    server.server_close()


def test_a_piece_is_duelo_sample_s_midi_preview_and_roll(media_studio, tmp_path):
    music21 = pytest.importorskip("music21")
    get, run = media_studio.get, str(media_studio.runs / "chorale")
    page = get("/run?id=0/chorale").text
    assert 'data-outputs="png wav mid musicxml" data-shown="png:image wav:audio"' in page and ">minor</option>" in page
    for suffix in ("mid", "wav"):
        assert main(["sample", run, "-n", "1", "--seeds", "3", "--label", "1", "--out",
                     str(tmp_path / f"piece.{suffix}")]) == 0
        drawn = get(f"/api/draw?id=0/chorale&seed=3&label=1&as={suffix}")
        assert drawn.status == 200 and drawn.body == (tmp_path / f"piece.{suffix}").read_bytes(), suffix
    assert main(["sample", run, "-n", "1", "--seeds", "3", "--label", "1", "--out", str(tmp_path / "folder")]) == 0
    roll = get("/api/draw?id=0/chorale&seed=3&label=1")                          # the first output: the roll
    assert roll.content_type == "image/png" and roll.body == (tmp_path / "folder" / "rolls.png").read_bytes()
    assert get("/api/draw?id=0/chorale&seed=4&label=1&as=mid").body != (tmp_path / "piece.mid").read_bytes()
    xml = get("/api/draw?id=0/chorale&seed=3&label=1&as=musicxml")
    (tmp_path / "piece.musicxml").write_bytes(xml.body)
    assert len(music21.converter.parse(str(tmp_path / "piece.musicxml")).parts) == 4
    # without a class one piece is major, as `duelo sample -n 1` draws it
    assert get("/api/draw?id=0/chorale&seed=3&as=mid").body == get("/api/draw?id=0/chorale&seed=3&label=0&as=mid").body
    assert "out of range" in get("/api/draw?id=0/chorale&label=2").json()["error"]
    assert get("/api/draw?id=0/chorale&n=2").status == 400                        # one piece per seed


def test_video_clips_are_duelo_sample_s_gif_and_arrays(media_studio, tmp_path):
    get, run = media_studio.get, str(media_studio.runs / "moving")
    page = get("/run?id=0/moving").text
    assert 'data-outputs="gif npz" data-shown="gif:image"' in page and '<option value="9">9</option>' in page
    for suffix in ("gif", "npz"):
        assert main(["sample", run, "-n", "5", "--seeds", "2", "--label", "7", "--out",
                     str(tmp_path / f"clips.{suffix}")]) == 0
        drawn = get(f"/api/draw?id=0/moving&n=5&seed=2&label=7&as={suffix}")
        assert drawn.status == 200 and drawn.body == (tmp_path / f"clips.{suffix}").read_bytes(), suffix
    gif = get("/api/draw?id=0/moving&n=5&seed=2&label=7")
    assert gif.content_type == "image/gif" and gif.body.startswith(b"GIF8")
    assert gif.body != get("/api/draw?id=0/moving&n=5&seed=2&label=6").body
    assert get("/api/draw?id=0/moving&n=65").status == 400                        # capped
