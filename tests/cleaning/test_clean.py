"""`duelo clean` on real digits with planted faults: flat images, exact and near copies, intruders that look
like nothing else in the set (inverted digits), flipped labels; the report, the cleaned copy, and the data left
untouched."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
import torch

from duelo.cleaning.image_faults import find_faults
from duelo.cli.main import main
from duelo.data.loading import load_dataset


@pytest.fixture(scope="module")
def planted():
    digits = load_dataset("mnist-5k")
    rng = np.random.default_rng(0)
    pick = torch.from_numpy(rng.choice(len(digits), 1200, replace=False))
    images, labels = digits.images[pick].clone(), digits.labels[pick].clone()
    flipped = rng.choice(1000, 30, replace=False)
    labels[flipped] = (labels[flipped] + torch.from_numpy(rng.integers(1, 10, 30))) % 10
    intruders = 255 - images[1000:1020]                                      # black digits on white
    copies = images[1020:1040].clone()
    near = images[1040:1050].clone().int()
    near[:, :, 10, 10] = (near[:, :, 10, 10] + 40).clamp(0, 255)              # one pixel changed: a near copy
    flat = torch.full((3, 1, 28, 28), 7, dtype=torch.uint8)
    all_images = torch.cat([images[:1050], intruders, copies, near.to(torch.uint8), flat])
    all_labels = torch.cat([labels[:1050], labels[:20], labels[1020:1040], labels[1040:1050], torch.zeros(3).long()])
    kind = ["clean"] * 1050 + ["outlier"] * 20 + ["duplicate"] * 30 + ["degenerate"] * 3
    for i in flipped:
        kind[i] = "mislabelled"
    return all_images, all_labels, kind, digits.class_names


def test_planted_faults_are_found(planted):
    images, labels, kind, names = planted
    faults = find_faults(images, labels, names)
    for fault, precision, recall in (("degenerate", 1.0, 1.0), ("duplicate", 1.0, 1.0), ("outlier", 0.8, 0.8),
                                     ("mislabelled", 0.7, 0.6)):
        found = [f.index for f in faults.findings if f.kind == fault]
        correct = sum(kind[i] == fault for i in found)
        planted_count = kind.count(fault)
        assert correct >= precision * len(found) and correct >= recall * planted_count, \
            (fault, len(found), correct, planted_count)
    duplicates = [f for f in faults.findings if f.kind == "duplicate"]
    assert all(torch.equal(images[f.related][:, :9], images[f.index][:, :9]) for f in duplicates)
    assert len({f.index for f in faults.findings}) == len(faults.findings)      # one finding per item
    suggested = [f for f in faults.findings if f.kind == "mislabelled"]
    assert all(f.suggested is not None and "looks like" in f.reason for f in suggested)


def test_unlabelled_data_skips_the_label_check(planted):
    images, _, _, _ = planted
    faults = find_faults(images[:200], None)
    assert "unlabelled" in faults.checked["mislabels"]
    assert not any(f.kind == "mislabelled" for f in faults.findings)


def test_the_command_writes_a_report_and_a_cleaned_copy_and_leaves_the_data(planted, tmp_path, capsys):
    images, labels, _, names = planted
    data = tmp_path / "data.npz"
    np.savez(data, images=images.numpy(), labels=labels.numpy(), class_names=np.array(names))
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    out = tmp_path / "checked"
    assert main(["clean", str(data), "--out", str(out), "--keep", "mislabelled"]) == 0
    said = capsys.readouterr().out
    assert "duplicates" in said and "was not changed" in said
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before
    report = json.loads((out / "report.json").read_text())
    removed = sum(v for k, v in report["counts"].items() if k != "mislabelled")
    assert report["items"] == len(images) and report["kept_in_copy"] == len(images) - removed
    assert report["removed_kinds"] == ["degenerate", "duplicate", "outlier"]
    assert any(f["kind"] == "duplicate" and "duplicate_of" in f for f in report["findings"])
    cleaned = load_dataset(str(out / "cleaned.npz"))
    assert len(cleaned) == report["kept_in_copy"] and cleaned.class_names == names
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64") >= removed and "duplicates" in page
    assert main(["clean", str(data), "--out", str(out)]) != 0                   # nothing overwritten unasked
    assert "--force" in capsys.readouterr().err
    assert main(["clean", str(data), "--out", str(tmp_path / "x"), "--keep", "typos"]) != 0
    assert "unknown kind 'typos'" in capsys.readouterr().err
    assert main(["clean", str(tmp_path / "missing"), "--out", str(tmp_path / "y")]) != 0


def test_transparent_images_are_checked_on_white_and_keep_their_alpha_when_asked(tmp_path, capsys):
    """Digits as the alpha of red images, with 5 exact copies planted: --alpha keep writes a 4-channel cleaned
    copy whose alpha is the data's, the default flattens onto white, and a bad --alpha is refused before writing."""
    digits = load_dataset("mnist-5k").images[:200, 0]                                # (200, 28, 28) uint8
    red = torch.stack([torch.full_like(digits, 200), torch.full_like(digits, 30), torch.full_like(digits, 30), digits],
                      dim=1)
    rgba = torch.cat([red, red[:5]])                                                  # items 200-204 copy 0-4
    data = tmp_path / "rgba.npz"
    np.savez(data, images=rgba.numpy())
    assert main(["clean", str(data), "--out", str(tmp_path / "kept"), "--alpha", "keep"]) == 0
    report = json.loads((tmp_path / "kept" / "report.json").read_text())
    copies = sorted(max(f["index"], f["duplicate_of"]["index"]) for f in report["findings"] if f["kind"] == "duplicate")
    assert copies == [200, 201, 202, 203, 204]
    kept_mask = np.ones(len(rgba), bool)
    kept_mask[[f["index"] for f in report["findings"]]] = False
    cleaned = load_dataset(str(tmp_path / "kept" / "cleaned.npz"), alpha="keep").images
    assert cleaned.shape[1] == 4 and torch.equal(cleaned, rgba[torch.from_numpy(kept_mask)])
    assert main(["clean", str(data), "--out", str(tmp_path / "flat")]) == 0
    flat = np.load(tmp_path / "flat" / "cleaned.npz")["images"]
    assert flat.shape[1] == 3 and flat[0, :, 0, 0].tolist() == [255, 255, 255]       # transparent -> white
    capsys.readouterr()
    assert main(["clean", str(data), "--out", str(tmp_path / "bad"), "--alpha", "purple"]) != 0
    assert "--alpha purple" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n")
    assert main(["clean", str(tmp_path / "t.csv"), "--out", str(tmp_path / "c"), "--alpha", "keep"]) != 0
    assert "for images" in capsys.readouterr().err


def test_a_zip_of_images_is_cleaned_as_images_and_a_zipped_csv_as_a_table(tmp_path, capsys):
    import zipfile

    from PIL import Image

    digits = load_dataset("mnist-5k")
    archive = tmp_path / "digits.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for i in range(30):
            buffer = io.BytesIO()
            Image.fromarray(digits.images[i % 25, 0].numpy()).save(buffer, format="PNG")   # 5 exact copies
            handle.writestr(f"digits/{i:02d}.png", buffer.getvalue())
    assert main(["clean", str(archive), "--out", str(tmp_path / "images")]) == 0
    report = json.loads((tmp_path / "images" / "report.json").read_text())
    assert report["items"] == 30 and report["counts"].get("duplicate") == 5
    table = tmp_path / "rows.csv.zip"
    with zipfile.ZipFile(table, "w") as handle:
        handle.writestr("rows.csv", "a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(40)) + "1,1\n")
    assert main(["clean", str(table), "--out", str(tmp_path / "table")]) == 0
    assert "rows checked" in capsys.readouterr().out
    assert json.loads((tmp_path / "table" / "report.json").read_text())["counts"] == {"duplicate": 1}


def test_darker_copies_are_near_duplicates_by_their_perceptual_hash_and_pixels():
    from duelo.cleaning.image_faults import perceptual_hash

    digits = load_dataset("mnist-5k")
    images = digits.images[:400].clone()
    darker = (images[:8].float() * 0.8).round().to(torch.uint8)               # pixels 10-50/255 apart: no raw match
    faults = find_faults(torch.cat([images, darker]), None)
    copies = {f.index: f.related for f in faults.findings if f.kind == "duplicate"}
    assert copies == {400 + k: k for k in range(8)}, copies
    assert all("brightness" in f.reason for f in faults.findings if f.kind == "duplicate")
    hashes = perceptual_hash(torch.cat([images[:8], darker]))
    assert hashes.shape == (16, 63) and ((hashes[:8] != hashes[8:]).sum(axis=1) <= 2).all()
    distinct = (perceptual_hash(images[8:200]) != perceptual_hash(images[208:400])).sum(axis=1)
    assert distinct.mean() > 15                                                   # other digits: far apart on average


def test_which_files_are_tables():
    from pathlib import Path

    from duelo.cli.clean import is_table

    assert all(is_table(Path(name)) for name in ("a.csv", "a.CSV.gz", "a.tsv.zip", "a.parquet", "b.v2.csv"))
    assert not any(is_table(Path(name)) for name in ("a.zip", "ecg.csv.npz", "a.gz", "images", "a.npz"))
