"""`duelo clean` on time series: planted flat, short, copied, far-off and mislabelled series are found; the command
writes a report with line plots and a cleaned .npz the series reader takes, and refuses what it cannot check."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from duelo.cleaning.series_faults import find_series_faults
from duelo.cli.clean import is_series
from duelo.cli.main import main
from duelo.tasks.timeseries.data import SeriesData, load_series


def _planted():
    """300 noisy sines (class 0) and square waves (class 1) of 60 steps in original units, plus faults."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 4 * np.pi, 60)
    n = 300
    labels = np.arange(n) % 2
    phase = rng.uniform(0, np.pi, n)[:, None]
    shapes = np.where(labels[:, None] == 0, np.sin(t + phase), np.sign(np.sin(t + phase)))
    clean = 10 + 3 * shapes + rng.normal(0, 0.3, (n, 60))
    flipped = rng.choice(n, 8, replace=False)
    labels[flipped] = 1 - labels[flipped]
    copies = clean[:6].copy()
    far = 10 + 3 * np.sin(t)[None] * 12 + rng.normal(0, 0.3, (3, 60))          # twelve times the swing
    flat = np.full((2, 60), 10.0)
    windows = np.concatenate([clean, copies, far, flat])[..., None]
    all_labels = np.concatenate([labels, labels[:6], [0, 1, 0], [0, 1]])
    kind = ["clean"] * n + ["duplicate"] * 6 + ["outlier"] * 3 + ["degenerate"] * 2
    for i in flipped:
        kind[i] = "mislabelled"
    return windows, all_labels, kind


def _scaled(windows: np.ndarray) -> np.ndarray:
    low, high = windows.min(axis=(0, 1)), windows.max(axis=(0, 1))
    return (windows - low) / (high - low) * 2 - 1


def test_planted_faults_are_found():
    windows, labels, kind = _planted()
    faults = find_series_faults(_scaled(windows), None, labels, ["sine", "square"])
    for fault, recall in (("degenerate", 1.0), ("duplicate", 1.0), ("outlier", 1.0), ("mislabelled", 0.75)):
        found = [f.index for f in faults.findings if f.kind == fault]
        correct = sum(kind[i] == fault for i in found)
        assert correct >= 0.8 * len(found) and correct >= recall * kind.count(fault), (fault, found)
    copies = [f for f in faults.findings if f.kind == "duplicate"]
    assert all(np.array_equal(windows[f.related], windows[f.index]) for f in copies)
    assert len({f.index for f in faults.findings}) == len(faults.findings)       # one finding per item
    assert all(f.suggested == 1 - labels[f.index] for f in faults.findings if f.kind == "mislabelled")


def test_short_series_are_degenerate_and_lengths_bound_every_check():
    windows, _, _ = _planted()
    x = _scaled(windows[:100])
    lengths = np.full(100, 60)
    lengths[5] = 2                                                                # two steps: no shape
    x[7, 30:] = 5.0                                                               # past its end: not data
    lengths[7] = 30
    faults = find_series_faults(x, lengths, None)
    found = {f.index: f for f in faults.findings}
    assert found[5].kind == "degenerate" and "2 valid step" in found[5].reason
    assert 7 not in found                                 # its padding would make it an outlier if it were read
    assert "unlabelled" in faults.checked["mislabels"]


def test_the_command_checks_a_file_of_windows_and_writes_a_copy_the_reader_takes(tmp_path, capsys):
    windows, labels, kind = _planted()
    data = tmp_path / "series.npz"
    np.savez(data, windows=windows, labels=labels, class_names=np.array(["sine", "square"]),
             columns=np.array(["volts"]))
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    assert is_series(str(data)) and is_series("gunpoint") and not is_series(str(tmp_path / "missing.npz"))
    out = tmp_path / "checked"
    assert main(["clean", str(data), "--out", str(out), "--keep", "mislabelled"]) == 0
    said = capsys.readouterr().out
    assert "series checked" in said and "duplicates" in said and "was not changed" in said
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before
    report = json.loads((out / "report.json").read_text())
    removed = sum(v for k, v in report["counts"].items() if k != "mislabelled")
    assert report["items"] == len(windows) and report["kept_in_copy"] == len(windows) - removed
    assert removed >= kind.count("duplicate") + kind.count("outlier") + kind.count("degenerate")
    cleaned = load_series(str(out / "cleaned.npz"), window=None)
    assert len(cleaned) == report["kept_in_copy"] and cleaned.class_names == ["sine", "square"]
    assert cleaned.columns == ["volts"]
    kept = cleaned.to_original(cleaned.windows).numpy()
    assert np.allclose(kept[0], windows[0], atol=1e-9)                            # original units, not [-1, 1]
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64") >= removed
    assert main(["clean", str(data), "--out", str(tmp_path / "x"), "--alpha", "black"]) != 0
    assert "for images" in capsys.readouterr().err
    assert main(["clean", str(data), "--out", str(tmp_path / "y"), "--keep", "typo"]) != 0
    assert "unknown kind 'typo'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_overlapping_windows_of_one_series_are_refused(tmp_path, capsys, monkeypatch):
    import duelo.tasks.timeseries.data as series_data

    one = SeriesData(torch.zeros(50, 24, 1), torch.zeros(1), torch.ones(1), ["x"], "sines", per_series=50)
    monkeypatch.setattr(series_data, "load_series", lambda *args, **kwargs: one)
    assert main(["clean", "sines", "--out", str(tmp_path / "checked")]) != 0
    error = capsys.readouterr().err
    assert "overlapping windows" in error and "duelo clean FILE.csv" in error
    assert not (tmp_path / "checked").exists()


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_an_npz_without_windows_is_not_taken_for_series(tmp_path, content):
    path = tmp_path / "data.npz"
    if content is None:
        np.savez(path, images=np.zeros((2, 1, 4, 4), np.uint8))
    else:
        path.write_bytes(content)
    assert not is_series(str(path))


def test_sets_the_checks_cannot_learn_from_are_skipped_with_a_reason_not_a_crash():
    windows, labels, _ = _planted()
    x = _scaled(windows)
    one_of_a_class = labels[:60].copy()
    one_of_a_class[0] = 2                                      # a class of one item: left out of the label check
    faults = find_series_faults(x[:60], None, one_of_a_class, ["sine", "square", "odd"])
    assert "cross-fitted" in faults.checked["mislabels"]
    alone = find_series_faults(x[:60], None, np.r_[[1], np.zeros(59, int)], ["a", "b"])
    assert alone.checked["mislabels"] == "skipped: fewer than two classes with two items left to learn from"
    flat = find_series_faults(np.zeros((30, 20, 1)), None, None)
    assert flat.checked["outliers"] == "skipped: the statistics do not vary"
    assert {f.kind for f in flat.findings} == {"degenerate"} and len(flat.findings) == 30
