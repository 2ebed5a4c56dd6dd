"""The shadow-model attack: its neighbour distances are exact; a meta-classifier learned from shadows that copy
their training records catches a target that copies its members and not one that draws fresh records; on a
table model the attack trains its shadows the run's way and adds its row to `duelo audit`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

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
