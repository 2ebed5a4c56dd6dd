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
