"""The shadow-model attack: its neighbour distances are exact; a meta-classifier learned from shadows that copy
their training records catches a target that copies its members and not one that draws fresh records; on a
table model the attack trains its shadows the run's way and adds its row to `duelo audit`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from duelo.cli.main import main
from duelo.privacy.audit import auc
from duelo.privacy.shadow import features, fit_meta, member_scores, neighbour_distances


def test_neighbour_distances_are_the_kth_nearest():
    rng = np.random.default_rng(0)
    queries, samples = rng.normal(size=(50, 4)), rng.normal(size=(300, 4))
    brute = np.sort(np.linalg.norm(queries[:, None] - samples[None], axis=2), axis=1)
    assert np.allclose(neighbour_distances(queries, samples, (1, 2, 5)), brute[:, [0, 1, 4]], atol=1e-4)


def _model(records: np.ndarray, copies: bool, rng) -> np.ndarray:
    """Samples of a 'model' trained on records: noisy copies of them, or fresh draws of the distribution."""
    if copies:
        return records[rng.integers(len(records), size=600)] + 0.01 * rng.normal(size=(600, records.shape[1]))
    return rng.normal(size=(600, records.shape[1]))


@pytest.mark.parametrize("copies", [True, False])
def test_shadows_teach_the_attack_what_memorising_looks_like(copies):
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(400, 3))
    shadow_features, labels = [], []
    for _ in range(3):
        mask = rng.random(len(reference)) < 0.5
        shadow_features.append(features(neighbour_distances(reference, _model(reference[mask], True, rng))))
        labels.append(mask)
    meta = fit_meta(shadow_features, labels)
    members, others = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    target = _model(members, copies, rng)
    scores = [member_scores(meta, features(neighbour_distances(x, target))) for x in (members, others)]
    area = auc(*scores)
    assert (area > 0.9) if copies else (abs(area - 0.5) < 0.1), area


def test_a_table_audit_adds_the_shadow_attack(tmp_path, capsys):
    from tests.privacy.test_private_tables import _table

    _table(600, 0).to_csv(tmp_path / "members.csv", index=False)
    _table(300, 1).to_csv(tmp_path / "others.csv", index=False)
    _table(600, 2).to_csv(tmp_path / "reference.csv", index=False)
    run = tmp_path / "run"
    assert main(["tabular", "fit", str(tmp_path / "members.csv"), "--out", str(run), "--epochs", "1",
                 "--batch-size", "50"]) == 0
    args = ["--members", str(tmp_path / "members.csv"), "--nonmembers", str(tmp_path / "others.csv"),
            "--reference", str(tmp_path / "reference.csv"), "--shadows", "2", "--shadow-kimg", "0.1",
            "--samples", "300"]
    out = tmp_path / "audit.json"
    assert main(["audit", str(run), *args, "--out", str(out)]) == 0
    shadow = json.loads(out.read_text())["attacks"]["shadow_model"]
    assert 0 <= shadow["auc"] <= 1 and shadow["shadows"] == 2 and shadow["reference_rows"] == 600
    assert "shadow model 2 of 2" in capsys.readouterr().err
    assert main(["audit", str(run / "model"), *args]) != 0                   # a bare model: no recipe to copy
    assert "config.json" in capsys.readouterr().err
    pd.read_csv(tmp_path / "others.csv").drop(columns="job").to_csv(tmp_path / "bad.csv", index=False)
    assert main(["audit", str(run), *args[:4], "--reference", str(tmp_path / "bad.csv")]) != 0


class _Copier(torch.nn.Module):
    """A 'generator' that draws the given images in turn (z ignored): a model that memorised them."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.register_buffer("images", images)
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.z_dim, self.c_dim, self.resolution, self.channels = 4, 0, images.shape[-1], images.shape[1]
        self.drawn = 0

    def forward(self, z, labels=None):
        index = (torch.arange(len(z)) + self.drawn) % len(self.images)
        self.drawn += len(z)
        return self.images[index]


def test_the_audit_s_generated_images_are_on_the_records_scale():
    """The distance attack compares records in [-1, 1] with generated images on the same scale: a generator that
    copies the members is then at distance ~0 from each of them (once on the pixel scale, it was not)."""
    from duelo.privacy.audit import distance_scores
    from duelo.tasks.image_gan.audit import generated_images

    rng = torch.Generator().manual_seed(0)
    members = torch.randint(0, 256, (40, 1, 8, 8), generator=rng).float().div(127.5).sub(1)
    others = torch.randint(0, 256, (40, 1, 8, 8), generator=rng).float().div(127.5).sub(1)
    fake = generated_images(_Copier(members), 80, seed=0)
    assert fake.min() >= -1 and fake.max() <= 1 and (fake - members.repeat(2, 1, 1, 1)).abs().max() < 1e-5
    assert auc(distance_scores(members, fake).numpy(), distance_scores(others, fake).numpy()) == 1.0


@pytest.mark.slow
def test_an_image_audit_adds_the_shadow_attack(tmp_path, capsys, monkeypatch):
    """On a tiny digits run: shadows trained the run's way on halves of reference images add the third attack;
    reference images of the wrong kind are refused by name."""
    from duelo.data import load_dataset

    monkeypatch.setenv("DUELO_JUDGE_STEPS", "20")            # each shadow's summary trains a judge on its half
    digits = load_dataset("digits", resolution=8, channels=1)
    np.savez(tmp_path / "train.npz", images=digits.images[:900].numpy(), labels=digits.labels[:900].numpy())
    np.savez(tmp_path / "reference.npz", images=digits.images[900:1300].numpy(), labels=digits.labels[900:1300].numpy())
    np.savez(tmp_path / "unlabelled.npz", images=digits.images[900:1300].numpy())
    run = tmp_path / "run"
    tiny = ["--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8", "--batch", "32",
            "--conditional", "--set", "run.grid_samples=10", "--set", "run.eval_per_class=4"]
    assert main(["train", "--dataset", str(tmp_path / "train.npz"), *tiny, "--kimg", "0.128",
                 "--snapshot-kimg", "0.128", "--out", str(tmp_path), "--name", "run"]) == 0
    out = tmp_path / "audit.json"
    args = ["--samples", "100", "--max-records", "60", "--shadows", "2", "--shadow-kimg", "0.064"]
    assert main(["audit", str(run), *args, "--reference", str(tmp_path / "reference.npz"), "--out", str(out)]) == 0
    shadow = json.loads(out.read_text())["attacks"]["shadow_model"]
    assert 0 <= shadow["auc"] <= 1 and shadow["shadows"] == 2 and shadow["reference_images"] == 400
    assert shadow["shadow_kimg"] == 0.064 and "shadow model 2 of 2: " in capsys.readouterr().err
    assert main(["audit", str(run), *args, "--reference", str(tmp_path / "unlabelled.npz")]) != 0
    assert "unlabelled images for a class-conditional run" in capsys.readouterr().err


def test_a_private_shadow_s_members_leave_out_the_split_it_never_trains_on():
    """A private recipe keeps an evaluation split of each shadow's half out of training, as PrivateImages does in
    the target; those images are labelled non-members of the shadow."""
    from duelo.data import load_dataset
    from duelo.tasks import task_config
    from duelo.tasks.image_gan.private import PrivateImages
    from duelo.tasks.image_gan.shadow import _trained_part

    digits = load_dataset("digits", resolution=8, channels=1)
    mask = np.random.default_rng(0).random(len(digits)) < 0.5
    private = task_config("image-gan", {"privacy.epsilon": 3.0})
    trained = _trained_part(mask, digits.labels, private, 10)
    half = digits.subset(torch.from_numpy(np.nonzero(mask)[0]), "half")
    kept_out = PrivateImages(half, private.privacy.eval_fraction).evaluation
    assert trained.sum() == mask.sum() - len(kept_out) and not (trained & ~mask).any()
    left_out = np.nonzero(mask & ~trained)[0]
    assert torch.equal(digits.images[torch.from_numpy(left_out)], kept_out.images)
    assert (_trained_part(mask, digits.labels, task_config("image-gan"), 10) == mask).all()   # not private: all


def test_a_private_table_shadow_s_members_leave_out_the_rows_its_fit_keeps_out(tmp_path):
    """As for images: a private fit of a shadow's half keeps its evaluation split out of training (PrivateTable);
    those rows are labelled non-members of the shadow."""
    from duelo.tasks import task_config
    from duelo.tasks.tabular.private import PrivateTable
    from duelo.tasks.tabular.schema import read_schema
    from duelo.tasks.tabular.shadow import trained_part
    from tests.privacy.test_private_tables import _schema, _table

    reference = _table(400, 3)
    mask = np.random.default_rng(0).random(len(reference)) < 0.5
    private = task_config("tabular", {"privacy.epsilon": 1.0, "data.schema": str(_schema(tmp_path))})
    trained = trained_part(mask, private)
    kept_out = PrivateTable(reference[mask].reset_index(drop=True), read_schema(_schema(tmp_path)), private,
                            "half").evaluation
    assert trained.sum() == mask.sum() - len(kept_out) and not (trained & ~mask).any()
    left_out = reference[mask & ~trained].reset_index(drop=True)
    pd.testing.assert_frame_equal(left_out, kept_out, check_dtype=False)
    assert (trained_part(mask, task_config("tabular")) == mask).all()
