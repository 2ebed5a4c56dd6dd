"""`duelo clean` on pieces of music: among made-up melodies in major and minor keys, a piece of three notes, a piece
of one pitch, a four-voice piece with a silent voice, an exact copy, a transposed copy, a copy with two notes
changed, a piece of random chromatic sixteenths over four octaves and a major tune labelled minor are found, and
nothing else is; the command writes a report and a cleaned.npz that the music task reads, and refuses what does
not apply."""

from __future__ import annotations

import json

import numpy as np
import pytest

from duelo.cli.clean_music import is_music
from duelo.cli.main import main
from duelo.tasks.music import corpus
from duelo.cleaning.findings import edit_distance
from duelo.tasks.music.faults import find_music_faults, tokens
from duelo.tasks.music.scores import MAJOR, MINOR, notes

BARS = 8


def _tune(rng, tonic: int, mode: int) -> tuple[np.ndarray, np.ndarray]:
    """A melody of BARS bars walking its key's scale near middle C, eighths to half notes, ending on the tonic."""
    scale = np.array(MINOR[:7] if mode else MAJOR)
    steps = BARS * 16
    pitch, onset = np.zeros((steps, 1), np.uint8), np.zeros((steps, 1), bool)
    degree, t = int(rng.integers(0, 7)), 0
    while t < steps:
        length = min(int(rng.choice([2, 4, 4, 8])), steps - t)
        degree = int(np.clip(degree + rng.integers(-2, 3), -3, 9)) if t + length < steps else 7
        octave, step = divmod(degree, 7)
        pitch[t:t + length, 0] = 60 + tonic + 12 * octave + scale[step]
        onset[t, 0] = True
        t += length
    return pitch, onset


def _row(name, pitch, onset, tonic, mode):
    return {"name": name, "pitch": pitch, "onset": onset, "tonic": tonic, "mode": mode, "downbeat": 0}


def _planted():
    """120 made-up tunes, then the faults (index: kind)."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(120):
        tonic, mode = int(rng.integers(0, 12)), k % 2
        rows.append(_row(f"tune {k}", *_tune(rng, tonic, mode), tonic, mode))
    few = np.zeros((BARS * 16, 1), np.uint8)
    few[:12, 0] = [60] * 4 + [62] * 4 + [64] * 4
    rows.append(_row("three notes", few, np.arange(BARS * 16)[:, None] % 4 == 0, 0, 0))            # 120
    same = np.full((BARS * 16, 1), 67, np.uint8)
    rows.append(_row("one pitch", same, np.arange(BARS * 16)[:, None] % 4 == 0, 0, 0))             # 121
    rows.append(dict(rows[5], name="copy of 5"))                                                    # 122
    rows.append(dict(rows[6], name="6 up a fourth", pitch=rows[6]["pitch"] + 5))                    # 123
    changed = rows[7]["pitch"].copy()
    found = notes(changed, rows[7]["onset"])
    for _, start, length, _ in found[3], found[9]:
        changed[start:start + length, 0] += 1                              # two notes a semitone higher
    rows.append(dict(rows[7], name="7 with two notes changed", pitch=changed))                      # 124
    noise = rng.integers(40, 90, (BARS * 16, 1)).astype(np.uint8)
    rows.append(_row("random sixteenths", noise, np.ones((BARS * 16, 1), bool), 0, 0))             # 125
    major = rows[10]                                                        # k = 10: a major tune
    rows.append(dict(major, name="major called minor", mode=1, pitch=_tune(rng, major["tonic"], 0)[0]))   # 126
    planted = {120: "degenerate", 121: "degenerate", 122: "duplicate", 123: "duplicate", 124: "duplicate",
               125: "outlier", 126: "mislabelled"}
    return corpus.from_pieces(rows), planted


def test_every_planted_fault_is_found_and_nothing_else():
    pieces, planted = _planted()
    faults = find_music_faults(pieces)
    found = {f.index: f for f in faults.findings}
    assert {i: f.kind for i, f in found.items()} == planted, [(f.index, f.kind, f.reason) for f in faults.findings]
    assert "only 3 note(s)" in found[120].reason and found[121].reason == "one pitch throughout"
    assert found[122].related == 5 and "exact copy of item 5" in found[122].reason
    assert found[123].related == 6 and "moved +5 semitone(s)" in found[123].reason
    assert found[124].related == 7 and "a near copy of item 7: 2 of" in found[124].reason
    assert found[126].suggested == 0 and "labelled 'minor' but looks like 'major'" in found[126].reason


def test_a_silent_voice_is_degenerate_and_harmonisations_of_one_tune_are_not_copies():
    rng = np.random.default_rng(1)
    voices = [_tune(rng, 0, 0) for _ in range(7)]
    pitch = np.concatenate([v[0] for v in voices[:4]], axis=1)
    onset = np.concatenate([v[1] for v in voices[:4]], axis=1)
    other = pitch.copy(), onset.copy()
    other[0][:, 1:], other[1][:, 1:] = (np.concatenate([v[0] - 12 for v in voices[4:]], axis=1),
                                       np.concatenate([v[1] for v in voices[4:]], axis=1))
    silent = pitch.copy()
    silent[:, 2] = 0
    pieces = corpus.from_pieces([_row("a", pitch, onset, 0, 0), _row("b", *other, 0, 0),
                                 _row("c", silent, onset, 0, 0)])
    faults = find_music_faults(pieces, labelled=False)
    assert [(f.index, f.kind, f.reason) for f in faults.findings] == [(2, "degenerate", "voice 3 of 4 never sounds")]
    assert faults.checked["mislabels"] == "skipped: the data is unlabelled"


def test_the_edit_distance_and_the_tokens_are_blind_to_the_key():
    assert edit_distance(list("kitten"), list("sitting")) == 3 and edit_distance([], [1, 2]) == 2
    assert edit_distance(list("abc"), list("abc")) == 0
    pitch, onset = _tune(np.random.default_rng(2), 0, 0)
    assert tokens(notes(pitch, onset)) == tokens(notes(pitch + 7, onset))


def test_the_command_writes_a_report_and_a_cleaned_copy_the_music_task_reads(tmp_path, capsys):
    pieces, planted = _planted()
    path = corpus.save(pieces, tmp_path / "tunes.npz")
    assert is_music(str(path)) and is_music("chorales") and not is_music(str(tmp_path / "other.npz"))
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"degenerate": 2, "duplicate": 3, "outlier": 1, "mislabelled": 1}
    assert {f["name"] for f in report["findings"]} == {pieces.names[i] for i in planted}
    page = (out / "report.html").read_text()
    assert page.count("data:audio/wav;base64,") == 2 * 3 + 4 and "data:image/png;base64," in page
    cleaned = corpus.load(out / "cleaned.npz")
    kept = [i for i in range(len(pieces)) if i not in planted]
    assert cleaned.names == [pieces.names[i] for i in kept]
    for k, i in enumerate(kept[::17]):
        for mine, theirs in zip(cleaned.piece(kept.index(i)), pieces.piece(i)):
            assert np.array_equal(mine, theirs)
    assert list(cleaned.mode) == [int(pieces.mode[i]) for i in kept]
    assert "pieces checked" in capsys.readouterr().out
    also = tmp_path / "kept"
    assert main(["clean", str(path), "--out", str(also), "--keep", "duplicate,mislabelled"]) == 0
    assert len(corpus.load(also / "cleaned.npz")) == len(pieces) - 3


@pytest.mark.parametrize("options, words", [(["--run", "runs/x"], "that option is for images"),
                                            (["--keep", "typo"], "unknown kind 'typo' for pieces of music"),
                                            (["--label", "key"], "that option is for tables")])
def test_what_does_not_apply_to_music_is_refused_before_anything_is_written(tmp_path, capsys, options, words):
    path = corpus.save(_planted()[0], tmp_path / "tunes.npz")
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out), *options]) != 0
    assert words in capsys.readouterr().err and not out.exists()


def test_a_named_set_not_yet_parsed_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["clean", "folk", "--out", str(tmp_path / "checked")]) != 0
    assert "duelo datasets fetch folk" in capsys.readouterr().err and not (tmp_path / "checked").exists()


@pytest.mark.parametrize("damage, words", [("starts", "do not fit together"), ("mode", "mode must be 0..1"),
                                           ("pitch", "MIDI numbers")])
def test_a_damaged_file_of_pieces_is_named_and_nothing_is_written(tmp_path, capsys, damage, words):
    path = corpus.save(_planted()[0], tmp_path / "tunes.npz")
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    changed = {"starts": lambda a: a[::-1].copy(),                      # pieces that end before they start
               "mode": lambda a: a + 2, "pitch": lambda a: a.astype(np.float32) / 3}
    arrays[damage] = changed[damage](arrays[damage])
    np.savez(path, **arrays)
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "tunes.npz is not a file of pieces duelo can read" in err and words in err and "Traceback" not in err
    assert not out.exists()


def test_a_damaged_cache_says_to_fetch_again(tmp_path, monkeypatch):
    from duelo.data.errors import DataError

    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    corpus.store_path("folk").parent.mkdir(parents=True)
    corpus.store_path("folk").write_bytes(b"not an archive")
    with pytest.raises(DataError, match="the music cache .* is damaged .*duelo datasets fetch folk"):
        corpus.load(name="folk")
