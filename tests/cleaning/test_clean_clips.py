"""`duelo clean` on sound clips: a planted silent clip, a clipped one, an exact copy, a copy made later and quieter,
one recorded far too quietly and a mislabelled tone are found, and nothing else is; the command writes a report with
spectrograms and players and a cleaned clips file the audio task reads, and refuses what does not apply."""

from __future__ import annotations

import json

import numpy as np
import pytest

from duelo.cleaning.clip_faults import best_shift, find_clip_copies, find_clip_faults
from duelo.cli.clean_clips import is_clips
from duelo.cli.main import main
from duelo.tasks.audio import clips as clip_store
from duelo.tasks.audio.data import read_clips
from duelo.tasks.audio.spectral import log_mel

RATE, LENGTH = 8000, 4096
BANDS = {"low": (180, 220), "mid": (780, 820), "high": (2900, 3100)}


def _tone(rng, low: float, high: float) -> np.ndarray:
    t = np.arange(LENGTH) / RATE
    amplitude = rng.uniform(0.2, 0.5)
    frequency = rng.uniform(low, high)
    decay = rng.uniform(3, 8)
    wave = amplitude * np.exp(-decay * t) * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi))
    strike = 0.15 * np.exp(-40 * t) * rng.normal(0, 1, LENGTH)      # each tone's own onset: no two sound the same
    return wave + strike + rng.normal(0, 0.002, LENGTH)


def _planted(tmp_path):
    """60 decaying tones, 20 in each of three bands, then the faults (index: kind)."""
    rng = np.random.default_rng(0)
    names = list(BANDS)
    waves = [_tone(rng, *BANDS[names[i % 3]]) for i in range(60)]
    labels = [i % 3 for i in range(60)]
    planted = {60: "degenerate", 61: "degenerate", 62: "duplicate", 63: "duplicate", 64: "outlier",
               65: "mislabelled"}
    waves.append(np.zeros(LENGTH))                                          # 60: silent
    waves.append(np.clip(5 * _tone(rng, *BANDS["mid"]), -1, 1))              # 61: clipped
    waves.append(waves[5].copy())                                           # 62: an exact copy of clip 5
    waves.append(0.5 * np.concatenate([np.zeros(200), waves[10][:-200]]))   # 63: clip 10, 25 ms later, -6 dB
    waves.append(_tone(rng, *BANDS["mid"]) * 10 ** (-50 / 20))              # 64: recorded 50 dB too quietly
    waves.append(_tone(rng, *BANDS["high"]))                                # 65: a high tone called low
    labels += [0, 1, 2, 1, 1, 0]
    clips = clip_store.Clips(clip_store.to_int16(np.stack(waves)), RATE, np.array(labels)[:, None], ["band"],
                             [names], [f"clip-{i}.wav" for i in range(len(waves))], "planted")
    path = clip_store.save(clips, tmp_path / "planted.npz")
    return path, clips, planted


def test_every_planted_fault_is_found_and_nothing_else(tmp_path):
    _, clips, planted = _planted(tmp_path)
    faults = find_clip_faults(clips.floats(), RATE, log_mel, clips.labels[:, 0], clips.class_names[0])
    found = {f.index: f for f in faults.findings}
    assert {i: f.kind for i, f in found.items()} == planted, [(f.index, f.kind, f.reason) for f in faults.findings]
    assert found[60].reason.startswith("silent") and found[61].reason.startswith("clipped")
    assert found[62].related == 5 and "exact copy" in found[62].reason
    assert found[63].related == 10 and "+25.0 ms later" in found[63].reason and "-6.0 dB" in found[63].reason
    assert found[64].reason.startswith("far too quiet") and "50 dB below the median clip's" in found[64].reason
    assert found[65].suggested == 2 and "'low' but looks like 'high'" in found[65].reason
    copies = find_clip_copies(clips.floats(), RATE, log_mel)          # what data.split=copies reads: the same
    assert [(f.index, f.kind, f.related, f.reason) for f in copies.findings] == [
        (f.index, f.kind, f.related, f.reason) for f in faults.findings if f.kind in ("degenerate", "duplicate")]
    assert "outliers" not in copies.checked and copies.copy_groups(len(clips))[62] == copies.copy_groups(len(clips))[5]


def test_the_best_shift_finds_a_delayed_copy_and_tells_unrelated_sounds_apart():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 1000)
    later = np.concatenate([np.zeros(37), a[:-37]]) * 0.3
    correlation, shift = best_shift(later, a)
    assert correlation > 0.98 and shift == 37
    assert best_shift(a, later)[1] == -37
    assert best_shift(-later, a)[0] > 0.98 and best_shift(-later, a)[1] == 37      # polarity inverted: a copy too
    assert best_shift(a, rng.normal(0, 1, 1000))[0] < 0.2
    assert best_shift(a, np.zeros(1000)) == (0.0, 0)


def test_the_command_writes_a_report_and_a_cleaned_clips_file(tmp_path, capsys):
    path, clips, planted = _planted(tmp_path)
    assert is_clips(str(path)) and not is_clips(str(tmp_path / "none.npz"))
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"degenerate": 2, "duplicate": 2, "outlier": 1, "mislabelled": 1}
    assert report["kept_in_copy"] == len(clips) - 6
    assert {f["name"] for f in report["findings"]} == {f"clip-{i}.wav" for i in planted}
    page = (out / "report.html").read_text()
    assert page.count("<audio") >= 8 and "data:audio/wav;base64," in page and "data:image/png;base64," in page
    cleaned = read_clips(str(out / "cleaned.npz"))
    assert len(cleaned) == len(clips) - 6 and cleaned.rate == RATE and cleaned.factors == ["band"]
    assert "clip-62.wav" not in cleaned.names and cleaned.names[:60] == clips.names[:60]
    assert "6 likely" not in capsys.readouterr().out                    # the summary counts, not a traceback
    kept = tmp_path / "kept"
    assert main(["clean", str(path), "--out", str(kept), "--keep", "duplicate"]) == 0
    assert len(read_clips(str(kept / "cleaned.npz"))) == len(clips) - 4


@pytest.mark.parametrize("options, words", [(["--run", "runs/x"], "that option is for images"),
                                            (["--keep", "typo"], "unknown kind 'typo' for sound clips"),
                                            (["--label", "band"], "that option is for tables")])
def test_what_does_not_apply_to_clips_is_refused_before_anything_is_written(tmp_path, capsys, options, words):
    path, _, _ = _planted(tmp_path)
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out), *options]) != 0
    assert words in capsys.readouterr().err and not out.exists()


def test_a_short_click_cut_flat_is_clipped_and_a_natural_peak_at_full_scale_is_not():
    from duelo.cleaning.clip_faults import degenerate

    t = np.arange(LENGTH) / RATE
    quiet = 0.3 * np.sin(2 * np.pi * 440 * t)
    clicked = quiet.copy()
    clicked[3000:3006] = 1.0                                                 # a click whose peak was cut: 6 samples
    slow = np.arange(16000) / 16000
    bass = np.sin(2 * np.pi * 20 * slow + 0.3)                   # 20 Hz at 16 kHz: 440 samples within 0.1 % of its top
    bass /= np.abs(bass).max()                                               # normalised: a 20 Hz peak at full scale
    as_read = lambda wave: clip_store.to_int16(wave[None])[0] / 32768.0      # noqa: E731  through 16 bits, as read
    assert degenerate(as_read(clicked)) == "clipped: 6 samples in a row held at full scale"
    assert degenerate(as_read(bass)) is None and degenerate(as_read(quiet)) is None
    assert degenerate(as_read(np.clip(4 * quiet, -1, 1))).startswith("clipped: ")     # a loud take: many at the rail
    assert degenerate(np.zeros(LENGTH)) == "silent: every sample is zero"
