"""User data: folders, .zip archives and .npz arrays; label rules; bad-file policies; error messages."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.data import check_path, load_dataset
from duelo.data.errors import (
    ArrayFormatError,
    BadFilesError,
    DataError,
    EmptyDatasetError,
    MissingPathError,
    UnknownDatasetError,
)


def save_png(path: Path, value: int, size: tuple[int, int] = (12, 12), mode: str = "L") -> None:
    """A solid image: width × height `size`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = value if mode == "L" else (value, 0, 255 - value)
    Image.new(mode, size, colour).save(path)


@pytest.fixture
def class_folder(tmp_path: Path) -> Path:
    root = tmp_path / "pets"
    save_png(root / "dogs" / "d1.png", 200)
    save_png(root / "cats" / "c1.png", 10)
    save_png(root / "cats" / "c2.png", 20)
    save_png(root / "cats" / "deeper" / "c3.png", 30)           # deeper files keep the first-level class
    (root / "cats" / "notes.txt").write_text("not an image")
    (root / ".DS_Store").write_bytes(b"\0\1")
    return root


# ---- folders ---------------------------------------------------------------------------------------------
def test_class_subfolders_give_sorted_labels(class_folder: Path):
    dataset = load_dataset(str(class_folder))
    assert dataset.class_names == ["cats", "dogs"]
    assert dataset.num_classes == 2 and len(dataset) == 4
    values = dataset.images[:, 0, 0, 0].tolist()
    by_value = dict(zip(values, dataset.labels.tolist(), strict=True))
    assert by_value == {10: 0, 20: 0, 30: 0, 200: 1}
    assert dataset.name == str(class_folder)
    assert any("notes.txt" in entry.path and "ignored" in entry.reason for entry in dataset.report.notes)
    assert not any(".DS_Store" in entry.path for entry in dataset.report.entries)


def test_flat_folder_is_unlabelled(tmp_path: Path):
    for index in range(3):
        save_png(tmp_path / "flat" / f"{index}.png", index)
    dataset = load_dataset(str(tmp_path / "flat"))
    assert dataset.labels is None and dataset.class_names is None and dataset.num_classes == 0
    assert dataset.images.shape == (3, 1, 12, 12)


def test_loose_file_beside_class_folders_makes_it_unlabelled(class_folder: Path):
    save_png(class_folder / "stray.png", 99)
    dataset = load_dataset(str(class_folder))
    assert dataset.labels is None
    assert any("unlabelled" in entry.reason and "stray.png" in entry.reason for entry in dataset.report.notes)


def test_single_wrapping_folder_is_looked_through(tmp_path: Path, class_folder: Path):
    wrapped = tmp_path / "outer"
    wrapped.mkdir()
    class_folder.rename(wrapped / "pets")                              # outer/pets/{cats,dogs}/...
    dataset = load_dataset(str(wrapped))
    assert dataset.class_names == ["cats", "dogs"]


def test_colour_and_gray_mix_to_rgb(tmp_path: Path):
    save_png(tmp_path / "mix" / "gray.png", 100)
    save_png(tmp_path / "mix" / "colour.png", 100, mode="RGB")
    dataset = load_dataset(str(tmp_path / "mix"))
    assert dataset.channels == 3
    assert any("mixed gray and colour" in entry.reason for entry in dataset.report.notes)
    gray = load_dataset(str(tmp_path / "mix"), channels=1)
    assert gray.channels == 1


def test_mixed_sizes_need_a_resolution(tmp_path: Path):
    save_png(tmp_path / "sizes" / "a.png", 50, size=(12, 12))
    save_png(tmp_path / "sizes" / "b.png", 50, size=(30, 20))
    with pytest.raises(DataError, match="differ in size.*--resolution"):
        load_dataset(str(tmp_path / "sizes"))
    dataset = load_dataset(str(tmp_path / "sizes"), resolution=16)
    assert dataset.images.shape == (2, 1, 16, 16)
    assert any("mixed sizes" in entry.reason for entry in dataset.report.notes)


# ---- bad files: policies ---------------------------------------------------------------------------------
def test_skip_policy_reports_bad_files(corpus: Path, bad_reasons: dict[str, str]):
    dataset = load_dataset(str(corpus), resolution=16)
    skipped = {Path(entry.path).name: entry.reason for entry in dataset.report.skipped}
    assert set(skipped) == set(bad_reasons)
    for name, reason in bad_reasons.items():
        assert skipped[name].startswith(reason)
    assert len(dataset) == dataset.report.files_used == dataset.report.files_seen - len(bad_reasons)
    assert dataset.images.shape[1:] == (3, 16, 16)


def test_refuse_policy_names_a_bad_file(corpus: Path):
    with pytest.raises(BadFilesError) as caught:
        load_dataset(str(corpus), resolution=16, bad_files="refuse")
    message = str(caught.value)
    assert "5 of" in message and "empty file (0 bytes)" in message
    assert "duelo data check" in message and "--bad-files skip" in message


def test_all_bad_is_an_error(tmp_path: Path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"")
    (tmp_path / "bad" / "b.jpg").write_text("nope")
    with pytest.raises(EmptyDatasetError, match="none of the 2 image files could be read"):
        load_dataset(str(tmp_path / "bad"))


def test_unknown_policy_and_mode(class_folder: Path):
    with pytest.raises(DataError, match="bad-files policy 'ignore'"):
        load_dataset(str(class_folder), bad_files="ignore")
    with pytest.raises(DataError, match="resize mode 'crop'"):
        load_dataset(str(class_folder), resize="crop")


# ---- errors that teach -----------------------------------------------------------------------------------
def test_empty_folder(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(EmptyDatasetError, match="no image files found"):
        load_dataset(str(tmp_path / "empty"))


def test_missing_path(tmp_path: Path):
    with pytest.raises(MissingPathError, match="no such file or folder: .*nowhere"):
        load_dataset(str(tmp_path / "nowhere"))
    with pytest.raises(MissingPathError):
        load_dataset("faces.zip")


def test_unknown_name_is_not_taken_for_a_path():
    with pytest.raises(UnknownDatasetError, match="choose one of: digits, emoji-apple, .*, mnist, mnist-5k"):
        load_dataset("cifar10")


@pytest.mark.parametrize("resolution", [0, -4, 2.5, True, "32"])
def test_resolution_must_be_positive_int(resolution):
    with pytest.raises(DataError, match="resolution must be a positive integer"):
        load_dataset("digits", resolution=resolution)


def test_channels_must_be_1_or_3():
    with pytest.raises(DataError, match="channels must be 1"):
        load_dataset("digits", channels=4)


def test_unsupported_file_type(tmp_path: Path):
    (tmp_path / "table.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="unsupported file type .csv"):
        load_dataset(str(tmp_path / "table.csv"))


def test_paths_have_no_named_splits(class_folder: Path):
    with pytest.raises(DataError, match="no named splits"):
        load_dataset(str(class_folder), split="test")


# ---- zip archives ----------------------------------------------------------------------------------------
def test_zip_with_class_folders(tmp_path: Path, class_folder: Path):
    archive = tmp_path / "pets.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("pets/", "")                                              # a directory entry
        for path in sorted(class_folder.rglob("*")):
            if path.is_file():
                out.write(path, f"pets/{path.relative_to(class_folder).as_posix()}")
        out.writestr("__MACOSX/pets/cats/._c1.png", b"resource fork")
        out.writestr("pets/cats/.hidden.png", b"")
    dataset = load_dataset(str(archive))
    assert dataset.class_names == ["cats", "dogs"] and len(dataset) == 4
    assert not dataset.report.skipped
    folder_dataset = load_dataset(str(class_folder))
    assert sorted(dataset.images[:, 0, 0, 0].tolist()) == sorted(folder_dataset.images[:, 0, 0, 0].tolist())


def test_zip_bad_member_and_unsafe_path(tmp_path: Path):
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as out:
        buffer = tmp_path / "ok.png"
        save_png(buffer, 9)
        out.write(buffer, "ok.png")
        out.writestr("broken.png", b"garbage bytes")
        out.writestr("../escape.png", buffer.read_bytes())
    dataset = load_dataset(str(archive))
    assert len(dataset) == 1 and dataset.labels is None
    skipped = dataset.report.skipped
    assert [Path(entry.path).name for entry in skipped] == ["broken.png"]
    assert skipped[0].path == f"{archive}/broken.png"
    assert any("leaves the archive root" in entry.reason for entry in dataset.report.notes)
    with pytest.raises(BadFilesError, match="broken.png"):
        load_dataset(str(archive), bad_files="refuse")


def test_not_a_zip(tmp_path: Path):
    (tmp_path / "fake.zip").write_text("hello")
    with pytest.raises(DataError, match="not a readable .zip"):
        load_dataset(str(tmp_path / "fake.zip"))


# ---- npz -------------------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
BASE = RNG.integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)                           # (N, H, W, C)


@pytest.mark.parametrize("layout, array, channels", [
    ("NHW", BASE[..., 0], 1),
    ("NHWC-1", BASE[..., :1], 1),
    ("NHWC-3", BASE, 3),
    ("NCHW-1", BASE[..., :1].transpose(0, 3, 1, 2), 1),
    ("NCHW-3", BASE.transpose(0, 3, 1, 2), 3),
])
def test_npz_layouts(tmp_path: Path, layout: str, array: np.ndarray, channels: int):
    np.savez(tmp_path / "d.npz", images=array, labels=np.arange(5) % 2)
    dataset = load_dataset(str(tmp_path / "d.npz"))
    assert dataset.images.shape == (5, channels, 6, 6)
    expected = BASE[..., :channels].transpose(0, 3, 1, 2)
    assert torch.equal(dataset.images, torch.from_numpy(np.ascontiguousarray(expected)))
    assert dataset.labels.tolist() == [0, 1, 0, 1, 0] and dataset.class_names == ["0", "1"]


def test_npz_rgba_is_flattened_on_white(tmp_path: Path):
    rgba = np.zeros((2, 4, 4, 4), dtype=np.uint8)                                  # fully transparent black
    np.savez(tmp_path / "a.npz", x=rgba)
    dataset = load_dataset(str(tmp_path / "a.npz"))
    assert dataset.images.shape == (2, 3, 4, 4) and int(dataset.images.min()) == 255
    assert dataset.labels is None


def test_npz_float_unit_range_is_scaled_with_a_note(tmp_path: Path):
    np.savez(tmp_path / "f.npz", x=np.ones((3, 4, 4), dtype=np.float32) * 0.5, y=np.zeros(3, dtype=np.int32))
    dataset = load_dataset(str(tmp_path / "f.npz"))
    assert int(dataset.images[0, 0, 0, 0]) == 128 and dataset.labels.dtype == torch.int64
    assert any("scaled to 0..255" in entry.reason for entry in dataset.report.notes)


@pytest.mark.parametrize("arrays, pattern", [
    ({"pixels": np.zeros((2, 4, 4), np.uint8)}, "no image array.*'images'.*Keys found: pixels"),
    ({"images": np.zeros((2, 4, 4), np.int16)}, "'images' has dtype int16"),
    ({"images": np.full((2, 4, 4), 2.0)}, r"'images' is float64 with values in \[2.0, 2.0\]"),
    ({"images": np.zeros((2, 4, 4), np.uint8), "labels": np.zeros(3, np.int64)},
     "labels 'labels' have shape"),
    ({"images": np.zeros((2, 4, 4), np.uint8), "labels": np.array([0.0, 1.0])}, "labels 'labels' have dtype"),
    ({"images": np.zeros((2, 4, 4), np.uint8), "labels": np.array([0, -1])}, "negative"),
    ({"images": np.zeros((2, 5, 5, 5), np.uint8)}, "no axis of 1, 3 or 4 channels"),
    ({"images": np.zeros((0, 4, 4), np.uint8)}, "holds no images"),
])
def test_npz_errors_name_key_and_problem(tmp_path: Path, arrays: dict, pattern: str):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=pattern):
        load_dataset(str(tmp_path / "bad.npz"))


def test_npz_object_arrays_are_never_unpickled(tmp_path: Path):
    np.savez(tmp_path / "obj.npz", images=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ArrayFormatError, match="without pickle"):
        load_dataset(str(tmp_path / "obj.npz"))


def test_npz_resized_on_load(tmp_path: Path):
    np.savez(tmp_path / "d.npz", images=BASE)
    dataset = load_dataset(str(tmp_path / "d.npz"), resolution=8, channels=1)
    assert dataset.images.shape == (5, 1, 8, 8)


# ---- check_path ------------------------------------------------------------------------------------------
def test_check_path_reports_every_bad_file(corpus: Path, bad_reasons: dict[str, str]):
    report = check_path(corpus)
    skipped = {Path(entry.path).name: entry.reason for entry in report.skipped}
    assert set(skipped) == set(bad_reasons)
    noted = {Path(entry.path).name for entry in report.notes}
    assert {"cmyk.jpg", "sixteen_bit.png", "rgba.png", "exif_rotated.jpg", "animated.gif"} <= noted
    assert any("mixed sizes" in entry.reason and "--resolution" in entry.reason for entry in report.notes)
    assert report.summary() == {"files": 17, "used": 12, "skipped": 5, "notes": len(report.notes)}
    assert report.to_dict()["summary"]["skipped"] == 5


def test_check_path_on_single_files_and_npz(tmp_path: Path, clean_folder: Path):
    assert not check_path(clean_folder / "rgb.png").has_bad_files
    (tmp_path / "x.png").write_bytes(b"")
    assert check_path(tmp_path / "x.png").skipped[0].reason == "empty file (0 bytes)"
    np.savez(tmp_path / "bad.npz", pixels=np.zeros(3))
    report = check_path(tmp_path / "bad.npz")
    assert report.has_bad_files and report.skipped[0].reason.startswith("no image array")
    with pytest.raises(MissingPathError):
        check_path(tmp_path / "missing")
