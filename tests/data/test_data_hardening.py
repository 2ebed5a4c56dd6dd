"""Inputs that used to hang, exhaust memory or crash the data layer, and messages that were inaccurate.

Each test here failed before its fix: a huge label made a billion class names, a FIFO named x.png blocked
`open()` forever, `--json` into a missing folder raised FileNotFoundError, the `data check` footer
promised skipping where training refuses, and Pillow's own wording leaked into bomb reasons.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.cli.main import main
from duelo.data import ImageDataset, check_path, load_dataset
from duelo.data.errors import ArrayFormatError, BadFilesError, BadImageError, DataError, MissingPathError
from duelo.data.images import decode_image_file

FIFO_GRACE_SECONDS = 3.0          # how long a reader may block on a FIFO before the test unblocks it


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---- 1. labels that imply absurd numbers of classes ------------------------------------------------------
@pytest.mark.parametrize("top_label", [10**6, 10**9, 2**62])
def test_npz_huge_label_is_refused_naming_file_and_key(tmp_path: Path, top_label: int):
    path = tmp_path / "huge.npz"
    np.savez(path, images=np.zeros((5, 4, 4), np.uint8), labels=np.array([0, 1, 2, 3, top_label]))
    started = time.monotonic()
    with pytest.raises(ArrayFormatError) as caught:
        load_dataset(str(path))
    assert time.monotonic() - started < 5.0
    message = str(caught.value)
    assert str(path) in message and "'labels'" in message and str(top_label) in message
    assert "0..K-1" in message                                        # says what to do


def test_npz_huge_unsigned_label_is_refused(tmp_path: Path):
    path = tmp_path / "u64.npz"
    np.savez(path, images=np.zeros((2, 4, 4), np.uint8), y=np.array([0, 2**64 - 1], dtype=np.uint64))
    with pytest.raises(ArrayFormatError, match=r"labels 'y'"):
        load_dataset(str(path))


def test_check_reports_huge_npz_label_as_bad(tmp_path: Path):
    path = tmp_path / "huge.npz"
    np.savez(path, images=np.zeros((3, 4, 4), np.uint8), labels=np.array([0, 1, 10**6]))
    report = check_path(path)
    assert report.has_bad_files and "labels 'labels'" in report.skipped[0].reason


@pytest.mark.parametrize("count, top_label, accepted", [
    (5, 999, True),          # 1,000 classes: the floor
    (5, 1000, False),        # 1,001 classes for 5 images
    (1500, 1499, True),      # as many classes as images
    (1500, 1500, False),
])
def test_npz_class_count_limit(tmp_path: Path, count: int, top_label: int, accepted: bool):
    labels = np.zeros(count, np.int64)
    labels[-1] = top_label
    np.savez(tmp_path / "d.npz", images=np.zeros((count, 2, 2), np.uint8), labels=labels)
    if accepted:
        assert load_dataset(str(tmp_path / "d.npz")).num_classes == top_label + 1
    else:
        with pytest.raises(ArrayFormatError, match="classes"):
            load_dataset(str(tmp_path / "d.npz"))


def test_npz_negative_label_names_file_and_fix(tmp_path: Path):
    path = tmp_path / "neg.npz"
    np.savez(path, images=np.zeros((2, 4, 4), np.uint8), labels=np.array([0, -3]))
    with pytest.raises(ArrayFormatError) as caught:
        load_dataset(str(path))
    assert str(path) in str(caught.value) and "-3" in str(caught.value) and "0..K-1" in str(caught.value)


def test_npz_explicit_class_names_allow_more_classes_than_the_floor(tmp_path: Path):
    names = np.array([f"c{index}" for index in range(1200)])
    np.savez(tmp_path / "n.npz", images=np.zeros((2, 2, 2), np.uint8), labels=np.array([0, 1199]),
             class_names=names)
    assert load_dataset(str(tmp_path / "n.npz")).num_classes == 1200


@pytest.mark.parametrize("top_label", [10**6, 10**12])
def test_image_dataset_refuses_huge_label_without_class_names(top_label: int):
    images = torch.zeros(3, 1, 2, 2, dtype=torch.uint8)
    started = time.monotonic()
    with pytest.raises(ArrayFormatError) as caught:
        ImageDataset(images, torch.tensor([0, 1, top_label]), None, "my-set")
    assert time.monotonic() - started < 5.0
    assert "my-set" in str(caught.value) and str(top_label) in str(caught.value)


def test_image_dataset_refuses_negative_label_first():
    images = torch.zeros(2, 1, 2, 2, dtype=torch.uint8)
    with pytest.raises(ArrayFormatError, match=r"my-set: labels .*negative.*-1"):
        ImageDataset(images, torch.tensor([-1, 10**12]), None, "my-set")


# ---- 2. FIFOs, sockets and devices with image names ------------------------------------------------------
@pytest.fixture
def fifo_unblocker() -> Iterator[list[Path]]:
    """FIFOs appended to the list are opened for writing (and closed) if a reader waits on them too long.

    Without this a regression would hang the test run; with it, a reader that opened a FIFO sees an empty
    file after FIFO_GRACE_SECONDS, and the test fails on its assertions instead.
    """
    fifos: list[Path] = []
    stop = threading.Event()

    def unblock() -> None:
        if stop.wait(FIFO_GRACE_SECONDS):
            return
        while not stop.is_set():
            for fifo in fifos:
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))   # ENXIO while nobody reads
                except OSError as error:
                    if error.errno not in (errno.ENXIO, errno.ENOENT):
                        raise
            stop.wait(0.05)

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    yield fifos
    stop.set()
    thread.join()


def make_fifo(path: Path, fifos: list[Path]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    fifos.append(path)
    return path


@pytest.fixture
def folder_with_fifo(tmp_path: Path, fifo_unblocker: list[Path]) -> Path:
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("L", (8, 8), 50).save(folder / "a.png")
    make_fifo(folder / "x.png", fifo_unblocker)
    return folder


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_check_skips_fifo_in_folder_without_opening_it(folder_with_fifo: Path, capsys: pytest.CaptureFixture):
    status, out, _ = run(["data", "check", str(folder_with_fifo)], capsys)
    assert status == 1
    line = next(line for line in out.splitlines() if "x.png" in line)
    assert line.strip().startswith("skipped") and "not a regular file (fifo)" in line
    assert "2 image files: 1 readable, 1 bad" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_training_load_skips_or_refuses_fifo(folder_with_fifo: Path):
    dataset = load_dataset(str(folder_with_fifo))
    assert len(dataset) == 1
    assert [(Path(entry.path).name, entry.reason) for entry in dataset.report.skipped] == [
        ("x.png", "not a regular file (fifo)")]
    with pytest.raises(BadFilesError, match=r"x.png: not a regular file \(fifo\)"):
        load_dataset(str(folder_with_fifo), bad_files="refuse")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_single_fifo_image_is_not_opened(tmp_path: Path, fifo_unblocker: list[Path]):
    fifo = make_fifo(tmp_path / "x.png", fifo_unblocker)
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(fifo))
    assert caught.value.reason == "not a regular file (fifo)"
    assert check_path(fifo).skipped[0].reason == "not a regular file (fifo)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("name", ["d.npz", "d.zip"])
def test_fifo_archive_is_not_opened(tmp_path: Path, fifo_unblocker: list[Path], name: str):
    fifo = make_fifo(tmp_path / name, fifo_unblocker)
    report = check_path(fifo)
    assert report.skipped[0].reason.startswith("not a regular file (fifo)")
    with pytest.raises(DataError) as caught:
        load_dataset(str(fifo))
    assert str(fifo) in str(caught.value) and "not a regular file (fifo)" in str(caught.value)


def test_socket_named_like_an_image_is_skipped(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    Image.new("L", (8, 8), 50).save(folder / "a.png")
    path = folder / "s.png"
    if len(os.fsencode(path)) >= 100 or not hasattr(socket, "AF_UNIX"):
        pytest.skip("unix socket path too long here")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        report = check_path(folder)
    finally:
        server.close()
    assert [(Path(entry.path).name, entry.reason) for entry in report.skipped] == [
        ("s.png", "not a regular file (socket)")]


def test_symlink_to_regular_image_still_works(tmp_path: Path):
    folder = tmp_path / "links"
    folder.mkdir()
    Image.new("L", (8, 8), 50).save(tmp_path / "real.png")
    (folder / "a.png").symlink_to(tmp_path / "real.png")
    assert len(load_dataset(str(folder))) == 1


# ---- 3. --json into a place that cannot be written -------------------------------------------------------
def test_check_json_write_failure_is_a_data_error(clean_folder: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture):
    target = tmp_path / "missing" / "dir" / "x.json"
    status, _, err = run(["data", "check", str(clean_folder), "--json", str(target)], capsys)
    assert status == 2
    assert err.startswith("error: ") and str(target) in err and "folder" in err
    assert not target.exists()


# ---- 4. the footer says what training will do ------------------------------------------------------------
SKIP_FOOTER = "skipped by default when training"


def test_footer_for_folder_says_bad_files_are_skipped(corpus: Path, capsys: pytest.CaptureFixture):
    _, out, _ = run(["data", "check", str(corpus)], capsys)
    assert SKIP_FOOTER in out and "--bad-files refuse" in out


def test_footer_for_broken_npz_says_training_refuses(tmp_path: Path, capsys: pytest.CaptureFixture):
    np.savez(tmp_path / "bad.npz", pixels=np.zeros(3))
    status, out, err = run(["data", "check", str(tmp_path / "bad.npz")], capsys)
    assert status == 1
    assert SKIP_FOOTER not in out and "training refuses" in out.lower()
    assert "image files are unreadable" not in err


def test_footer_for_unreadable_zip_says_training_refuses(tmp_path: Path, capsys: pytest.CaptureFixture):
    (tmp_path / "fake.zip").write_text("hello")
    status, out, _ = run(["data", "check", str(tmp_path / "fake.zip")], capsys)
    assert status == 1
    assert SKIP_FOOTER not in out and "training refuses" in out.lower()


def test_footer_for_zip_with_a_bad_member_says_skipped(tmp_path: Path, capsys: pytest.CaptureFixture):
    archive = tmp_path / "a.zip"
    Image.new("L", (4, 4)).save(tmp_path / "ok.png")
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(tmp_path / "ok.png", "ok.png")
        handle.writestr("bad.png", b"not a png")
    _, out, _ = run(["data", "check", str(archive)], capsys)
    assert SKIP_FOOTER in out


def test_footer_for_a_single_image_file(tmp_path: Path, capsys: pytest.CaptureFixture):
    (tmp_path / "x.png").write_bytes(b"")
    _, out, _ = run(["data", "check", str(tmp_path / "x.png")], capsys)
    assert SKIP_FOOTER not in out and "single image" in out


# ---- 5. one wording for decompression bombs ---------------------------------------------------------------
def test_bomb_over_twice_pillows_limit_gets_our_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    Image.new("L", (64, 64)).save(tmp_path / "b.png")              # 4,096 pixels > 2 × 1,000
    monkeypatch.setattr("duelo.data.images.MAX_IMAGE_PIXELS", 10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(tmp_path / "b.png"))
    assert caught.value.reason == "decompression bomb: 4096 pixels exceeds limit 1000"


def test_bomb_in_pillows_warning_zone_gets_our_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    Image.new("L", (40, 40)).save(tmp_path / "b.png")              # 1,600 pixels, in (1,000, 2,000]
    monkeypatch.setattr("duelo.data.images.MAX_IMAGE_PIXELS", 10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(tmp_path / "b.png"))
    assert caught.value.reason == "decompression bomb: 40×40 pixels exceeds limit 1000"


def test_pillow_limit_off_leaves_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    Image.new("L", (40, 40)).save(tmp_path / "b.png")
    monkeypatch.setattr("duelo.data.images.MAX_IMAGE_PIXELS", 1000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(BadImageError) as caught:
        decode_image_file(str(tmp_path / "b.png"))
    assert caught.value.reason == "decompression bomb: 40×40 pixels exceeds limit 1000"


# ---- messages name the file and say what to do -----------------------------------------------------------
def test_unreadable_npz_and_zip_say_what_to_do(tmp_path: Path):
    (tmp_path / "x.npz").write_text("not numpy")
    (tmp_path / "x.zip").write_text("not a zip")
    for name, advice in (("x.npz", "numpy.savez"), ("x.zip", "re-create")):
        with pytest.raises(DataError) as caught:
            load_dataset(str(tmp_path / name))
        assert str(tmp_path / name) in str(caught.value) and advice in str(caught.value)


def test_missing_path_says_what_to_do(tmp_path: Path):
    with pytest.raises(MissingPathError, match="check the path"):
        check_path(tmp_path / "nowhere")
    with pytest.raises(MissingPathError, match="check the path"):
        load_dataset(str(tmp_path / "nowhere.npz"))


def test_class_names_without_labels_says_what_to_do():
    with pytest.raises(ArrayFormatError, match="my-set: class_names given without labels; "):
        ImageDataset(torch.zeros(1, 1, 2, 2, dtype=torch.uint8), None, ["a"], "my-set")
