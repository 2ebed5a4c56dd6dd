"""Tiny end-to-end runs of every image-to-image task on the CPU: run folder, model + task.json, grid,
summary with the model's figures next to its baselines; exact resume after SIGKILL; clear config errors."""

from __future__ import annotations

import json

import pytest
import torch

from duelo.sampling.image2image import MODEL_TASKS
from duelo.cli.main import main
from tests.training.helpers import final_state, run_cli, run_here

SMALL = ["--resolution", "16", "--width", "8", "--batch", "8", "--kimg", "0.128", "--snapshot-kimg", "0.064",
         "--log-kimg", "0.032", "--device", "cpu", "--set", 'model.d_kwargs={"n_layers": 2}',
         "--set", "image2image.eval_images=40"]
TASK_ARGS = {
    "translate": ["--dataset", "digits", "--degrade", "edges"],
    "inpaint": ["--dataset", "digits", "--degrade", "strokes"],
    "denoise": ["--dataset", "digits"],
    "superres": ["--dataset", "digits", "--set", 'image2image.degrade_kwargs={"scale": 2}'],
    "cyclegan": ["--dataset", "digits", "--source", "mnist-5k"],
}


def test_every_task_that_writes_a_translator_has_a_tiny_run_here():
    assert sorted(TASK_ARGS) == MODEL_TASKS.names()


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(TASK_ARGS))
def test_tiny_run_writes_model_grid_and_summary(task, tmp_path):
    code = main(["train", "--task", task, *TASK_ARGS[task], *SMALL, "--out", str(tmp_path)])
    assert code == 0
    run = next(tmp_path.iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["task"] == task and summary["kimg"] >= 0.128
    description = json.loads((run / "model" / "task.json").read_text())
    assert description["task"] == task and description["resolution"] == 16
    assert (run / "model" / "model.safetensors").is_file()
    assert len(list((run / "samples").glob("grid-*.png"))) == 2
    from duelo.tasks.registry import TASKS
    assert len(TASKS.get(task).headline(summary)) == 2                # what `duelo train` prints at the end
    if task == "cyclegan":
        assert (run / "model-reverse" / "model.safetensors").is_file()
        assert {"cycle_l1_a", "cycle_l1_b", "cycle_psnr_a", "cycle_psnr_b"} <= set(summary["metrics"])
        assert 0.0 <= summary["metrics"]["cycle_l1_a"] <= 1.0
    else:
        assert 0 < summary["metrics"]["psnr"] < 100 and -1 <= summary["metrics"]["ssim"] <= 1
        expected = {"translate": {"identity"}, "inpaint": {"mean-fill", "blur-fill"},
                    "denoise": {"identity", "gaussian-blur"}, "superres": {"bicubic"}}[task]
        assert set(summary["baselines"]) == expected
        for scores in summary["baselines"].values():
            assert 0 < scores["psnr"] < 100
    if task == "inpaint":
        assert "psnr_holes" in summary["metrics"]
        assert description["paste_back"] is True and description["degradation"]["name"] == "strokes"


@pytest.mark.slow
@pytest.mark.parametrize("task", ["cyclegan", "inpaint"])
def test_sigkill_then_rerun_matches_the_uninterrupted_run(task, tmp_path):
    """The data position of both domains, the history pools, the degradation's random stream and the
    learning-rate decay all resume exactly."""
    args = ["train", "--task", task, *TASK_ARGS[task], *SMALL, "--set", "optim.decay_start=0.25"]
    straight = tmp_path / "straight"
    straight.mkdir()
    assert run_here(args, straight).returncode == 0                       # nothing kills it: in this process
    killed = tmp_path / "killed"
    killed.mkdir()
    assert run_cli(args, killed, fault="checkpoint-committed:1").returncode != 0
    resumed = run_cli(args, killed)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    name = f"digits-{task}"
    a, b = final_state(straight / "runs" / name), final_state(killed / "runs" / name)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize(("args", "needle"), [
    (["--task", "inpaint", "--dataset", "digits", "--model", "dcgan"], "unknown translator 'dcgan'"),
    (["--task", "cyclegan", "--dataset", "digits"], "--source A"),
    (["--task", "translate", "--dataset", "digits"], "needs pairs of images"),
    (["--task", "denoise", "--dataset", "digits", "--source", "mnist-5k"],
     "--source is a setting of task(s) cyclegan, translate"),
    (["--task", "inpaint", "--dataset", "digits", "--set", "stabilise.r1_gamma=1"], "no section 'stabilise'"),
    (["--task", "inpaint", "--dataset", "digits", "--loss", "wgan-gp"], "gradient penalty"),
    (["--task", "cyclegan", "--dataset", "digits", "--source", "mnist-5k", "--degrade", "gaussian"],
     "--degrade is a setting of task(s) denoise, inpaint, superres, translate"),
    (["--task", "superres", "--dataset", "digits", "--set", 'image2image.degrade_kwargs={"scal": 2}'], "scal"),
    (["--task", "inpaint", "--dataset", "digits", "--resolution", "17"], "resolution must be even"),
    (["--task", "denoise", "--dataset", "digits", "--degrade", "boxes"], "the task made for boxes (inpaint)"),
    (["--task", "inpaint", "--dataset", "digits", "--degrade", "gaussian"], "must draw holes"),
    (["--task", "superres", "--dataset", "digits", "--degrade", "jpeg"], "must down-sample"),
    (["--task", "denoise", "--dataset", "digits", "--set", "image2image.hole_fill=blur"],
     "unknown field image2image.hole_fill"),
    (["--task", "cyclegan", "--dataset", "digits", "--source", "mnist-5k", "--set", "image2image.l1_weight=5"],
     "unknown field image2image.l1_weight"),
    (["--dataset", "digits", "--degrade", "boxes"], "this run's task is image-gan"),
    (["--task", "toy", "--dataset", "digits"], "is a setting of task(s)"),
])
def test_bad_settings_fail_before_anything_is_written(args, needle, tmp_path, capsys):
    code = main(["train", *args, "--kimg", "0.01", "--batch", "8", "--width", "8", "--out", str(tmp_path)])
    assert code == 2
    assert needle in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_task_option_starts_from_the_task_preset(capsys):
    assert main(["train", "--task", "cyclegan", "--source", "mnist-5k", "--dataset", "digits", "--dry-run"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["model"]["name"] == "resnet" and config["loss"]["name"] == "lsgan"
    assert config["image2image"]["history_pool"] == 50 and config["optim"]["decay_start"] == 0.5
    assert config["task"] == "cyclegan" and "stabilise" not in config and "augment" not in config


@pytest.mark.slow
def test_a_translator_exports_to_onnx(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    assert main(["train", "--task", "denoise", *TASK_ARGS["denoise"], *SMALL, "--kimg", "0.016",
                 "--out", str(tmp_path)]) == 0
    run = tmp_path / "digits-denoise"
    assert main(["export", str(run), "--onnx"]) == 0
    assert (run / "model" / "model.onnx").stat().st_size > 0
    assert "onnxruntime matches" in capsys.readouterr().out


def test_a_folder_of_single_images_is_not_cut_into_halves(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(30):
        Image.new("L", (16, 16), color=i * 8).save(folder / f"{i}.png")
    code = main(["train", "--task", "translate", "--dataset", str(folder), "--resolution", "16", "--kimg", "0.01",
                 "--batch", "8", "--width", "8", "--out", str(tmp_path / "runs")])
    assert code == 2
    assert "holds single images" in capsys.readouterr().err


def test_patchgan_depth_follows_a_small_resolution(tmp_path):
    """No d_kwargs: a 16x16 run gets a 2-layer PatchGAN instead of an error about 24x24."""
    code = main(["train", "--task", "denoise", "--dataset", "digits", "--resolution", "16", "--width", "8",
                 "--batch", "8", "--kimg", "0.016", "--device", "cpu", "--set", "image2image.eval_images=40",
                 "--out", str(tmp_path)])
    assert code == 0


@pytest.mark.slow
def test_rerun_restores_task_json_and_other_commands_point_to_the_right_one(tmp_path, capsys):
    args = ["train", "--task", "cyclegan", *TASK_ARGS["cyclegan"], *SMALL, "--kimg", "0.016", "--out", str(tmp_path)]
    assert main(args) == 0
    run = tmp_path / "digits-cyclegan"
    (run / "model" / "task.json").unlink()
    (run / "model-reverse" / "task.json").unlink()
    assert main(args) == 0                                   # already done: writes what is missing
    assert json.loads((run / "model" / "task.json").read_text())["direction"] == "a_to_b"
    assert json.loads((run / "model-reverse" / "task.json").read_text())["direction"] == "b_to_a"
    capsys.readouterr()
    for command in (["sample", str(run), "--out", str(tmp_path / "s")], ["eval", str(run)]):
        assert main(command) == 2
        assert "image-to-image model" in capsys.readouterr().err
