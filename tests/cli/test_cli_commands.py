"""The command line: help for every command, fast top-level help, dry runs and clear errors."""

import json
import subprocess
import sys

import click
import pytest

from duelo.cli.main import COMMANDS, cli, main


def all_command_paths():
    """Every command and sub-command as an argv prefix, discovered from the CLI itself."""
    paths = []

    def walk(command: click.Command, prefix: list[str]) -> None:
        paths.append(prefix)
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*prefix, name])

    walk(cli, [])
    return paths


@pytest.mark.parametrize("argv", all_command_paths(), ids=lambda p: " ".join(p) or "duelo")
def test_every_command_has_help(argv, capsys):
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out and len(out.splitlines()) > 3


def test_top_level_help_lists_every_command_and_does_not_import_torch():
    code = ("import sys; from duelo.cli.main import main; rc = main(['--help']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH'); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NO-TORCH")
    for name in COMMANDS:
        assert name in done.stdout


def test_train_help_lists_registered_models_and_losses(capsys):
    from duelo.losses import LOSSES
    from duelo.models import GENERATORS

    main(["train", "--help"])
    out = capsys.readouterr().out
    for name in [*GENERATORS.names(), *LOSSES.names()]:
        assert name in out


def test_dry_run_prints_resolved_config(capsys):
    assert main(["train", "--preset", "demo", "--kimg", "7", "--lr", "0.001", "--set", "train.ema_rampup=0.1",
                 "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["train"]["total_kimg"] == 7.0
    assert config["optim"]["g_lr"] == config["optim"]["d_lr"] == 0.001
    assert config["train"]["ema_rampup"] == 0.1
    assert config["model"]["conditional"] is True and config["run"]["name"] == "demo"


def test_list_presets(capsys):
    assert main(["train", "--list-presets"]) == 0
    assert "demo" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "dcgann"], "unknown generator 'dcgann'"),
    (["train", "--loss", "wasserstein"], "unknown loss 'wasserstein'"),
    (["train", "--batch", "0", "--dry-run"], "train.batch must be a positive integer"),
    (["train", "--kimg", "-1", "--dry-run"], "train.total_kimg must be a positive number"),
    (["train", "--kimg", "nan", "--dry-run"], "train.total_kimg must be a positive number"),
    (["train", "--batch", "64", "--accum", "3", "--dry-run"], "divisible"),
    (["train", "--preset", "nope"], "unknown preset 'nope'"),
    (["train", "--set", "train.bach=3", "--dry-run"], "unknown field train.bach"),
    (["train", "--set", "oops", "--dry-run"], "SECTION.FIELD=VALUE"),
    (["train", "--name", "a/b", "--dry-run"], "run.name must be a plain folder name"),
])
def test_bad_options_fail_with_a_clear_message(argv, message, capsys):
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert message in captured.err + captured.out


def test_unknown_dataset_and_missing_path(tmp_path, capsys):
    assert main(["train", "--dataset", "mnistt", "--out", str(tmp_path)]) == 2
    assert "mnistt" in capsys.readouterr().err
    assert main(["train", "--dataset", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing is written when the input is bad"


def test_conditional_training_needs_labels(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "flat"
    folder.mkdir()
    for i in range(4):
        Image.new("L", (8, 8), color=i * 40).save(folder / f"{i}.png")
    assert main(["train", "--dataset", str(folder), "--conditional", "--resolution", "8",
                 "--out", str(tmp_path / "runs")]) == 2
    assert "needs labels" in capsys.readouterr().err


def test_dcgan_resolution_error_names_the_field(tmp_path, capsys):
    assert main(["train", "--dataset", "digits", "--resolution", "12", "--out", str(tmp_path)]) == 2
    assert "resolution" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--log-kimg", "0.0001"], "run.log_kimg must be at least 0.001"),
    (["--snapshot-kimg", "0.00001"], "run.snapshot_kimg must be at least 0.001"),
    (["--seed", "99999999999999999999"], "train.seed must be an integer in [0, 2**32)"),
    (["--seed", "-1"], "train.seed"),
    (["--set", 'model.g_kwargs={"resolution": 16}'], "model.g_kwargs cannot set resolution"),
])
def test_more_invalid_numbers(argv, message, capsys):
    assert main(["train", *argv, "--dry-run"]) == 2
    assert message in capsys.readouterr().err


TINY = ["--dataset", "digits", "--resolution", "8", "--width", "8", "--z-dim", "8", "--batch", "16",
        "--kimg", "0.032", "--snapshot-kimg", "0.032", "--log-kimg", "0.016", "--set", "run.grid_samples=4"]


def test_out_pointing_at_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["train", *TINY, "--out", str(tmp_path / "file")]) == 2
    assert "cannot create the run folder" in capsys.readouterr().err


def test_wgan_gp_with_batch_norm_critic_is_refused_and_the_preset_trains(tmp_path, capsys):
    # at 16x16 the DCGAN critic has a hidden batch-normalised layer (at 8x8 it has none)
    assert main(["train", *TINY, "--resolution", "16", "--loss", "wgan-gp", "--out", str(tmp_path)]) == 2
    assert "without batch norm" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
    assert main(["train", "--preset", "wgan-gp", *TINY, "--resolution", "16", "--out", str(tmp_path),
                 "--name", "gp"]) == 0
    line = json.loads((tmp_path / "gp" / "metrics.jsonl").read_text().splitlines()[-1])
    assert line["D_gradient_penalty"] >= 0 and "loss_D_gp" in line


def test_a_second_process_on_the_same_run_is_refused(tmp_path, capsys):
    from duelo.training.run_dir import RunDir

    with RunDir(tmp_path / "busy").lock():
        assert main(["train", *TINY, "--out", str(tmp_path), "--name", "busy"]) == 2
    assert "another duelo process" in capsys.readouterr().err
    assert main(["train", *TINY, "--out", str(tmp_path), "--name", "busy"]) == 0   # released afterwards


def test_sample_rejects_a_bad_device(tmp_path, capsys):
    assert main(["sample", str(tmp_path), "--device", "toaster"]) == 2
    assert "not a device" in capsys.readouterr().err


@pytest.mark.parametrize("option, kind", [(["--task", "nope"], "task"), (["--set", "model.name=nope"], "generator"),
                                          (["--set", "loss.name=nope"], "loss")])
def test_unknown_names_given_through_set_are_clear_errors(option, kind, tmp_path, capsys):
    assert main(["train", *option, "--out", str(tmp_path / "runs")]) == 2
    assert f"unknown {kind} 'nope'; choose one of:" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
