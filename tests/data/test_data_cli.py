"""`duelo datasets`, `duelo datasets fetch`, `duelo data check`: output a user reads, and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duelo.cli.main import cli, main


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("argv", [["datasets", "--help"], ["datasets", "fetch", "--help"],
                                  ["data", "--help"], ["data", "check", "--help"]])
def test_help(argv: list[str]):
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4


def test_datasets_lists_every_source(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path):
    monkeypatch.setenv("DUELO_FASHION_MNIST_DIR", str(tmp_path / "absent"))
    status, out, _ = run(["datasets"], capsys)
    assert status == 0
    for name in ("mnist-5k", "digits", "mnist", "fashion-mnist", "sines", "stocks", "gunpoint"):
        assert name in out
    assert "time series" in out
    assert "(default)" in out
    assert "apt-get install dataset-fashion-mnist" in out               # how to get the missing one


def test_fetch_embedded_says_nothing_to_do(capsys: pytest.CaptureFixture):
    status, out, _ = run(["datasets", "fetch", "mnist-5k"], capsys)
    assert status == 0 and "nothing to fetch" in out
    status, out, _ = run(["datasets", "fetch", "sines"], capsys)              # a time-series source
    assert status == 0 and "nothing to fetch" in out


def test_fetch_fashion_missing_prints_apt(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path):
    monkeypatch.setenv("DUELO_FASHION_MNIST_DIR", str(tmp_path / "absent"))
    status, _, err = run(["datasets", "fetch", "fashion-mnist"], capsys)
    assert status == 2 and "sudo apt-get update && sudo apt-get install dataset-fashion-mnist" in err


def test_fetch_unknown_name(capsys: pytest.CaptureFixture):
    status, _, err = run(["datasets", "fetch", "cifar10"], capsys)
    assert status == 2 and "choose one of" in err


def test_check_bad_corpus_exits_1_and_names_each_file(corpus: Path, bad_reasons: dict[str, str],
                                                      capsys: pytest.CaptureFixture, tmp_path: Path):
    report_path = tmp_path / "report.json"
    argv = ["data", "check", str(corpus), "--resolution", "32", "--json", str(report_path)]
    status, out, _ = run(argv, capsys)
    assert status == 1
    for name, reason in bad_reasons.items():
        line = next(line for line in out.splitlines() if line.strip().startswith("skipped") and name in line)
        assert reason in line, line
    assert "FAILED" in out and "17 image files: 12 readable, 5 bad" in out
    assert "mixed sizes" in out and "32×32" in out
    saved = json.loads(report_path.read_text())
    assert saved["summary"]["skipped"] == 5 and saved["source"] == str(corpus)


def test_check_quiet_hides_notes(corpus: Path, capsys: pytest.CaptureFixture):
    status, out, _ = run(["data", "check", "-q", str(corpus)], capsys)
    listed = out.split("FAILED")[0].splitlines()
    assert status == 1 and "empty file (0 bytes)" in out
    assert listed and all(line.strip().startswith("skipped") for line in listed)


def test_check_clean_folder_exits_0(clean_folder: Path, capsys: pytest.CaptureFixture):
    status, out, _ = run(["data", "check", str(clean_folder)], capsys)
    assert status == 0 and "OK" in out and "3 image files: 3 readable, 0 bad" in out


def test_check_empty_folder_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture):
    (tmp_path / "empty").mkdir()
    status, out, _ = run(["data", "check", str(tmp_path / "empty")], capsys)
    assert status == 1 and "no image files found" in out


def test_check_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture):
    status, _, err = run(["data", "check", str(tmp_path / "nowhere")], capsys)
    assert status == 2 and err.startswith("error: no such file or folder:")


def test_check_json_to_stdout(clean_folder: Path, capsys: pytest.CaptureFixture):
    status, out, _ = run(["data", "check", str(clean_folder), "--json", "-"], capsys)
    assert status == 0
    assert json.loads(out[out.index("{"):])["summary"]["used"] == 3
