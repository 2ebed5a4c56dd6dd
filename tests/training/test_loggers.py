"""Logging to TensorBoard and MLflow (duelo.training.loggers, docs/logging.md): every number and file they hold is
the run folder's (metrics.jsonl, health.jsonl, samples/), once per step also across a SIGKILL and resume, a
divergence rollback and an export after the fact; snapshots of images, sounds and text arrive as such; a missing
package, an unknown name or a server address is a clear error; a failing logger never stops training; nothing
reaches the network."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from duelo.cli.main import main
from duelo.training.loggers.tensorboard_logger import TensorBoardLogger
from tests.training.helpers import run_cli

TOY = ["train", "--task", "toy", "--kimg", "2", "--snapshot-kimg", "1", "--log-kimg", "0.5", "--seed", "0"]
WALL_CLOCK = {"img_per_s", "time_s"}          # the only fields a resumed run does not log identically


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def expected_scalars(run: Path, skip: set[str] = frozenset()) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value)]} as the run folder holds them: metrics.jsonl's numbers, health.jsonl's signals (a
    signal that could not be measured is null there, and not logged)."""
    series: dict[str, list[tuple[int, float]]] = {}
    for record in _lines(run / "metrics.jsonl"):
        for key, value in record.items():
            if key not in ("nimg", "kimg", *skip):
                series.setdefault(key, []).append((record["nimg"], value))
    for record in _lines(run / "health.jsonl"):
        for key, value in record.get("signals", {}).items():
            if value is not None:
                series.setdefault(f"health/{key}", []).append((record["nimg"], value))
    assert series and all(steps for steps in series.values())
    return series


def board(run: Path) -> EventAccumulator:
    events = EventAccumulator(str(run / "tensorboard"),
                              size_guidance={"scalars": 0, "images": 0, "audio": 0, "tensors": 0, "histograms": 0})
    events.Reload()
    return events


def assert_board_matches(run: Path) -> EventAccumulator:
    """Each scalar once per step, equal (as float32) to the run folder's value."""
    events = board(run)
    for tag, series in expected_scalars(run).items():
        got = [(point.step, point.value) for point in events.Scalars(tag)]
        assert [step for step, _ in got] == [step for step, _ in series], tag
        assert [value for _, value in got] == pytest.approx([value for _, value in series], rel=1e-6), tag
    return events


def mlflow_run(run: Path):
    from mlflow.tracking import MlflowClient

    (uri, run_id), = json.loads((run / "mlflow.json").read_text())["runs"].items()
    assert uri == (run / "mlruns").resolve().as_uri()
    return MlflowClient(tracking_uri=uri), run_id


def assert_mlflow_matches(run: Path, skip: set[str] = frozenset(), latest_wins: bool = False) -> None:
    """Each metric once per step (or, after a rollback, the latest value logged at each step) equal to the run
    folder's."""
    client, run_id = mlflow_run(run)
    for key, series in expected_scalars(run, skip).items():
        history = client.get_metric_history(run_id, key)
        if latest_wins:
            history = list({m.step: m for m in sorted(history, key=lambda m: m.timestamp)}.values())
        got = sorted((m.step, m.value) for m in history)
        assert [step for step, _ in got] == [step for step, _ in series], key
        assert [value for _, value in got] == pytest.approx([value for _, value in series], rel=1e-9), key


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt (MLflow's usage reports included) is recorded and refused."""
    attempts: list = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for name in ("MLFLOW_DISABLE_TELEMETRY", "MLFLOW_ALLOW_FILE_STORE"):   # restored after the test
        monkeypatch.setenv(name, "true")
    yield attempts
    assert not attempts, attempts


@pytest.mark.slow
def test_a_killed_and_resumed_run_is_logged_once_per_step(tmp_path, no_network):
    args = [*TOY, "--log-to", "tensorboard,mlflow", "--out", str(tmp_path), "--name", "r"]
    killed = run_cli(args, tmp_path, fault="iteration:7")            # after the 1.0 kimg snapshot and 1.5's line
    assert killed.returncode == -9, killed.stderr
    run = tmp_path / "r"
    assert [r["nimg"] for r in _lines(run / "metrics.jsonl")] == [512, 1024, 1536]
    assert [p.step for p in board(run).Scalars("loss_D")] == [512, 1024, 1536]
    done = run_cli(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "resuming from ckpt-000000001024" in done.stderr

    events = assert_board_matches(run)                               # 1536 logged again: shown once
    assert [p.step for p in events.Scalars("loss_D")] == [512, 1024, 1536, 2048]
    images = events.Images("samples/points")
    assert [image.step for image in images] == [1024, 2048]
    for image in images:
        assert image.encoded_image_string == (run / "samples" / f"points-{image.step:09d}.png").read_bytes()
    assert json.loads((run / "tensorboard" / "synced.json").read_text()) == {"synced_nimg": 2048}
    assert_mlflow_matches(run, skip=WALL_CLOCK)                      # the store's 1536 is kept, not doubled
    client, run_id = mlflow_run(run)
    assert client.get_run(run_id).info.status == "FINISHED"
    assert sorted(a.path for a in client.list_artifacts(run_id, "samples")) == \
        ["samples/points-000001024.png", "samples/points-000002048.png"]


def test_a_divergence_rollback_replaces_the_logged_steps(tmp_path, monkeypatch, no_network):
    from duelo import faults

    monkeypatch.setenv("DUELO_INJECT_NAN", "6")        # NaN after iteration 6: back to the 1.0 kimg checkpoint
    faults.reset()
    assert main([*TOY, "--log-to", "tensorboard,mlflow", "--out", str(tmp_path), "--name", "n"]) == 0
    run = tmp_path / "n"
    events = [r["event"] for r in _lines(run / "health.jsonl") if r.get("kind") == "event"]
    assert "rollback" in events
    board_events = assert_board_matches(run)           # the values after the rollback, each step once
    assert len(board_events.Tensors("health/rollback/text_summary")) == 1
    assert_mlflow_matches(run, latest_wins=True)       # MLflow keeps both; the latest is the run folder's


def test_image_grids_and_periodic_evaluations_reach_tensorboard(tmp_path):
    from tests.training.helpers import TINY_ARGS

    assert main(["train", *TINY_ARGS, "--conditional", "--kimg", "0.32", "--eval-every", "0.16",
                 "--set", "run.eval_samples=200", "--log-to", "tensorboard", "--out", str(tmp_path),
                 "--name", "g"]) == 0
    run = tmp_path / "g"
    events = assert_board_matches(run)
    grids = events.Images("samples/grid")
    assert [grid.step for grid in grids] == [160, 320]
    assert all(grid.encoded_image_string == (run / "samples" / f"grid-{grid.step:09d}.png").read_bytes()
               for grid in grids)
    evaluations = _lines(run / "eval.jsonl")
    shown = events.Scalars("eval/fd_domain")
    assert [point.step for point in shown] == [line["nimg"] for line in evaluations] == [160, 320]
    assert [point.value for point in shown] == pytest.approx([line["fd_domain"] for line in evaluations], rel=1e-6)


def test_audio_snapshots_arrive_as_images_and_sound_with_weight_histograms(tmp_path):
    from tests.audio.made_up import RATE, made_up_clips

    tones = made_up_clips(tmp_path / "tones.npz")
    assert main(["train", "--task", "audio", "--model", "wavegan", "--width", "4", "--batch", "8", "--seed", "1",
                 "--dataset", str(tones), "--kimg", "0.05", "--set", "run.snapshot_kimg=0.05",
                 "--set", "run.log_kimg=0.05", "--set", "audio.eval_clips=16", "--set", "audio.scorer_epochs=1",
                 "--log-to", "tensorboard", "--set", "run.log_histograms=true",
                 "--out", str(tmp_path), "--name", "a"]) == 0
    run = tmp_path / "a"
    events = assert_board_matches(run)
    step = _lines(run / "metrics.jsonl")[-1]["nimg"]
    picture, = events.Images("samples/spectrograms")
    assert picture.step == step
    assert picture.encoded_image_string == (run / "samples" / f"spectrograms-{step:09d}.png").read_bytes()
    sound, = events.Audio("samples/clips")
    assert (sound.step, sound.sample_rate, sound.content_type) == (step, RATE, "audio/wav")
    assert sound.encoded_audio_string == (run / "samples" / f"clips-{step:09d}.wav").read_bytes()
    histograms = [tag for tag in events.Tags()["histograms"] if tag.startswith("weights/")]
    assert any(tag.startswith("weights/G/") for tag in histograms)
    assert any(tag.startswith("weights/D/") for tag in histograms)
    assert {point.step for point in events.Histograms(histograms[0])} == {0, step}    # the start and the snapshot


def test_text_samples_reach_tensorboard_and_mlflow_without_network(tmp_path, no_network):
    names = tmp_path / "names.txt"
    names.write_text("".join(f"{syllable * (1 + k % 3)}a\n" for k in range(100) for syllable in ("ka", "lo")))
    assert main(["train", "--task", "text", "--model", "mle", "--width", "16", "--batch", "32", "--seed", "1",
                 "--set", "text.embed=8", "--set", "text.representations=2", "--set", "text.eval_samples=16",
                 "--dataset", str(names), "--kimg", "0.128", "--set", "run.snapshot_kimg=0.128",
                 "--set", "run.log_kimg=0.064", "--log-to", "tensorboard,mlflow",
                 "--out", str(tmp_path), "--name", "t"]) == 0
    run = tmp_path / "t"
    sample = run / "samples" / "text-000000128.txt"
    written = sample.read_text().splitlines()
    shown, = board(run).Tensors("samples/text/text_summary")
    assert shown.step == 128
    assert [line.strip() for line in shown.tensor_proto.string_val[0].decode().splitlines()] == written
    assert_mlflow_matches(run)
    client, run_id = mlflow_run(run)
    copy = Path(client.download_artifacts(run_id, "samples/text-000000128.txt", str(tmp_path)))
    assert copy.read_bytes() == sample.read_bytes()
    params = client.get_run(run_id).data.params
    assert params["task"] == "text" and params["text.embed"] == "8" and params["run.loggers"] == '["tensorboard", ' \
                                                                                                 '"mlflow"]'
    summary = json.loads(Path(client.download_artifacts(run_id, "summary.json", str(tmp_path))).read_text())
    assert summary == json.loads((run / "summary.json").read_text())


def test_export_fills_loggers_from_a_run_folder_once(tmp_path, capsys, no_network):
    assert main([*TOY, "--out", str(tmp_path), "--name", "e"]) == 0
    run = tmp_path / "e"
    assert not (run / "tensorboard").exists() and not (run / "mlruns").exists()
    for _ in range(2):                                  # a second export adds nothing twice
        assert main(["logs", "export", str(run), "--to", "tensorboard,mlflow"]) == 0
        assert "tensorboard: up to date" in capsys.readouterr().out
        events = assert_board_matches(run)
        assert_mlflow_matches(run)
    assert [image.step for image in events.Images("samples/points")] == [1024, 2048]
    capacity = events.Tensors("health/capacity/text_summary")
    assert capacity[0].step == 0 and b"parameters" in capacity[0].tensor_proto.string_val[0]
    client, run_id = mlflow_run(run)
    assert client.get_run(run_id).info.status == "FINISHED"
    assert [a.path for a in client.list_artifacts(run_id, "health")] == ["health/000000000-capacity.txt"]
    assert main(["logs", "export", str(run), "--to", "mlflow", "--mlflow-uri", "https://mlflow.example"]) == 2
    assert "--mlflow-uri must be a local folder" in capsys.readouterr().err


def test_a_failing_logger_is_dropped_and_training_goes_on(tmp_path, monkeypatch, capsys, no_network):
    def broken(self, nimg, sample):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TensorBoardLogger, "sample", broken)
    assert main([*TOY, "--log-to", "tensorboard,mlflow", "--out", str(tmp_path), "--name", "f"]) == 0
    err = capsys.readouterr().err
    assert "warning: logging to tensorboard stopped" in err and "duelo logs export" in err
    assert_mlflow_matches(tmp_path / "f")                # the other logger got everything


def test_records_become_named_scalars():
    from duelo.training.loggers.mirror import numbers

    record = {"nimg": 4096, "kimg": 4.096, "kind": "signals", "fid": 31.5, "diverged": True, "not_finite": float("nan"),
              "per_class": {"0": 0.9, "1": 1}, "samples": [1, 2], "metric": "fid"}
    assert numbers(record, "eval/") == {"eval/fid": 31.5, "eval/per_class/0": 0.9, "eval/per_class/1": 1.0}


@pytest.mark.parametrize("args, message", [
    (["--log-to", "tensorbord"], "run.loggers: unknown logger 'tensorbord'; choose one of: mlflow, tensorboard. "
                                 "Did you mean 'tensorboard'?"),
    (["--log-to", "mlflow", "--mlflow-uri", "http://127.0.0.1:5000"], "run.mlflow_uri must be a local folder"),
    (["--log-to", "mlflow", "--mlflow-uri", "file://server/share/mlruns"], "run.mlflow_uri must be a local folder"),
])
def test_wrong_settings_are_refused_before_any_work(args, message, tmp_path, capsys):
    assert main([*TOY, *args, "--out", str(tmp_path), "--name", "x"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("logger, module", [("tensorboard", "tensorboard"), ("mlflow", "mlflow")])
def test_a_missing_package_names_the_install_command(logger, module, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)       # `import module` now fails as if it were not installed
    assert main([*TOY, "--log-to", logger, "--out", str(tmp_path), "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert f"run.loggers: {logger} needs the {module} package" in err and f"pip install 'duelo[{logger}]'" in err
    assert not (tmp_path / "x").exists()


def test_the_cli_shows_and_checks_the_logger_options(tmp_path, capsys):
    assert main(["train", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--log-to [mlflow|tensorboard]" in help_text and "--mlflow-uri" in help_text
    assert main(["logs", "export", str(tmp_path), "--to", "wandb"]) == 2
    assert "unknown logger 'wandb'" in capsys.readouterr().err
    assert main(["logs", "export", str(tmp_path / "none"), "--to", "tensorboard"]) == 2
    assert "is not a run folder" in capsys.readouterr().err
