"""A tiny class-conditional run through the CLI: the run folder holds everything it promises, and
`duelo sample` turns its model into PNGs with provenance."""

import hashlib
import json

import numpy as np
import pytest
from PIL import Image

from duelo.cli.main import main
from duelo.io.images import read_png_text
from tests.training.helpers import TINY_ARGS


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("e2e")
    import os
    old = os.getcwd()
    os.chdir(cwd)
    try:
        assert main(["train", *TINY_ARGS, "--conditional", "--name", "tiny"]) == 0
    finally:
        os.chdir(old)
    return cwd / "runs" / "tiny"


def test_run_folder_contents(run):
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["conditional"] is True and config["data"]["dataset"] == "digits"
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["nimg"] for line in lines] == [96, 192, 288, 384, 480, 576, 640]   # every 0.096 kimg + the end
    for key in ("kimg", "img_per_s", "loss_D", "loss_G", "D_real", "D_fake"):
        assert key in lines[-1]
    assert [line["nimg"] for line in lines] == sorted(line["nimg"] for line in lines)
    grids = sorted((run / "samples").glob("grid-*.png"))
    assert len(grids) == 4
    with Image.open(grids[-1]) as grid:
        assert grid.size[0] > 8 and grid.size[1] > 8
    assert (run / "model" / "config.json").exists() and (run / "model" / "model.safetensors").exists()
    assert json.loads((run / "data_report.json").read_text())["summary"]["skipped"] == 0


def test_summary_reports_class_accuracy(run):
    summary = json.loads((run / "summary.json").read_text())
    assert summary["kimg"] == 0.64
    assert 0 < summary["startup_s"] < summary["train_time_s"] + 120      # the first iteration, after loading
    assert 0.0 <= summary["class_accuracy"] <= 1.0
    assert len(summary["class_accuracy_per_class"]) == 10
    assert summary["class_accuracy_samples"] == 40                   # 4 per class
    from duelo.tasks.registry import TASKS
    assert TASKS.get("image-gan").headline(summary) == [f"class_accuracy {summary['class_accuracy']:.3f}"]
    assert summary["classifier_real_accuracy"] > 0.9                  # the judge itself is competent
    digest = hashlib.sha256((run / "model" / "model.safetensors").read_bytes()).hexdigest()
    assert summary["model_sha256"] == digest


def test_sample_writes_pngs_with_provenance(run, tmp_path):
    out = tmp_path / "out"
    assert main(["sample", str(run), "--seeds", "0-3", "--label", "7", "--out", str(out)]) == 0
    files = sorted(out.glob("seed*.png"))
    assert [f.name for f in files] == [f"seed{s:06d}-class7.png" for s in range(4)]
    text = read_png_text(files[2])
    digest = hashlib.sha256((run / "model" / "model.safetensors").read_bytes()).hexdigest()
    assert text["duelo:model_sha256"] == digest
    assert text["duelo:seed"] == "2" and text["duelo:label"] == "7" and text["duelo:version"]
    assert (out / "grid.png").exists()


def test_an_image_depends_on_its_seed_alone(run, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["sample", str(run), "--seeds", "5", "--label", "1", "--out", str(a), "--no-grid"]) == 0
    assert main(["sample", str(run), "--seeds", "0-9", "--labels", "1,1,1,1,1,1,1,1,1,1", "--out", str(b)]) == 0
    first = np.asarray(Image.open(a / "seed000005-class1.png"))
    second = np.asarray(Image.open(b / "seed000005-class1.png"))
    assert np.array_equal(first, second)


def test_conditional_sampling_without_label_draws_every_class(run, tmp_path):
    assert main(["sample", str(run), "--seeds", "0-1", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("seed*.png"))) == 20


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0-3", "--label", "10"], "out of range"),
    (["--seeds", "0-3", "--labels", "1,2"], "one per seed"),
    (["--seeds", "x-y"], "--seeds"),
    (["--seeds", "0-3", "--label", "1", "--labels", "1"], "either --label or --labels"),
])
def test_sample_bad_input(run, tmp_path, argv, message, capsys):
    assert main(["sample", str(run), *argv, "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_sample_missing_or_wrong_folder(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "none")]) == 2
    assert "no such run" in capsys.readouterr().err
    assert main(["sample", str(tmp_path)]) == 2
    assert "neither a run folder" in capsys.readouterr().err


def test_eval_writes_eval_json_and_repeats_exactly(run, tmp_path, capsys):
    argv = ["eval", str(run), "--metrics", "fd_domain,prdc_domain,class_accuracy", "--num-samples", "300"]
    assert main([*argv, "--out", str(tmp_path / "a.json")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b.json")]) == 0
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    for key in ("fd_domain", "domain_precision", "domain_recall", "domain_density", "domain_coverage",
                "class_accuracy"):
        assert key in a and a[key] == b[key], key                     # fixed seeds: the same numbers
    assert a["fd_domain"] >= 0 and 0 <= a["domain_coverage"] <= 1
    with Image.open(tmp_path / "a.png") as picture:                   # per-class bars drawn next to the JSON
        assert picture.size[0] > 200
    assert main(["eval", str(run), "--metrics", "fd_domain", "--num-samples", "300"]) == 0
    assert (run / "eval.json").exists()


def test_eval_bad_input(run, tmp_path, capsys):
    assert main(["eval", str(run / "model")]) == 2
    assert "--dataset" in capsys.readouterr().err
    assert main(["eval", str(run), "--metrics", "fidd"]) == 2
    assert "unknown metric 'fidd'" in capsys.readouterr().err
    assert main(["eval", str(run), "--num-samples", "1"]) == 2
    assert "at least 2" in capsys.readouterr().err


def test_eval_refuses_data_of_another_channel_count(run, tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "colour"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (8, 8), color=(i * 50, 10, 200)).save(folder / f"{i}.png")
    assert main(["eval", str(run), "--dataset", str(folder), "--metrics", "fd_domain"]) == 2
    assert "1-channel images" in capsys.readouterr().err
