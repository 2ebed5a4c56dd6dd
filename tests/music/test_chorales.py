"""Symbolic music (issue 20): four voices read from a music21 score onto the sixteenth grid, the cache and its
damage, MIDI / MusicXML written and read back, and the scores checked on hand-made pieces."""

import numpy as np
import pytest

music21 = pytest.importorskip("music21")

from duelo.data.errors import DataError, DatasetUnavailableError  # noqa: E402
from duelo.tasks.music import corpus as chorales, scores  # noqa: E402
from duelo.tasks.music.export import to_score, write_piece  # noqa: E402


def _piece() -> tuple[np.ndarray, np.ndarray]:
    """Two bars in C major: soprano C5 (a dotted quarter tied on), E5, repeated G5 sixteenths; lower voices held."""
    pitch = np.zeros((32, 4), np.uint8)
    onset = np.zeros((32, 4), bool)
    pitch[0:6, 0], pitch[6:16, 0] = 72, 76
    pitch[16:20, 0] = 79
    onset[[0, 6, 16, 17, 18, 19], 0] = True                      # four repeated sixteenths of G5
    for v, midi in ((1, 67), (2, 64), (3, 48)):
        pitch[:, v] = midi
        onset[[0, 16], v] = True
    return pitch, onset


def test_a_score_lands_on_the_grid_and_round_trips_through_musicxml(tmp_path):
    pitch, onset = _piece()
    path = write_piece(tmp_path / "piece.musicxml", pitch, onset, tonic=0, mode=0)
    back = chorales.voices_of(music21.converter.parse(str(path)))
    assert back is not None
    np.testing.assert_array_equal(back[0], pitch)
    np.testing.assert_array_equal(back[1], onset)
    midi = write_piece(tmp_path / "piece.mid", pitch, onset)
    parsed = music21.converter.parse(str(midi))
    assert len(parsed.parts) == 4
    assert sorted(n.pitch.midi for n in parsed.parts[0].flatten().notes)[:2] == [72, 76]
    with pytest.raises(Exception, match="mid or .musicxml"):
        write_piece(tmp_path / "piece.wav", pitch, onset)


def test_pieces_that_are_not_four_part_4_4_are_left_out_and_melodies_read_alone():
    pitch, onset = _piece()
    score = to_score(pitch[:, :3], onset[:, :3])
    assert chorales.voices_of(score) is None
    melody = chorales.voices_of(to_score(pitch[:, :1], onset[:, :1]), voices=1)
    np.testing.assert_array_equal(melody[0], pitch[:20, :1])              # the trailing rest is not kept
    three = to_score(pitch, onset)
    for part in three.parts:
        for ts in part.recurse().getElementsByClass(music21.meter.TimeSignature):
            ts.ratioString = "3/4"
    assert chorales.voices_of(three) is None


def test_irish_tunes_in_cut_time_are_kept_and_triplets_left_out():
    pitch, onset = _piece()
    reel = to_score(pitch[:, :1], onset[:, :1])
    for ts in reel.recurse().getElementsByClass(music21.meter.TimeSignature):
        ts.ratioString = "2/2"
    assert chorales.voices_of(reel, voices=1) is None                      # the chorales and folk: 4/4 alone
    kept = chorales.voices_of(reel, voices=1, meters=("4/4", "2/2"))
    np.testing.assert_array_equal(kept[0], pitch[:20, :1])
    next(iter(reel.parts[0].recurse().notes)).quarterLength = 1 / 3      # a triplet eighth: off the grid
    assert chorales.voices_of(reel, voices=1, meters=("4/4", "2/2")) is None
    assert chorales.CORPORA["irish"].voices == 1


def test_the_cache_round_trips_and_damage_is_named(tmp_path):
    pitch, onset = _piece()
    rows = [{"name": f"p{k}", "pitch": pitch, "onset": onset, "tonic": k, "mode": k % 2, "downbeat": 4 * k}
            for k in range(3)]
    saved = chorales.from_pieces(rows)
    path = chorales.save(saved, tmp_path / "voices.npz")
    back = chorales.load(path)
    assert back.names == ["p0", "p1", "p2"] and back.downbeat.tolist() == [0, 4, 8]
    np.testing.assert_array_equal(back.piece(2)[0], pitch)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match="voices.npz is not a file of pieces duelo can read"):
        chorales.load(path)
    with pytest.raises(DataError, match="none.npz: no such file"):
        chorales.load(tmp_path / "none.npz")
    with pytest.raises(DatasetUnavailableError, match="duelo datasets fetch chorales"):
        chorales.load(name="chorales")                       # conftest points DUELO_CACHE_DIR at an empty folder


def test_scores_on_hand_made_pieces():
    pitch, onset = _piece()
    found = scores.notes(pitch, onset)
    assert [(s, n, p) for v, s, n, p in found if v == 0] == [(0, 6, 72), (6, 10, 76), (16, 1, 79), (17, 1, 79),
                                                              (18, 1, 79), (19, 1, 79)]
    assert scores.qualified_notes(pitch, onset) == pytest.approx(8 / 12)      # the four sixteenths are short
    assert scores.in_key(pitch, 0, 0) == 1.0 and scores.in_key(pitch, 1, 0) < 0.5
    assert scores.polyphony(pitch) == pytest.approx((20 * 4 + 12 * 3) / 32)
    assert scores.used_pitch_classes(pitch) == 3.0                          # C, E and G in each bar
    assert scores.range_violations(pitch) == 0.0
    histogram = scores.pitch_class_histogram(pitch, tonic=0)
    assert histogram.sum() == pytest.approx(1.0) and histogram[[0, 4, 7]].sum() == pytest.approx(1.0)
    assert scores.histogram_distance(histogram, scores.pitch_class_histogram(pitch, tonic=2)) > 1.0
    assert scores.longest_shared([1, 2, 3, 4, 9], [[0, 2, 3, 4, 5], [3, 4]]) == 3
    assert scores.longest_shared([9, 9], [[1, 2]]) == 0


def test_shared_runs_leave_a_melody_out_of_its_own_search():
    melodies = [[1, 2, 3, 4, 5], [9, 2, 3, 4, 8], [7, 7, 7]]
    runs = scores.SharedRuns(melodies)
    assert runs.longest_run([1, 2, 3, 4, 5], own=True) == 3           # 2 3 4, shared with the second melody
    assert runs.longest_run([1, 2, 3, 4, 5]) == 5                      # a copy of the first
    assert runs.longest_run([7, 7, 7], own=True) == 0                  # found only in itself
    assert runs.longest_run([6, 6]) == 0
