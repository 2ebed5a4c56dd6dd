"""`duelo clean --run RUN`: a trained run's discriminator scores the data; the items it scores far below the rest
are outliers. The threshold and the best-over-classes score of a conditional D on toy inputs; the command on a
tiny digits run, with the data brought to the run's size; its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from duelo.cleaning.image_faults import CRITIC_REASON, CRITIC_Z, find_faults
from duelo.cli.main import main
from duelo.data.loading import load_dataset
from duelo.tasks.image_gan.run_models import d_logits, realness


def test_items_scored_far_below_the_rest_are_outliers_and_nothing_else_is():
    digits = load_dataset("mnist-5k")
    images = digits.images[:300]
    scores = np.random.default_rng(0).normal(0, 1, 300)
    low = [5, 77, 190]
    scores[low] = -3 * CRITIC_Z                  # far below the median, in robust deviations
    scores[100] = 2.5 * CRITIC_Z                 # far above: as real as it gets, not a fault
    faults = find_faults(images, None, critic=scores)
    flagged = sorted(f.index for f in faults.findings if f.reason.startswith(CRITIC_REASON))
    assert flagged == low
    assert all(f.kind == "outlier" and f.score > CRITIC_Z for f in faults.findings if f.index in low)
    assert faults.checked["discriminator"].startswith("3 item(s) no check above found")
    assert "discriminator" not in find_faults(images, None).checked
    with pytest.raises(ValueError, match="299 discriminator scores for 300 items"):
        find_faults(images, None, critic=scores[:-1])


def test_a_score_that_is_not_a_number_flags_its_item_alone_and_flat_or_few_scores_flag_nothing():
    images = load_dataset("mnist-5k").images[:300]
    scores = np.random.default_rng(2).normal(0, 1, 300)
    scores[[3, 4]] = [np.nan, np.inf]
    flagged = [f for f in find_faults(images, None, critic=scores).findings if f.reason.startswith(CRITIC_REASON)]
    assert sorted(f.index for f in flagged) == [3, 4] and all("not a number" in f.reason for f in flagged)
    flat = find_faults(images, None, critic=np.ones(300))
    assert "do not vary" in flat.checked["discriminator"]
    assert not any(f.reason.startswith(CRITIC_REASON) for f in flat.findings)
    few = np.zeros(10)
    few[0] = -1000.0
    assert "fewer than 20" in find_faults(images[:10], None, critic=few).checked["discriminator"]


def test_an_item_found_by_another_check_gets_one_finding():
    digits = load_dataset("mnist-5k")
    images = digits.images[:200].clone()
    images[50] = images[10]                       # an exact copy ...
    scores = np.zeros(200) + np.random.default_rng(1).normal(0, 1, 200)
    scores[50] = -50.0                            # ... that D also scores low
    faults = find_faults(images, None, critic=scores)
    about = [f for f in faults.findings if f.index == 50]
    assert len(about) == 1 and about[0].kind == "duplicate"


class _ClassD(nn.Module):
    """A conditional 'D' whose logit is the image's mean plus a per-class offset."""

    def __init__(self):
        super().__init__()
        self.offset = torch.tensor([0.0, 5.0, -2.0])

    def forward(self, x, labels=None):
        base = x.flatten(1).mean(1)
        return base if labels is None else base + self.offset[labels]


class _BatchD(nn.Module):
    """A 'D' that looks at its neighbours, like a minibatch-stddev layer: each logit is the image's mean minus
    the batch's."""

    def forward(self, x, labels=None):
        means = x.flatten(1).mean(1)
        return means - means.mean()


def test_every_chunk_is_scored_at_the_same_size():
    images = torch.randint(0, 256, (10, 1, 2, 2), dtype=torch.uint8)
    whole = d_logits(_BatchD(), images, None, "cpu", chunk=4)              # chunks of 4, 4 and 2 (filled up)
    first8 = d_logits(_BatchD(), images[:8], None, "cpu", chunk=4)
    assert torch.allclose(whole[:8], first8)
    filled = torch.cat([images[8:], images[:2]])                            # what the last chunk was scored in
    assert torch.allclose(whole[8:], d_logits(_BatchD(), filled, None, "cpu", chunk=4)[:2])


def test_a_conditional_d_scores_each_image_by_its_best_class():
    images = torch.full((4, 1, 2, 2), 255, dtype=torch.uint8)             # mean pixel 1.0 after the mapping
    images[2:] = 0                                                       # -1.0
    scores = realness(_ClassD(), images, 3, "cpu")
    assert torch.allclose(scores, torch.tensor([6.0, 6.0, 4.0, 4.0]))
    assert torch.allclose(realness(_ClassD(), images, 0, "cpu"), torch.tensor([1.0, 1.0, -1.0, -1.0]))


@pytest.mark.slow
def test_the_command_scores_the_data_with_a_trained_run(tmp_path, capsys):
    """A tiny conditional digits run at 8 px; the data checked is 28 px digits with inverted intruders: the
    command brings them to the run's size, reports the check, and refuses what it cannot do by name."""
    digits = load_dataset("digits", resolution=8, channels=1)
    np.savez(tmp_path / "train.npz", images=digits.images[:900].numpy(), labels=digits.labels[:900].numpy())
    tiny = ["--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8", "--batch", "32",
            "--conditional", "--set", "run.grid_samples=10", "--set", "run.eval_per_class=4"]
    assert main(["train", "--dataset", str(tmp_path / "train.npz"), *tiny, "--kimg", "0.128",
                 "--snapshot-kimg", "0.128", "--out", str(tmp_path), "--name", "run"]) == 0
    mnist = load_dataset("mnist-5k")
    images = torch.cat([mnist.images[:200], 255 - mnist.images[200:210]])
    labels = torch.cat([mnist.labels[:200], mnist.labels[200:210]])
    np.savez(tmp_path / "data.npz", images=images.numpy(), labels=labels.numpy())
    capsys.readouterr()
    out = tmp_path / "checked"
    assert main(["clean", str(tmp_path / "data.npz"), "--run", str(tmp_path / "run"), "--out", str(out)]) == 0
    assert "scoring 210 images with the discriminator of" in capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["checked"]["discriminator"].endswith(f"below robust z -{CRITIC_Z:g} or not at all")
    for refused, said in ((tmp_path / "run" / "model", "not its model/ folder"),
                          (tmp_path / "empty", "no checkpoint yet")):
        if refused.name == "empty":
            (refused / "checkpoints").mkdir(parents=True)
            (refused / "config.json").write_text((tmp_path / "run" / "config.json").read_text())
        assert main(["clean", str(tmp_path / "data.npz"), "--run", str(refused), "--out", str(tmp_path / "c")]) != 0
        assert said in capsys.readouterr().err and not (tmp_path / "c").exists()      # refused before writing
    assert main(["clean", str(tmp_path / "data.npz"), "--run", str(tmp_path / "nowhere"), "--out",
                 str(tmp_path / "a")]) != 0
    assert "--run" in capsys.readouterr().err
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n")
    assert main(["clean", str(tmp_path / "t.csv"), "--run", str(tmp_path / "run"), "--out",
                 str(tmp_path / "b")]) != 0
    assert "for images" in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_trained_on_transparent_images_scores_them_with_their_alpha(tmp_path, capsys):
    """Without --alpha, clean --run reads the data with the run's own choice (keep: 4 channels), so its D gets
    what it trained on; flattened data is refused by name."""
    digits = load_dataset("digits", resolution=8, channels=1).images[:600, 0]
    rgba = torch.stack([torch.full_like(digits, 200), torch.full_like(digits, 30), torch.full_like(digits, 30), digits],
                       dim=1)
    np.savez(tmp_path / "rgba.npz", images=rgba.numpy())
    assert main(["train", "--dataset", str(tmp_path / "rgba.npz"), "--alpha", "keep", "--resolution", "8", "--model",
                 "dcgan", "--width", "8", "--z-dim", "8", "--batch", "32", "--kimg", "0.064", "--snapshot-kimg",
                 "0.064", "--set", "run.grid_samples=4", "--no-health", "--out", str(tmp_path), "--name", "run"]) == 0
    capsys.readouterr()
    out = tmp_path / "checked"
    assert main(["clean", str(tmp_path / "rgba.npz"), "--run", str(tmp_path / "run"), "--out", str(out)]) == 0
    assert "scoring 600 images with the discriminator of" in capsys.readouterr().err
    assert np.load(out / "cleaned.npz")["images"].shape[1] == 4
    assert main(["clean", str(tmp_path / "rgba.npz"), "--run", str(tmp_path / "run"), "--alpha", "white", "--out",
                 str(tmp_path / "flat")]) != 0
    assert "its D takes 4-channel images and the data has 3" in capsys.readouterr().err
    assert not (tmp_path / "flat").exists()                                        # refused before writing
