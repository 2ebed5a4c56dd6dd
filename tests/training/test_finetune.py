"""Fine-tuning (--resume-from) and FreezeD (--freeze-d): the source's weights are where a new run starts, frozen
stages of D never move, a bad source is refused before anything is written."""

from __future__ import annotations

import json

import pytest
import torch

from duelo.cli.main import main
from duelo.models import build_discriminator
from duelo.tasks.image_gan.finetune import d_stages, trainable_d_parameters
from duelo.errors import ConfigError
from tests.training.helpers import TINY_ARGS, final_state

SHORT = [*TINY_ARGS, "--kimg", "0.096", "--snapshot-kimg", "0.096", "--device", "cpu"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    out = tmp_path_factory.mktemp("source")
    assert main(["train", *SHORT, "--out", str(out), "--name", "src"]) == 0
    return out / "src"


def _net(state: dict, name: str) -> dict:
    prefix = f"net.{name}."
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def test_a_run_starts_from_the_source_and_frozen_stages_do_not_move(source, tmp_path, capsys):
    assert main(["train", *SHORT, "--kimg", "0.064", "--out", str(tmp_path), "--name", "ft",
                 "--resume-from", str(source), "--freeze-d", "1"]) == 0
    log = capsys.readouterr().err
    assert f"starting from {source}" in log and "FreezeD: D's first 1 stage(s)" in log
    before, after = final_state(source), final_state(tmp_path / "ft")
    first = d_stages(build_discriminator("dcgan", resolution=8, channels=1, width=8))[0][0]
    d_before, d_after = _net(before, "D"), _net(after, "D")
    frozen = [k for k in d_before if k.startswith(first + ".") and "running" not in k and "num_batches" not in k]
    assert frozen and all(torch.equal(d_before[k], d_after[k]) for k in frozen)
    moved = [k for k in d_before if k not in frozen and d_before[k].is_floating_point()
             and not torch.equal(d_before[k], d_after[k])]
    assert moved                                               # the rest of D trains
    config = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert config["finetune"] == {"resume_from": str(source), "freeze_d": 1}


def test_an_interrupted_fine_tuning_run_resumes_without_its_source(source, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    args = ["train", *SHORT, "--out", str(tmp_path), "--name", "ft", "--resume-from", str(copy)]
    assert main([*args, "--kimg", "0.032"]) == 0                  # one checkpoint of its own
    shutil.rmtree(copy)                                            # the source is gone
    assert main([*args, "--kimg", "0.064"]) == 0                  # resumes from its own checkpoint
    assert "resuming from" in capsys.readouterr().err


def test_a_saved_model_gives_g_and_g_ema_and_a_fresh_d(source, tmp_path, capsys):
    assert main(["train", *SHORT, "--kimg", "0.032", "--snapshot-kimg", "1", "--out", str(tmp_path), "--name", "m",
                 "--resume-from", str(source / "model")]) == 0
    assert "a saved generator: G and G_ema; D starts fresh" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--width", "16"], "does not fit this run's model"),
    (["--freeze-d", "99"], "freeze fewer than that"),
])
def test_a_source_that_does_not_fit_is_refused_before_anything_is_written(source, tmp_path, capsys, extra, message):
    assert main(["train", *SHORT, "--out", str(tmp_path), "--name", "bad", "--resume-from", str(source),
                 *extra]) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_a_folder_that_is_neither_is_refused(tmp_path):
    from duelo.tasks.image_gan.finetune import read_source

    with pytest.raises(ConfigError, match="neither a run folder"):
        read_source(str(tmp_path))


def test_stages_follow_the_image_through_d():
    D = build_discriminator("stylegan2", resolution=16, channels=3, channel_base=64, channel_max=8)
    names = [name for name, _ in d_stages(D)]
    assert names[:3] == ["from_rgb", "blocks.0", "blocks.1"] and "mbstd" not in names
    kept = {id(p) for p in trainable_d_parameters(D, 2)}
    assert not any(id(p) in kept for p in D.from_rgb.parameters())
    assert all(id(p) in kept for p in D.out.parameters())
