"""The named audio sources read from made-up Debian packages: drum one-shots labelled from their kit's
drumkit.xml and file names, spoken words labelled by language folder, broken and silent files left out with a
note, the store cached and read back; `duelo datasets fetch NAME --from FILE` and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from duelo.cli.main import main
from duelo.data.errors import DataError
from duelo.data.sources import clients
from duelo.tasks.audio import sources
from duelo.tasks.audio.clips import load
from duelo.io.wav import write_wav
from tests.audio.made_up import tone
from tests.data.test_data_package_sources import write_deb

pytest.importorskip("soundfile")

KIT = """<?xml version="1.0"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit"><name>Test</name><instrumentList>
 <instrument><id>0</id><name>Kick Deep</name><layer><filename>a.wav</filename></layer></instrument>
 <instrument><id>1</id><name>Closed HH</name><layer><filename>b.wav</filename></layer></instrument>
</instrumentList></drumkit_info>"""


def wav_bytes(wave: np.ndarray, rate: int, tmp_path: Path) -> bytes:
    path = write_wav(tmp_path / "one.wav", wave, rate)
    return path.read_bytes()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(clients.PACKAGE_DIR_ENV, raising=False)


def test_drums_are_read_labelled_and_cached(tmp_path, capsys):
    folder = sources.DRUM_FOLDER + "Test/"
    deb = write_deb(tmp_path / "hydrogen-drumkits_1_all.deb", {
        folder + "drumkit.xml": KIT.encode(),
        folder + "a.wav": wav_bytes(tone("sine", 40, 0.5, 8000, 44100, delay=2000), 44100, tmp_path),
        folder + "b.wav": wav_bytes(tone("square", 90, 0.2, 4000, 48000), 48000, tmp_path),
        folder + "tom-low.wav": wav_bytes(tone("sine", 50, 0.9, 20000, 16000), 16000, tmp_path),
        folder + "silence.wav": wav_bytes(np.zeros(1000, np.float32), 16000, tmp_path),
        folder + "broken.flac": b"not a sound",
    })
    assert main(["datasets", "fetch", "drums", "--from", str(deb)]) == 0
    assert "3 clips" in capsys.readouterr().out
    clips = load(sources.store_path("drums"))
    kinds = {name.rsplit("/", 1)[1]: clips.class_names[0][k] for name, k in zip(clips.names, clips.labels[:, 0])}
    assert kinds == {"a.wav": "kick", "b.wav": "hihat", "tom-low.wav": "tom"}
    assert clips.rate == sources.RATE and clips.waves.shape == (3, sources.LENGTH)
    peaks = np.abs(clips.floats()).max(axis=1)
    np.testing.assert_allclose(peaks, 0.9, atol=2e-3)              # every one-shot brought to one peak
    assert any("libsndfile could not read" in note for note in clips.notes)
    assert any("silent" in note for note in clips.notes)
    first = clips.floats()[list(kinds).index("a.wav")]
    assert abs(first[0]) > 0.0 or abs(first[1]) > 0.0              # the leading silence was trimmed


def test_words_are_labelled_by_language_whatever_their_format(tmp_path):
    members = {f"{sources.WORD_FOLDER}{lang}/{word}": wav_bytes(tone("sine", 60 + k, 0.5, 6000, 22050), 22050, tmp_path)
               for k, (lang, word) in enumerate([("de", "ball.ogg"), ("de", "hat.ogg"), ("fr", "ball.opus"),
                                                 ("es", "bigote.wav")])}     # the package holds all three kinds
    members[sources.WORD_FOLDER + "de.soundtheme"] = b"<language/>"
    members[sources.WORD_FOLDER + "de/extra/deeper.ogg"] = members[sources.WORD_FOLDER + "de/ball.ogg"]
    clips = sources._build(sources.SPOKEN, write_deb(tmp_path / "ktuberling-data_1_all.deb", members))
    assert clips.factors == ["language"] and clips.class_names == [["de", "es", "fr"]]
    assert sorted(clips.labels[:, 0].tolist()) == [0, 0, 1, 2]


def test_a_package_without_sounds_is_refused_with_how_to_get_it(tmp_path):
    deb = write_deb(tmp_path / "other_1_all.deb", {"usr/share/doc/x": b"nothing"})
    with pytest.raises(DataError, match="not the hydrogen-drumkits package.*apt-get download"):
        sources.fetch(_drums_spec(), from_file=deb)
    assert not sources.store_path("drums").exists()


def _drums_spec() -> sources.PackageSounds:
    return sources.PackageSounds("drums", "hydrogen-drumkits",
                                 lambda m: m.startswith(sources.DRUM_FOLDER), sources._drums, "", "", "")


def test_the_notes_are_rendered_from_a_sound_font_when_tinysoundfont_is_there(tmp_path):
    from duelo.tasks.audio import notes

    pytest.importorskip("tinysoundfont")
    with pytest.raises(DataError, match="cannot read the sound font"):
        notes.render_notes(b"not a sound font", programs=((0, "piano"),), pitches=(60,), velocities=(100,))
    assert notes.pitch_name(60) == "C4" and notes.pitch_name(69) == "A4"


def test_fetch_names_a_missing_file():
    assert main(["datasets", "fetch", "drums", "--from", "/nonexistent.deb"]) != 0


def test_decoding_a_junk_file_names_it():
    from duelo.tasks.audio.decode import decode_audio

    with pytest.raises(DataError, match="kit/x.wav: not a sound file"):
        decode_audio(b"RIFF....junk", "kit/x.wav")
