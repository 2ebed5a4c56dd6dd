"""The video task on the CPU: Moving MNIST rendering (bounces inside the canvas, digits of the held-out bank
only, conditional clips of one class, deterministic per seed), the networks' shapes, a short run through the CLI
(GIF snapshots, scores with their real-vs-real floors), `duelo sample` to GIF and .npz, `duelo eval`, resume,
and the judge's scores separating real clips from broken ones."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from duelo.cli.main import main
from duelo.data import load_dataset
from duelo.tasks.video.moving_digits import MovingDigits
from duelo.tasks.video.networks import VideoDiscriminator, VideoGenerator
from duelo.tasks.video.scoring import frame_change, score_clips, train_clip_classifier

# the runs' scores come from a judge of 5 steps (1 s; 20 took 6 s per score, and every run, eval and resume scores):
# what the scores tell is checked with a judge of its own in test_the_judge_tells_real_clips_from_broken_ones
TINY = ["train", "--task", "video", "--resolution", "32", "--frames", "6", "--width", "8", "--batch", "16",
        "--seed", "1", "--set", "video.eval_clips=64", "--set", "video.score_steps=5", "--set", "run.log_kimg=0.5"]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("mnist-5k", resolution=28, channels=1)


def test_digits_stay_inside_the_canvas_and_bounce(digits):
    bank = MovingDigits(digits.images[:50], digits.labels[:50], 40, 64, 2, 10, False)
    corners = bank.trajectories(200, torch.Generator().manual_seed(0))
    assert corners.min() >= 0 and corners.max() <= 64 - bank.side
    steps = (corners[:, :, 1:] - corners[:, :, :-1]).abs().amax(-1)
    assert steps.max() <= 6                                          # at most 5 px per frame, +1 for rounding
    reversals = ((corners[:, :, 2:] - corners[:, :, 1:-1]) * (corners[:, :, 1:-1] - corners[:, :, :-2]) < 0)
    assert reversals.any()                                           # some digits hit a wall within 40 frames


def test_rendering_is_deterministic_and_conditional_clips_show_their_class(digits):
    bank = MovingDigits(digits.images, digits.labels, 5, 32, 2, 10, True)
    a, labels, shown = bank.render_with_digits(30, torch.Generator().manual_seed(3))
    b, labels_b, _ = bank.render_with_digits(30, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and torch.equal(labels, labels_b)
    assert a.shape == (30, 5, 1, 32, 32) and a.min() >= -1 and a.max() <= 1
    assert torch.equal(shown, labels[:, None].expand(-1, 2))          # both digits of a clip are of its class
    assert (a > 0).any(dim=(2, 3, 4)).all()                           # every frame shows something


@pytest.mark.parametrize("size", [16, 32, 64])
def test_networks_take_each_size(size):
    G = VideoGenerator(4, size, z_content=8, z_motion=4, width=4, c_dim=3)
    D = VideoDiscriminator(4, size, width=4, c_dim=3)
    labels = torch.tensor([0, 2])
    clips = G(G.sample_latents(2), labels)
    assert clips.shape == (2, 4, 1, size, size) and clips.abs().max() <= 1
    assert D(clips, labels).shape == (2, 8)
    with pytest.raises(ValueError, match="labels"):
        G(G.sample_latents(2))
    with pytest.raises(ValueError, match="power of two"):
        VideoGenerator(4, 48)


def test_motion_codes_vary_over_time_and_content_is_shared():
    G = VideoGenerator(6, 16, z_content=8, z_motion=4, width=4).eval()
    z = G.sample_latents(1, torch.Generator().manual_seed(0))
    other_motion = z.clone()
    other_motion[:, 8:] = torch.randn(1, G.z_dim - 8)
    with torch.no_grad():
        base, moved = G(z), G(other_motion)
    assert not torch.allclose(base[:, 1:], base[:, :-1])           # frames differ within a clip
    assert not torch.allclose(base, moved)


def test_the_judge_tells_real_clips_from_broken_ones(digits):
    from types import SimpleNamespace

    train = MovingDigits(digits.images[:4000], digits.labels[:4000], 6, 32, 2, 10, False)
    held = MovingDigits(digits.images[4000:], digits.labels[4000:], 6, 32, 2, 10, False)
    data = SimpleNamespace(train=train, heldout=held)
    real, _ = held.render(160, torch.Generator().manual_seed(9))
    frozen = real[:, :1].expand_as(real).clone()                     # right frames, no motion
    judge = train_clip_classifier(train, 10, 0, torch.device("cpu"))     # 10 steps already tell motion apart
    real_scores = score_clips(data, real, None, 0, 0, torch.device("cpu"), judge)
    frozen_scores = score_clips(data, frozen, None, 0, 0, torch.device("cpu"), judge)
    assert frozen_scores["frame_change"] == 0 and real_scores["frame_change"] > 0.01
    assert frozen_scores["video_fd"] > 3 * real_scores["video_fd"]
    assert frame_change(real) == pytest.approx(real_scores["frame_change"], abs=1e-4)


@pytest.fixture(scope="module")
def video_run(built_once):
    """One short run, made once per test run: the module, last in the suite, is often split between workers."""
    def make(root):
        assert main([*TINY, "--kimg", "0.5", "--set", "run.snapshot_kimg=0.5", "--out", str(root), "--name", "v"]) == 0

    return built_once("video-run", make) / "v"


def test_a_run_writes_model_gifs_and_scores(video_run):
    scores = json.loads((video_run / "summary.json").read_text())["scores"]
    for key in ("video_fd", "video_fd_real", "frame_fd", "frame_kid", "frame_change", "shuffled"):
        assert np.isfinite(scores[key]), key
    assert scores["video_fd_real"] < scores["video_fd"]              # barely trained: far from the real floor
    assert list((video_run / "samples").glob("clips-*.gif")) and (video_run / "samples" / "real.gif").is_file()
    assert (video_run / "model" / "model.safetensors").is_file()
    logged = [json.loads(line) for line in (video_run / "metrics.jsonl").read_text().splitlines()]
    assert all(row["instance_noise_sigma"] == pytest.approx(0.1, abs=1e-3) for row in logged)   # constant noise
    assert any(row.get("D_r1", 0) > 0 for row in logged)              # R1 on the clips, by default


def test_sample_writes_gif_and_npz_and_eval_scores(video_run, tmp_path, capsys):
    from PIL import Image

    assert main(["sample", str(video_run), "-n", "4", "--out", str(tmp_path / "c.gif")]) == 0
    with Image.open(tmp_path / "c.gif") as gif:
        assert gif.n_frames == 6
    assert main(["sample", str(video_run), "-n", "3", "--out", str(tmp_path / "c.npz")]) == 0
    clips = np.load(tmp_path / "c.npz")["clips"]
    assert clips.shape == (3, 6, 1, 32, 32) and clips.dtype == np.uint8
    assert main(["sample", str(video_run), "-n", "3", "--out", str(tmp_path / "c.txt")]) != 0
    assert ".gif, .mp4 or .npz" in capsys.readouterr().err
    assert main(["eval", str(video_run / "model"), "--num-samples", "32"]) != 0
    assert "give the run folder" in capsys.readouterr().err
    assert main(["eval", str(video_run), "--num-samples", "32"]) == 0
    assert "video_fd" in json.loads((video_run / "eval.json").read_text())["scores"]


def test_a_video_run_resumes(video_run, capsys):
    before = json.loads((video_run / "summary.json").read_text())["iterations"]
    capsys.readouterr()
    assert main([*TINY, "--kimg", "0.75", "--set", "run.snapshot_kimg=0.5", "--out", str(video_run.parent),
                 "--name", "v"]) == 0
    assert "resum" in capsys.readouterr().err.lower()
    assert json.loads((video_run / "summary.json").read_text())["iterations"] > before


def test_a_conditional_run_and_its_labels(tmp_path, capsys):
    assert main([*TINY, "--kimg", "0.25", "--conditional", "--set", "data.per_clip=1", "--set",
                 "run.snapshot_kimg=0.25", "--out", str(tmp_path), "--name", "c"]) == 0
    scores = json.loads((tmp_path / "c" / "summary.json").read_text())["scores"]
    assert 0 <= scores["class_accuracy"] <= 1
    assert main(["sample", str(tmp_path / "c"), "-n", "2", "--label", "3", "--out", str(tmp_path / "s.npz")]) == 0
    assert (np.load(tmp_path / "s.npz")["labels"] == 3).all()
    assert main(["sample", str(tmp_path / "c"), "-n", "2", "--label", "12", "--out", str(tmp_path / "t.npz")]) != 0
    assert "out of range" in capsys.readouterr().err


def test_the_penalties_judge_the_mean_logit_of_a_video_discriminator():
    """R1 of the (N, 2T) logits is the gradient of their mean, as the loss trains: not (2T)^2 times stronger."""
    from duelo.losses.penalties import zero_centred_penalty
    from duelo.objectives.gan import per_sample

    D = VideoDiscriminator(4, 16, width=4)
    x = torch.rand(3, 4, 1, 16, 16) * 2 - 1
    mean_critic = zero_centred_penalty(lambda v: per_sample(D(v)), x)
    summed = zero_centred_penalty(lambda v: D(v).sum(1), x)
    torch.testing.assert_close(summed, mean_critic * 64)              # (2T)^2 = 64
    image_logits = torch.randn(5)
    assert torch.equal(per_sample(image_logits), image_logits)


def test_a_resolution_the_networks_cannot_make_is_refused(tmp_path, capsys):
    assert main([*TINY, "--resolution", "48", "--kimg", "0.1", "--out", str(tmp_path)]) != 0
    assert "4 times a power of two" in capsys.readouterr().err


def test_a_damaged_video_model_is_named_not_a_traceback(video_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(video_run / "model", copy)
    (copy / "model.safetensors").write_bytes(b"not weights")
    assert main(["sample", str(copy), "-n", "2", "--out", str(tmp_path / "c.gif")]) != 0
    err = capsys.readouterr().err
    assert "the saved video generator does not load" in err and "Traceback" not in err
