"""The data layer of the time-series task (duelo.tasks.timeseries.data, files, sources): windowing, scaling,
labels, lengths, splits, the teaching errors, and the named sources read from PyPI wheels built here (no network;
the real wheels are tried only when $DUELO_PACKAGE_DIR holds them)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources import clients
from duelo.errors import ConfigError, DueloError
from duelo.tasks.timeseries import sources
from duelo.tasks.timeseries.data import SERIES_SOURCES, load_series

REAL_PACKAGE_DIR = os.environ.get(clients.PACKAGE_DIR_ENV)
PMDARIMA_WHEEL = "pmdarima-2.1.1-cp311-cp311-manylinux2014_x86_64.whl"
AEON_WHEEL = "aeon-1.6.0-py3-none-any.whl"
SKTIME_WHEEL = "sktime-1.2.0-py3-none-any.whl"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(clients.PACKAGE_DIR_ENV, raising=False)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


def table(rows: int, **columns) -> str:
    """CSV text with the given columns, each a function of the row number."""
    lines = [",".join(columns)] + [",".join(str(f(i)) for f in columns.values()) for i in range(rows)]
    return "\n".join(lines)


def original(data) -> np.ndarray:
    return data.to_original(data.windows).numpy()


# ---- windowing, scaling, labels ------------------------------------------------------------------------
def test_csv_windows_count_contents_and_stride(tmp_path: Path):
    path = write_csv(tmp_path / "two.csv", table(10, a=lambda i: i, b=lambda i: 100 + 2 * i))
    data = load_series(str(path), window=4)
    assert data.windows.shape == (7, 4, 2) and data.windows.dtype == torch.float32
    assert data.name == "two" and data.columns == ["a", "b"] and data.labels is None and data.lengths is None
    np.testing.assert_allclose(original(data)[3], [[3, 106], [4, 108], [5, 110], [6, 112]], atol=1e-5)
    strided = load_series(str(path), window=4, stride=3)
    assert len(strided) == 3                                                        # starts 0, 3, 6
    np.testing.assert_allclose(original(strided)[:, 0, 0], [0, 3, 6], atol=1e-5)


def test_scaling_maps_each_channel_to_minus_one_one_and_back(tmp_path: Path):
    values = np.random.default_rng(0).normal(size=(50, 3)) * [1.0, 1e3, 1e-3] + [0.0, 5e4, -7.0]
    path = tmp_path / "noise.csv"
    path.write_text("x,y,z\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in values) + "\n")
    data = load_series(str(path), window=5, stride=5)
    assert data.low.dtype == torch.float64
    np.testing.assert_array_equal(data.low.numpy(), values.min(axis=0))
    np.testing.assert_array_equal(data.high.numpy(), values.max(axis=0))
    flat = data.windows.reshape(-1, 3)
    assert flat.min(dim=0).values.tolist() == [-1.0, -1.0, -1.0] and flat.max(dim=0).values.tolist() == [1, 1, 1]
    span = values.max(axis=0) - values.min(axis=0)
    np.testing.assert_allclose(original(data).reshape(-1, 3), values, rtol=0, atol=1e-6 * span.max())


def test_constant_channel_maps_to_minus_one_without_dividing_by_zero(tmp_path: Path):
    path = write_csv(tmp_path / "flat.csv", table(6, level=lambda i: 5, x=lambda i: i))
    data = load_series(str(path), window=3)
    assert data.low[0] == 5 and data.high[0] == 6 and bool((data.windows[..., 0] == -1).all())
    assert torch.isfinite(data.windows).all() and any("constant channel(s) ['level']" in n for n in data.report)
    assert bool((data.to_original(data.windows)[..., 0] == 5).all())


def test_missing_rows_are_dropped_with_a_note_and_refused_above_a_fifth(tmp_path: Path):
    rows = [f"{i},{'' if i in (3, 11) else i}" for i in range(20)]
    path = write_csv(tmp_path / "gaps.csv", "t,v\n" + "\n".join(rows))
    data = load_series(str(path), window=2)
    assert len(data) == 17                                                          # 18 rows left
    assert any("2 rows with missing values dropped" in note for note in data.report)
    rows = [f"{i},{'' if i % 4 == 0 else i}" for i in range(20)]                    # 5 of 20 = 25 %
    with pytest.raises(DataError, match=r"gaps\.csv: 5 of 20 rows \(25%\).*'v': 5.*interpolate"):
        load_series(str(write_csv(tmp_path / "gaps.csv", "t,v\n" + "\n".join(rows))), window=2)


def test_label_is_the_last_step_and_text_and_date_columns_are_skipped(tmp_path: Path):
    path = write_csv(tmp_path / "states.csv", table(
        10, day=lambda i: f"2024-01-{i + 1:02d}", value=lambda i: i, state=lambda i: "calm" if i < 5 else "storm",
        comment=lambda i: f"note{i}"))
    data = load_series(str(path), window=3, label_column="state")
    assert data.class_names == ["calm", "storm"] and data.columns == ["value"]
    last_step = original(data)[:, -1, 0].round().astype(int)                       # row number of the last step
    assert data.labels.tolist() == [0 if row < 5 else 1 for row in last_step] == [0, 0, 0, 1, 1, 1, 1, 1]
    notes = " | ".join(data.report)
    assert "date column(s) ['day'] skipped" in notes and "non-numeric column(s) ['comment'] skipped" in notes


def test_folder_of_csvs_never_crosses_files_and_leaves_short_ones_out(tmp_path: Path):
    folder = tmp_path / "patients"
    folder.mkdir()
    write_csv(folder / "a.csv", table(6, hr=lambda i: i))
    write_csv(folder / "b.csv", table(5, hr=lambda i: 100 + i))
    write_csv(folder / "c.csv", table(2, hr=lambda i: 200 + i))
    (folder / "readme.txt").write_text("not a series")
    data = load_series(str(folder), window=4)
    assert len(data) == 3 + 2 and data.name == "patients"
    steps = original(data)[..., 0]
    assert np.allclose(np.diff(steps, axis=1), 1.0, atol=1e-4)                     # every window within one file
    assert np.allclose(steps[:, 0], [0, 1, 2, 100, 101], atol=1e-4)
    assert any("1 of 3 series shorter than one window" in note and "c.csv (2 rows)" in note for note in data.report)
    write_csv(folder / "d.csv", table(8, pulse=lambda i: i))
    with pytest.raises(DataError, match=r"d\.csv: lacks column\(s\) \['hr'\] that a\.csv has"):
        load_series(str(folder), window=4)


def test_max_windows_keeps_a_seeded_subset(tmp_path: Path):
    path = write_csv(tmp_path / "long.csv", table(100, v=lambda i: i))
    first, again = (load_series(str(path), window=5, max_windows=10, seed=1) for _ in range(2))
    other = load_series(str(path), window=5, max_windows=10, seed=2)
    assert len(first) == 10 and torch.equal(first.windows, again.windows) and not torch.equal(first.windows,
                                                                                             other.windows)
    assert np.allclose(np.diff(original(first)[..., 0], axis=1), 1.0, atol=1e-4)
    assert any("kept a random 10 of 96 windows" in note for note in first.report)


# ---- .npz and .ts ---------------------------------------------------------------------------------------
def test_npz_windows_are_used_as_is(tmp_path: Path):
    windows = np.random.default_rng(1).uniform(-3, 3, size=(6, 5, 2))
    lengths = np.array([5, 3, 5, 4, 5, 2])
    path = tmp_path / "ready.npz"
    np.savez(path, windows=windows, labels=np.array([0, 1, 2, 0, 1, 2]), lengths=lengths,
             columns=np.array(["u", "w"]))
    data = load_series(str(path), window=None)
    assert data.windows.shape == (6, 5, 2) and data.lengths.tolist() == lengths.tolist()
    assert data.columns == ["u", "w"] and data.class_names == ["0", "1", "2"] and data.labels.tolist()[:3] == [0, 1, 2]
    valid = np.arange(5) < lengths[:, None]
    np.testing.assert_allclose(original(data)[valid], windows[valid], atol=1e-5)
    assert float(data.windows[~torch.from_numpy(valid)].abs().max()) == 0.0          # padding: 0
    assert data.low.tolist() == windows[valid].min(axis=0).tolist()                # padding not counted
    with pytest.raises(DataError, match=r"ready\.npz: its windows have 5 steps but window=24.*--window 5"):
        load_series(str(path))
    np.savez(tmp_path / "other.npz", series=windows)
    with pytest.raises(DataError, match=r"other\.npz: no 'windows' array \(it holds \['series'\]\)"):
        load_series(str(tmp_path / "other.npz"), window=None)


TS_TEXT = """# a tiny multivariate, variable-length set
@problemName Tiny
@timeStamps false
@univariate false
@dimensions 2
@equalLength false
@classLabel true up down
@data
10,11,12:20,21,22:up
13,14,15,16,17:23,24,25,26,27:down
18,19,20,21:28,29,30,31:up
% a case with a gap inside: left out
1,?,3:4,5,6:down
"""


def test_ts_file_gives_variable_lengths_and_labels(tmp_path: Path):
    path = tmp_path / "Tiny_TRAIN.ts"
    path.write_text(TS_TEXT)
    data = load_series(str(path), window=None)
    assert data.windows.shape == (3, 5, 2) and data.lengths.tolist() == [3, 5, 4]
    assert data.class_names == ["up", "down"] and data.labels.tolist() == [0, 1, 0]
    assert data.low.tolist() == [10, 20] and data.high.tolist() == [21, 31]        # padding (0) not counted
    np.testing.assert_allclose(original(data)[1], [[13, 23], [14, 24], [15, 25], [16, 26], [17, 27]], atol=1e-5)
    assert data.windows[0, 3:].abs().max() == 0 and any("1 series with missing values" in n for n in data.report)
    assert any("window=24 ignored" in note for note in load_series(str(path)).report)
    path.write_text(TS_TEXT.replace("10,11,12:20,21,22:up", "10,11,12:20,21,22:sideways"))
    with pytest.raises(DataError, match=r"Tiny_TRAIN\.ts: labels \['sideways'\] are not among"):
        load_series(str(path), window=None)


def test_split_is_stratified_reproducible_and_keeps_the_scaling(tmp_path: Path):
    labels = np.array([0] * 20 + [1] * 10)
    np.savez(tmp_path / "classes.npz", windows=np.arange(30 * 4, dtype=np.float64).reshape(30, 4, 1), labels=labels)
    data = load_series(str(tmp_path / "classes.npz"), window=4)
    rest, held = data.split(0.2, seed=3)
    assert held.labels.bincount().tolist() == [4, 2] and len(rest) == 24
    again_rest, again_held = data.split(0.2, seed=3)
    assert torch.equal(held.windows, again_held.windows) and torch.equal(rest.windows, again_rest.windows)
    assert not torch.equal(held.windows, data.split(0.2, seed=4)[1].windows)
    seen = torch.cat([rest.windows, held.windows])[:, 0, 0].sort().values
    assert torch.equal(seen, data.windows[:, 0, 0].sort().values)                   # a partition
    assert torch.equal(held.low, data.low) and held.class_names == data.class_names
    with pytest.raises(ConfigError, match="split fraction"):
        data.split(1.0, seed=0)


# ---- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, kwargs, error, pattern", [
    ("missing", {}, DataError, r"no such file or folder: .*nowhere\.csv"),
    ("empty", {}, DataError, r"empty\.csv: the file is empty"),
    ("header", {}, DataError, r"header\.csv: a header but no data rows"),
    ("short", {"window": 24}, DataError, r"short\.csv: 5 usable rows, fewer than one window of 24 steps; give a "
                                         r"smaller window"),
    ("text", {}, DataError, r"text\.csv: no numeric column \(columns: \['name'\]\)"),
    ("unknown", {}, DataError, r"unknown time-series dataset 'sine'; choose one of: .*sines.*Did you mean 'sines'"),
    ("ok", {"window": 1}, ConfigError, r"window must be an integer >= 2"),
    ("ok", {"stride": 0}, ConfigError, r"stride must be an integer >= 1"),
    ("ok", {"label_column": "kind"}, DataError, r"ok\.csv: label_column 'kind' is not a column"),
    ("ok", {"channels": ["v", "w"]}, DataError, r"ok\.csv: channel column\(s\) \['w'\] are not in the file"),
    ("txt", {}, DataError, r"series\.txt: not a time-series file duelo reads"),
])
def test_user_mistakes_name_the_file_or_field(tmp_path: Path, case, kwargs, error, pattern):
    files = {"missing": tmp_path / "nowhere.csv", "unknown": Path("sine"), "txt": tmp_path / "series.txt"}
    (tmp_path / "empty.csv").write_text("")
    write_csv(tmp_path / "header.csv", "a,b")
    write_csv(tmp_path / "short.csv", table(5, v=lambda i: i))
    write_csv(tmp_path / "text.csv", table(5, name=lambda i: f"n{i}"))
    write_csv(tmp_path / "ok.csv", table(30, v=lambda i: i))
    (tmp_path / "series.txt").write_text("1\n2\n")
    spec = files.get(case, tmp_path / f"{case}.csv")
    with pytest.raises(error, match=pattern) as caught:
        load_series(str(spec), **kwargs)
    assert isinstance(caught.value, DueloError)                                     # one line, no traceback


# ---- named sources ------------------------------------------------------------------------------------
def test_registry_lists_the_sources():
    assert SERIES_SOURCES.names() == ["arrowhead", "basicmotions", "gunpoint", "italypowerdemand", "japanesevowels",
                                      "mitdb", "sines", "stocks"]
    stocks = SERIES_SOURCES.get("stocks")
    assert "msft" in stocks.description and "Google" in stocks.description
    assert stocks.download == "0.7 MB (PyPI pmdarima)" and SERIES_SOURCES.get("sines").available()


def test_sines_follow_timegan():
    data = load_series("sines", window=24, seed=5)
    assert data.windows.shape == (10_000, 24, 5) and data.labels is None
    assert torch.equal(data.windows, load_series("sines", window=24, seed=5).windows)
    assert not torch.equal(data.windows, load_series("sines", window=24, seed=6).windows)
    values = original(data)                                                          # sin(f t + phi)
    assert values[:, 0].min() >= 0 and values[:, 0].max() <= np.sin(0.1)            # phi ~ U(0, 0.1)
    frequency = np.arcsin(values[:, 1]) - np.arcsin(values[:, 0])                   # f t + phi < pi/2 at t = 1
    assert frequency.min() >= -1e-6 and frequency.max() <= 0.1 + 1e-6 and frequency.std() > 0.02
    assert load_series("sines", window=8, max_windows=100).windows.shape == (100, 8, 5)


def msft_wheel(folder: Path, rows: int = 30) -> Path:
    csv = table(rows, Date=lambda i: f"1986-03-{i + 1:02d}", Open=lambda i: 1 + i, High=lambda i: 2 + i,
                Low=lambda i: i, Close=lambda i: 1.5 + i, Volume=lambda i: 1000 * (i + 1), OpenInt=lambda i: 0)
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as archive:
        info = tarfile.TarInfo("msft.csv")
        info.size = len(csv.encode())
        archive.addfile(info, io.BytesIO(csv.encode()))
    return wheel(folder / PMDARIMA_WHEEL, {sources.MSFT_MEMBER: inner.getvalue()})


def aeon_wheel(folder: Path) -> Path:
    gunpoint = "@problemName GunPoint\n@timeStamps false\n@classLabel true 1 2\n@data\n"
    members = {
        "aeon/datasets/data/GunPoint/GunPoint_TRAIN.ts": gunpoint + "1,2,3,4:1\n2,3,4,5:2\n",
        "aeon/datasets/data/GunPoint/GunPoint_TEST.ts": gunpoint + "3,4,5,6:2\n",
        "aeon/datasets/data/JapaneseVowels/JapaneseVowels_TRAIN.ts": TS_TEXT,
        "aeon/datasets/data/JapaneseVowels/JapaneseVowels_TEST.ts": TS_TEXT.replace("18,19,20,21:28,29,30,31",
                                                                                    "1,2:3,4"),
    }
    return wheel(folder / AEON_WHEEL, {name: text.encode() for name, text in members.items()})


def wheel(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def no_network(monkeypatch: pytest.MonkeyPatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the registry client must not run")

    monkeypatch.setattr(clients.subprocess, "run", refuse)


def test_stocks_from_a_wheel_given_with_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    no_network(monkeypatch)
    source = SERIES_SOURCES.get("stocks")
    assert not source.available()
    message = source.fetch_from(msft_wheel(tmp_path / "got"), False)
    assert "30 steps × 5 channels" in message and source.available()
    data = load_series("stocks", window=5)
    assert data.windows.shape == (26, 5, 5) and data.columns == ["Open", "High", "Low", "Close", "Volume"]
    assert data.low.tolist() == [1, 2, 0, 1.5, 1000] and data.name == "stocks"
    notes = " | ".join(data.report)
    assert "date column(s) ['Date'] skipped" in notes and "['OpenInt'] not among the channels" in notes
    assert load_series("stocks", window=5, channels=["Close"]).columns == ["Close"]


def test_ucr_sets_from_the_package_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    no_network(monkeypatch)
    monkeypatch.setenv(clients.PACKAGE_DIR_ENV, str(aeon_wheel(tmp_path / "wheels").parent))
    gunpoint = load_series("gunpoint")
    assert SERIES_SOURCES.get("japanesevowels").available()                       # cached from the same wheel
    assert not SERIES_SOURCES.get("basicmotions").available()                     # not in this wheel: left alone
    assert gunpoint.windows.shape == (3, 4, 1) and gunpoint.labels.tolist() == [0, 1, 1]
    assert gunpoint.class_names == ["1", "2"] and gunpoint.lengths is None
    assert any("TRAIN (2) and TEST (1) series joined" in note for note in gunpoint.report)
    assert any("window=24 ignored" in note for note in gunpoint.report)
    vowels = load_series("japanesevowels", window=None)
    assert vowels.windows.shape == (6, 5, 2) and vowels.lengths.tolist() == [3, 5, 4, 3, 5, 2]
    assert vowels.labels.tolist() == [0, 1, 0, 0, 1, 0]


def test_first_use_runs_pip_download_in_a_temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture):
    source_wheel = msft_wheel(tmp_path / "elsewhere")
    calls = []

    def fake_run(command, cwd, **kwargs):
        calls.append(command)
        (Path(cwd) / source_wheel.name).write_bytes(source_wheel.read_bytes())
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(clients.subprocess, "run", fake_run)
    assert len(load_series("stocks", window=10)) == 21
    assert calls and calls[0][1:6] == ["-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    assert "pmdarima==2.1.1" in calls[0] and "fetching stocks once" in capsys.readouterr().err
    load_series("stocks", window=10)
    assert len(calls) == 1                                                           # cached


def test_unavailable_wrong_and_damaged_packages_teach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sources, "_pip_available", lambda: False)
    with pytest.raises(DatasetUnavailableError) as caught:
        load_series("gunpoint")
    text = str(caught.value)
    assert "pip download --no-deps --only-binary=:all: aeon==1.6.0" in text
    assert "--from FILE.whl" in text and clients.PACKAGE_DIR_ENV in text
    wrong = wheel(tmp_path / AEON_WHEEL, {"aeon/__init__.py": b""})
    with pytest.raises(DataError, match=r"aeon-1\.6\.0-py3-none-any\.whl: no member .*GunPoint_TRAIN\.ts; this is "
                                        r"not the aeon 1\.6\.0 wheel"):
        SERIES_SOURCES.get("gunpoint").fetch_from(wrong, False)
    SERIES_SOURCES.get("gunpoint").fetch_from(aeon_wheel(tmp_path / "good"), False)
    sources.store_path(sources.PackageSeries("gunpoint", "", "aeon", "1.6.0", 0, (), None)).write_bytes(b"junk")
    with pytest.raises(DataError, match=r"gunpoint cache file .* is damaged .*delete it"):
        load_series("gunpoint")


@pytest.mark.parametrize("name, shape", [("stocks", (7960, 24, 5)), ("gunpoint", (200, 150, 1)),
                                         ("japanesevowels", (640, 29, 12))])
def test_real_packages_when_at_hand(name: str, shape: tuple, monkeypatch: pytest.MonkeyPatch):
    package, version = ("pmdarima", "2.1.1") if name == "stocks" else ("aeon", "1.6.0")
    if not REAL_PACKAGE_DIR:
        pytest.skip(f"set {clients.PACKAGE_DIR_ENV} to a folder holding the {package} {version} wheel")
    monkeypatch.setenv(clients.PACKAGE_DIR_ENV, REAL_PACKAGE_DIR)
    if clients.file_in_package_dir("pypi", package, version) is None:
        pytest.skip(f"no {package} {version} wheel in {REAL_PACKAGE_DIR}")
    no_network(monkeypatch)
    data = load_series(name, window=24)
    assert tuple(data.windows.shape) == shape


def test_the_readers_module_can_be_imported_first():
    module = "files"                                   # it imports data.py; data.py imports it only in register_all
    code = (f"import duelo.tasks.timeseries.{module}; from duelo.tasks.timeseries.data import SERIES_SOURCES, "
            f"SERIES_FILES, register_all; register_all(); assert len(SERIES_SOURCES) == 8 and '.ts' in SERIES_FILES")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_mitdb_ecg_windows_take_their_last_steps_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    no_network(monkeypatch)
    csv = "data,label\n" + "".join(f"{0.01 * i:.2f},{int(12 <= i < 15)}\n" for i in range(20))
    monkeypatch.setenv(clients.PACKAGE_DIR_ENV, str(wheel(tmp_path / "w" / SKTIME_WHEEL,
                                                          {sources.MITDB_ECG: csv.encode()}).parent))
    data = load_series("mitdb", window=4)
    assert data.windows.shape == (17, 4, 1) and data.columns == ["ecg"] and data.class_names == ["anomaly", "normal"]
    anomalous = [k for k, label in enumerate(data.labels.tolist()) if data.class_names[label] == "anomaly"]
    assert anomalous == [9, 10, 11]                       # windows ending at steps 12, 13, 14
    assert any("less than one heartbeat" in note for note in data.report)
    np.testing.assert_allclose(original(data)[0, :, 0], [0.0, 0.01, 0.02, 0.03], atol=1e-6)


def test_a_damaged_mitdb_table_is_refused_before_caching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    no_network(monkeypatch)
    source = SERIES_SOURCES.get("mitdb")
    bad = wheel(tmp_path / SKTIME_WHEEL, {sources.MITDB_ECG: b"data,label\n0.1,7\n0.2,0\n"})
    with pytest.raises(DataError, match="labels other than 0 and 1"):
        source.fetch_from(bad, False)
    assert not source.available()
