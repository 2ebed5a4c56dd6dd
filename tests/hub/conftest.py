"""Tiny CPU runs of three tasks (image GAN, table, text), each trained once per test session, and their Hub folders;
and a local Hugging Face cache filled the way huggingface_hub fills it (no network is ever contacted)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from duelo.cli.main import main
from tests.text.made_up import write_names

IMAGE = ["train", "--dataset", "digits", "--resolution", "8", "--model", "dcgan", "--width", "8", "--z-dim", "8",
         "--batch", "16", "--kimg", "0.032", "--snapshot-kimg", "0.032", "--log-kimg", "0.016", "--conditional",
         "--set", "run.grid_samples=4", "--set", "run.eval_per_class=4"]
TABLE = ["--epochs", "2", "--batch-size", "50", "--pac", "5", "--seed", "2", "--set", "run.snapshot_kimg=0.4",
         "--set", "run.log_kimg=0.1", "--set", "model.embedding_dim=8", "--set", "model.generator_dim=32,32",
         "--set", "model.discriminator_dim=32,32"]
TEXT = ["train", "--task", "text", "--model", "mle", "--width", "32", "--batch", "32", "--seed", "1", "--set",
        "text.embed=16", "--set", "text.representations=2", "--set", "text.eval_samples=64", "--set",
        "run.log_kimg=0.25", "--kimg", "0.5", "--set", "run.snapshot_kimg=0.5"]


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hub-runs")


@pytest.fixture(scope="session")
def image_run(runs) -> Path:
    """A class-conditional run (summary: class accuracy) with the health monitor's split, audited."""
    assert main([*IMAGE, "--out", str(runs), "--name", "digits"]) == 0
    run = runs / "digits"
    assert main(["audit", str(run), "--samples", "40", "--max-records", "40", "--out", str(runs / "audit.json")]) == 0
    return run


def fit_tiny_table(runs: Path) -> Path:
    """runs/table.csv (250 rows: a category that shifts a number, a count) and the model fitted on it, runs/table."""
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b", "c"], 250)
    frame = pd.DataFrame({"group": group, "value": np.where(group == "a", 0.0, 5.0) + rng.normal(0, 1, 250),
                          "count": rng.integers(0, 9, 250)})
    frame.to_csv(runs / "table.csv", index=False)
    assert main(["tabular", "fit", str(runs / "table.csv"), "--out", str(runs / "table"), *TABLE]) == 0
    return runs / "table"


@pytest.fixture(scope="session")
def table_run(runs) -> Path:
    return fit_tiny_table(runs)


@pytest.fixture(scope="session")
def text_run(runs) -> Path:
    assert main([*TEXT, "--dataset", str(write_names(runs / "names.txt")), "--out", str(runs), "--name", "names"]) == 0
    return runs / "names"


@pytest.fixture(scope="session")
def image_hub(image_run, runs) -> Path:
    from duelo.hub import save_pretrained

    return save_pretrained(image_run, runs / "digits-hub", audit=runs / "audit.json", reference="someone/digits")


def put_in_cache(folder: Path, cache: Path, repo_id: str, commit: str = "a" * 40) -> Path:
    """Lay `folder` out in a Hugging Face cache as a download leaves it: blobs named by content, a snapshot of
    symbolic links to them, refs/main naming the commit. Returns the snapshot folder."""
    from huggingface_hub.file_download import repo_folder_name

    storage = cache / repo_folder_name(repo_id=repo_id, repo_type="model")
    snapshot = storage / "snapshots" / commit
    (storage / "blobs").mkdir(parents=True, exist_ok=True)
    (storage / "refs").mkdir(exist_ok=True)
    (storage / "refs" / "main").write_text(commit)
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        blob = storage / "blobs" / hashlib.sha256(file.read_bytes()).hexdigest()
        shutil.copyfile(file, blob)
        link = snapshot / file.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot
