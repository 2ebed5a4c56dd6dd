"""Progressive growing in training: the schedule, the level as part of the run's state, and a resume in the
middle of a fade-in that reproduces the uninterrupted run bitwise."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from duelo.errors import ConfigError
from duelo.training.growth import GrowthSchedule
from tests.training.helpers import final_state, run_cli, run_here


def test_schedule_stable_then_fade_then_stable_per_stage():
    schedule = GrowthSchedule(max_level=3, stable_kimg=10, fade_kimg=20)
    expected = {0: 0.0, 9_999: 0.0, 10_000: 0.0, 20_000: 0.5, 30_000: 1.0, 39_999: 1.0, 40_000: 1.0,
                45_000: 1.25, 60_000: 2.0, 70_000: 2.0, 80_000: 2.5, 100_000: 3.0, 10**9: 3.0}
    assert {n: schedule.level(n) for n in expected} == pytest.approx(expected)
    assert schedule.grown_kimg() == 90
    assert schedule.level(90_000) == 3.0 and schedule.level(89_000) < 3.0
    instant = GrowthSchedule(max_level=2, stable_kimg=5, fade_kimg=0)          # no fade: a jump per stage
    assert [instant.level(n) for n in (0, 4_999, 5_000, 10_000, 99_000)] == [0, 0, 1, 2, 2]


@pytest.mark.parametrize("stable, fade", [(-1, 1), (1, -1), (0, 0)])
def test_bad_schedules_are_refused(stable, fade):
    with pytest.raises(ConfigError, match="growth"):
        GrowthSchedule(max_level=2, stable_kimg=stable, fade_kimg=fade)


# 8x8 digits, 2 stages (4x4, 8x8): stage 0 until 0.096 kimg, fade-in until 0.288, then 8x8
ARGS = ["train", "--dataset", "digits", "--resolution", "8", "--model", "progan", "--width", "8", "--z-dim", "8",
        "--batch", "32", "--kimg", "0.64", "--snapshot-kimg", "0.16", "--log-kimg", "0.096", "--seed", "3",
        "--conditional", "--set", "growth.stable_kimg=0.096", "--set", "growth.fade_kimg=0.192",
        "--set", "run.grid_samples=16", "--set", "run.eval_per_class=4", "--name", "grow"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("grow-reference")
    done = run_here(ARGS, cwd)                                                  # nothing kills it: in this process
    assert done.returncode == 0, done.stderr
    assert "progressive growing: 4x4 -> 8x8 in 1 stages" in done.stderr
    return cwd / "runs" / "grow"


def _levels(run) -> dict[int, float]:
    """Level of G in every kept checkpoint, by image count."""
    levels = {}
    for folder in sorted((run / "checkpoints").glob("ckpt-*")):
        meta = json.loads((folder / "state.json").read_text())
        levels[meta["nimg"]] = float(load_file(str(folder / "state.safetensors"))["net.G.lod.level"])
    return levels


def test_the_level_follows_the_schedule_and_is_in_every_checkpoint(reference, tmp_path):
    schedule = GrowthSchedule(max_level=1, stable_kimg=0.096, fade_kimg=0.192)
    levels = _levels(reference)
    assert levels, "no checkpoints kept"
    for nimg, level in levels.items():
        # set before the step that brought the count to nimg: the level of the previous iteration's count
        assert level == pytest.approx(schedule.level(nimg - 32))
    state = final_state(reference)
    assert state["net.G.lod.level"] == state["net.G_ema.lod.level"] == state["net.D.lod.level"] == 1.0
    model = json.loads((reference / "model" / "config.json").read_text())
    assert model["name"] == "progan"


@pytest.mark.slow
def test_resume_in_the_middle_of_a_fade_in_matches_the_uninterrupted_run(reference, tmp_path):
    killed = run_cli(ARGS, tmp_path, fault="checkpoint-committed:1")            # SIGKILL after ckpt at 0.16 kimg
    assert killed.returncode != 0
    levels = _levels(tmp_path / "runs" / "grow")
    assert list(levels) == [160] and 0 < levels[160] < 1                        # killed mid-fade
    resumed = run_cli(ARGS, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ckpt" in resumed.stderr
    a, b = final_state(reference), final_state(tmp_path / "runs" / "grow")
    assert sorted(a) == sorted(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"


def test_growth_needs_both_networks_to_grow(tmp_path):
    from duelo.tasks.image_gan.parts import growth_schedules
    from duelo.tasks import task_config
    from duelo.models import build_discriminator, build_generator

    G = build_generator("progan", resolution=8, channels=1, channel_max=8)
    D = build_discriminator("dcgan", resolution=8, channels=1, width=8)
    with pytest.raises(ConfigError, match="both grow"):
        growth_schedules(task_config("image-gan"), G, D, 8)
    plain = build_generator("dcgan", resolution=8, channels=1, width=8)
    assert growth_schedules(task_config("image-gan"), plain, D, 8) == []


@pytest.mark.slow
def test_time_budget_stops_the_run_and_finishes_it_normally(tmp_path):
    args = ["train", "--dataset", "digits", "--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8",
            "--batch", "32", "--kimg", "10000", "--snapshot-kimg", "1000", "--minutes", "0.02", "--name", "timed",
            "--set", "run.grid_samples=16", "--set", "run.eval_per_class=4", "--no-health"]
    done = run_here(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "time budget of 0.02 min reached" in done.stderr
    run = tmp_path / "runs" / "timed"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stopped_by"].startswith("time budget")
    assert 1.2 <= summary["train_time_s"] < 1.2 + 60 and summary["kimg"] < 10000
    assert (run / "model" / "model.safetensors").exists()
    checkpoints = sorted((run / "checkpoints").glob("ckpt-*"))
    assert checkpoints and int(checkpoints[-1].name.split("-")[1]) == round(summary["kimg"] * 1000)
    again = run_here(args, tmp_path)                                 # the budget is the run's, not the call's
    assert again.returncode == 0 and "already reached its time budget" in again.stderr
    assert sorted((run / "checkpoints").glob("ckpt-*")) == checkpoints


def test_the_hook_corrects_levels_restored_from_elsewhere():
    """A rollback to the starting state (built fully grown) or to a checkpoint written just after a fade must not
    leave the networks at the restored level: the hook compares with each network's own level every step."""
    from types import SimpleNamespace

    from duelo.models import build_discriminator, build_generator
    from duelo.training.growth import GrowthHook

    G = build_generator("progan", resolution=16, channels=1, channel_max=8)
    D = build_discriminator("progan", resolution=16, channels=1, channel_max=8)
    G_ema = build_generator("progan", resolution=16, channels=1, channel_max=8)
    trainer = SimpleNamespace(nets={"G": G, "D": D}, ema={"G": G_ema}, counters=SimpleNamespace(nimg=0))
    hook = GrowthHook(GrowthSchedule(max_level=2, stable_kimg=1, fade_kimg=1), resolution=16)
    hook(trainer)
    assert [net.lod.value for net in (G, D, G_ema)] == [0.0, 0.0, 0.0]
    state = build_generator("progan", resolution=16, channels=1, channel_max=8).state_dict()   # fully grown
    G.load_state_dict(state)                                     # as a rollback to the starting state would
    assert (G.lod.stage, G.lod.value) == (2, 2.0)
    hook(trainer)                                                # same image count, same schedule level
    assert (G.lod.stage, G.lod.value, float(G.lod.level)) == (0, 0.0, 0.0)
    trainer.counters.nimg = 1500
    hook(trainer)
    assert all(net.lod.value == 0.5 and net.lod.fading for net in (G, D, G_ema))
