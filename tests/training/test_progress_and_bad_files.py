"""Progress output in both modes, and training's bad-file policy end to end."""

import io
import json

from PIL import Image

from duelo.cli.main import main
from duelo.training.progress import Progress, format_duration


def test_plain_progress_line_has_kimg_rate_eta_and_losses():
    stream = io.StringIO()
    progress = Progress(total_kimg=10.0, stream=stream, live=False)
    progress.update(2.5, 500.0, {"loss_D": 0.5, "loss_G": 1.25, "D_real": 0.1, "D_fake": -0.2, "other": 9})
    line = stream.getvalue()
    assert "2.5/10.0 kimg" in line and "500 img/s" in line and "ETA 0m15s" in line
    assert "loss_D 0.500" in line and "loss_G 1.250" in line and "other" not in line


def test_live_progress_bar_renders():
    stream = io.StringIO()
    progress = Progress(total_kimg=4.0, stream=stream, live=True)
    progress.update(1.0, 100.0, {"loss_D": 0.7})
    progress.message("snapshot")
    progress.close()
    text = stream.getvalue()
    assert "kimg" in text and "snapshot" in text


def test_format_duration():
    assert format_duration(59.6) == "1m00s" and format_duration(3725) == "1h02m"


def make_folder(root, bad: bool):
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(20):
            Image.new("L", (8, 8), color=(i * 10 + (100 if label == "b" else 0)) % 256).save(root / label / f"{i}.png")
    if bad:
        (root / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)


ARGS = ["--resolution", "8", "--width", "8", "--z-dim", "8", "--batch", "16", "--kimg", "0.032",
        "--snapshot-kimg", "0.032", "--log-kimg", "0.016", "--set", "run.grid_samples=4"]


def test_skip_policy_trains_and_lists_the_bad_file(tmp_path, capsys):
    make_folder(tmp_path / "data", bad=True)
    assert main(["train", "--dataset", str(tmp_path / "data"), *ARGS, "--out", str(tmp_path / "runs"),
                 "--name", "skip"]) == 0
    report = json.loads((tmp_path / "runs" / "skip" / "data_report.json").read_text())
    skipped = [e for e in report["entries"] if e["status"] == "skipped"]
    assert len(skipped) == 1 and skipped[0]["path"].endswith("broken.png")
    assert "1 unreadable file(s) skipped" in capsys.readouterr().err


def test_refuse_policy_stops_before_writing_anything(tmp_path, capsys):
    make_folder(tmp_path / "data", bad=True)
    assert main(["train", "--dataset", str(tmp_path / "data"), *ARGS, "--bad-files", "refuse",
                 "--out", str(tmp_path / "runs")]) == 2
    assert "broken.png" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
