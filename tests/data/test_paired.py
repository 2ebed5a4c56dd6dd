"""Paired (pix2pix) and unpaired (CycleGAN) loading: layouts, pairing by name, bad files, conforming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from duelo.data import (
    PairedDataset,
    PairingError,
    load_dataset,
    load_paired,
    load_unpaired,
)
from duelo.data.errors import (
    BadFilesError,
    DataError,
    EmptyDatasetError,
    MissingPathError,
    UnknownDatasetError,
)
from duelo.errors import ConfigError


def pixels(seed: int, height: int = 6, width: int = 6, channels: int = 3) -> np.ndarray:
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def save(path: Path, values: np.ndarray) -> np.ndarray:
    """Write `values` (H, W[, C]) losslessly (PNG/BMP/TIFF by suffix); return them as (C, H, W)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(values).save(path)
    return values[None] if values.ndim == 2 else values.transpose(2, 0, 1)


def as_tensor(chw: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(chw))


def make_pairs(source: Path, target: Path, stems: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One RGB source PNG and one RGB target PNG per stem, different pixels on each side."""
    return {stem: (save(source / f"{stem}.png", pixels(2 * index)),
                   save(target / f"{stem}.png", pixels(2 * index + 1)))
            for index, stem in enumerate(stems)}


# ---- folders layout --------------------------------------------------------------------------------------
def test_two_folders_pair_by_stem_across_suffixes(tmp_path: Path):
    source, target = tmp_path / "edges", tmp_path / "photos"
    written = {                                  # written out of order, with different suffixes per side
        "sub/c": (save(source / "sub" / "c.png", pixels(1)), save(target / "sub" / "c.tif", pixels(2))),
        "b": (save(source / "b.bmp", pixels(3)), save(target / "b.png", pixels(4))),
        "a": (save(source / "a.png", pixels(5)), save(target / "a.bmp", pixels(6))),
        "d": (save(source / "d.png", pixels(7)), save(target / "d.png", pixels(8))),
    }
    paired = load_paired(source, target)
    assert isinstance(paired, PairedDataset) and len(paired) == 4
    assert paired.names == ["a", "b", "d", "sub/c"]
    for row, name in enumerate(paired.names):
        assert torch.equal(paired.source.images[row], as_tensor(written[name][0]))
        assert torch.equal(paired.target.images[row], as_tensor(written[name][1]))
    assert paired.source.name == str(source) and paired.target.name == str(target)
    assert all(not report.has_bad_files for report in paired.reports)
    again = load_paired(str(source), str(target), layout="folders")
    assert again.names == paired.names and torch.equal(again.target.images, paired.target.images)


@pytest.mark.parametrize("folders", [("A", "B"), ("input", "target"), ("source", "target"), ("a", "b")])
def test_one_root_with_pair_subfolders(tmp_path: Path, folders: tuple[str, str]):
    root = tmp_path / "maps"
    written = make_pairs(root / folders[0], root / folders[1], ["x", "y"])
    for layout in ("auto", "folders"):
        paired = load_paired(root, layout=layout)
        assert paired.names == ["x", "y"]
        assert torch.equal(paired.source.images[1], as_tensor(written["y"][0]))
        assert torch.equal(paired.target.images[1], as_tensor(written["y"][1]))
        assert paired.source.name == str(root / folders[0])


def test_ambiguous_or_half_subfolder_pairs_are_errors(tmp_path: Path):
    root = tmp_path / "both"
    make_pairs(root / "A", root / "B", ["x"])
    make_pairs(root / "input", root / "target", ["x"])
    with pytest.raises(PairingError, match="more than one pair of sub-folders.*A/ \\+ B/"):
        load_paired(root)
    half = tmp_path / "half"
    save(half / "A" / "x.png", pixels(0))
    with pytest.raises(PairingError, match="found A/ but not its partner"):
        load_paired(half)
    flat = tmp_path / "flat"
    save(flat / "x.png", pixels(0))
    with pytest.raises(PairingError, match="no pair of sub-folders found.*A/ \\+ B/"):
        load_paired(flat, layout="folders")


def test_unmatched_names_refused_or_skipped(tmp_path: Path):
    source, target = tmp_path / "src", tmp_path / "tgt"
    make_pairs(source, target, ["a", "b"])
    save(source / "only_in_source.png", pixels(10))
    save(target / "only_in_target.png", pixels(11))
    with pytest.raises(PairingError) as caught:
        load_paired(source, target, bad_files="refuse")
    message = str(caught.value)
    assert "1 source files have no target (1: only_in_source)" in message
    assert "1 target files have no source (1: only_in_target)" in message
    assert "without suffix" in message and "bad_files='skip'" in message
    paired = load_paired(source, target)                                         # "skip" is the default
    assert paired.names == ["a", "b"]
    skipped = {Path(entry.path).name: entry.reason for report in paired.reports for entry in report.skipped}
    assert set(skipped) == {"only_in_source.png", "only_in_target.png"}
    assert skipped["only_in_source.png"] == f"no partner named only_in_source.* in {target}"


def test_no_common_name_is_always_an_error(tmp_path: Path):
    source, target = tmp_path / "src", tmp_path / "tgt"
    save(source / "a.png", pixels(0))
    save(target / "z.png", pixels(1))
    for policy in ("skip", "refuse"):
        with pytest.raises(PairingError, match="no file name in common.*source has 1: a; target has 1: z"):
            load_paired(source, target, bad_files=policy)


def test_two_files_with_one_stem_are_ambiguous(tmp_path: Path):
    source, target = tmp_path / "src", tmp_path / "tgt"
    make_pairs(source, target, ["a"])
    save(source / "a.bmp", pixels(3))
    with pytest.raises(PairingError, match=r"src/a\.png and .*src/a\.bmp share the name 'a'"):
        load_paired(source, target)


# ---- side-by-side layout ---------------------------------------------------------------------------------
def test_side_by_side_splits_halves_exactly(tmp_path: Path):
    root = tmp_path / "facades"
    whole = {stem: save(root / f"{stem}.png", pixels(index, height=5, width=8))
             for index, stem in enumerate(["p2", "p1"])}
    for layout in ("auto", "side-by-side"):
        paired = load_paired(root, layout=layout)
        assert paired.names == ["p1", "p2"]
        assert paired.source.images.shape == paired.target.images.shape == (2, 3, 5, 4)
        for row, name in enumerate(paired.names):
            assert torch.equal(paired.source.images[row], as_tensor(whole[name][:, :, :4]))
            assert torch.equal(paired.target.images[row], as_tensor(whole[name][:, :, 4:]))
        assert len(paired.reports) == 1 and paired.reports[0].files_used == 2
    swapped = paired.swapped()
    assert torch.equal(swapped.source.images, paired.target.images) and swapped.names == paired.names


def test_side_by_side_odd_width_names_the_file(tmp_path: Path):
    root = tmp_path / "facades"
    save(root / "good.png", pixels(0, width=8))
    save(root / "odd.png", pixels(1, width=7))
    with pytest.raises(PairingError, match=r"odd\.png: width 7 is odd"):
        load_paired(root, layout="side-by-side")
    with pytest.raises(DataError, match="give no target folder"):
        load_paired(root, tmp_path, layout="side-by-side")


# ---- bad files -------------------------------------------------------------------------------------------
def test_bad_file_drops_its_pair(tmp_path: Path):
    source, target = tmp_path / "src", tmp_path / "tgt"
    written = make_pairs(source, target, ["a", "b", "c"])
    (target / "b.png").write_text("a shopping list, not a picture\n")
    paired = load_paired(source, target)
    assert paired.names == ["a", "c"]
    assert torch.equal(paired.source.images[1], as_tensor(written["c"][0]))
    assert torch.equal(paired.target.images[1], as_tensor(written["c"][1]))
    source_report, target_report = paired.reports
    assert [(Path(e.path).name, e.reason) for e in target_report.skipped] == [
        ("b.png", "not an image (cannot identify format)")]
    assert [Path(e.path).name for e in source_report.skipped] == ["b.png"]
    assert source_report.skipped[0].reason == f"dropped with its pair: {target / 'b.png'} is unreadable"
    assert source_report.files_used == target_report.files_used == 2
    with pytest.raises(BadFilesError, match=r"tgt: 1 of 3 image files are unreadable \(.*b\.png: not an"):
        load_paired(source, target, bad_files="refuse")


def test_truncated_side_by_side_file_is_skipped_or_refused(tmp_path: Path):
    root = tmp_path / "facades"
    save(root / "a.png", pixels(0, width=8))
    save(root / "b.png", pixels(1, width=24, height=24))
    data = (root / "b.png").read_bytes()
    (root / "b.png").write_bytes(data[: len(data) // 2])
    paired = load_paired(root, layout="side-by-side")
    assert paired.names == ["a"]
    assert paired.reports[0].skipped[0].reason.startswith("truncated or corrupt image data")
    with pytest.raises(BadFilesError, match=r"b\.png: truncated"):
        load_paired(root, layout="side-by-side", bad_files="refuse")
    (root / "a.png").write_bytes(b"")
    with pytest.raises(EmptyDatasetError, match="none of the 2 pairs could be read"):
        load_paired(root, layout="side-by-side")


# ---- conforming ------------------------------------------------------------------------------------------
def test_each_side_conformed_to_its_own_channels(tmp_path: Path):
    source, target = tmp_path / "gray", tmp_path / "colour"
    for index, stem in enumerate(["a", "b"]):
        save(source / f"{stem}.png", pixels(index, height=10, width=12, channels=1))
        save(target / f"{stem}.png", pixels(index + 5, height=10, width=12))
    native = load_paired(source, target)
    assert native.source.images.shape == (2, 1, 10, 12) and native.target.images.shape == (2, 3, 10, 12)
    paired = load_paired(source, target, resolution=8)
    assert paired.source.images.shape == (2, 1, 8, 8) and paired.target.images.shape == (2, 3, 8, 8)
    flipped = load_paired(source, target, resolution=8, source_channels=3, target_channels=1)
    assert flipped.source.images.shape == (2, 3, 8, 8) and flipped.target.images.shape == (2, 1, 8, 8)
    for side, folder, channels in ((flipped.source, source, 3), (flipped.target, target, 1)):
        alone = load_dataset(str(folder), resolution=8, channels=channels)   # the same conforming as alone
        assert torch.equal(side.images, alone.images)
    with pytest.raises(DataError, match="target_channels must be 1 .* got 2"):
        load_paired(source, target, target_channels=2)
    with pytest.raises(DataError, match="pair layout 'stacked'"):
        load_paired(source, target, layout="stacked")


def test_paths_that_are_not_folders(tmp_path: Path):
    save(tmp_path / "one.png", pixels(0))
    with pytest.raises(MissingPathError, match="nowhere.*the target"):
        load_paired(tmp_path, tmp_path / "nowhere")
    with pytest.raises(DataError, match="one.png: the source must be a folder"):
        load_paired(tmp_path / "one.png")


# ---- split -----------------------------------------------------------------------------------------------
def test_split_is_deterministic_disjoint_and_aligned(tmp_path: Path):
    source, target = tmp_path / "src", tmp_path / "tgt"
    make_pairs(source, target, [f"p{index:02d}" for index in range(10)])
    paired = load_paired(source, target)
    rest, held = paired.split(0.3, seed=7)
    assert len(held) == 3 and len(rest) == 7
    assert set(rest.names).isdisjoint(held.names) and sorted(rest.names + held.names) == paired.names
    for part in (rest, held):
        rows = [paired.names.index(name) for name in part.names]
        assert rows == sorted(rows)                                          # original order kept
        assert torch.equal(part.source.images, paired.source.images[rows])
        assert torch.equal(part.target.images, paired.target.images[rows])
    rest_again, held_again = paired.split(0.3, seed=7)
    assert held_again.names == held.names and rest_again.names == rest.names
    assert torch.equal(held.source.images, paired.source.split(0.3, seed=7)[1].images)   # same draw
    assert {tuple(paired.split(0.3, seed=seed)[1].names) for seed in range(5)} != {tuple(held.names)}
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        paired.split(1.0, seed=0)


# ---- unpaired --------------------------------------------------------------------------------------------
def test_unpaired_folders_of_different_sizes_and_counts(tmp_path: Path):
    for index in range(3):
        save(tmp_path / "horses" / f"h{index}.png", pixels(index, height=10, width=10))
    for index in range(5):
        save(tmp_path / "zebras" / f"z{index}.png", pixels(index, height=14, width=20, channels=1))
    horses, zebras = load_unpaired(tmp_path / "horses", tmp_path / "zebras", resolution=8)
    assert horses.images.shape == (3, 3, 8, 8) and zebras.images.shape == (5, 1, 8, 8)
    _, zebras_rgb = load_unpaired(tmp_path / "horses", tmp_path / "zebras", resolution=8, b_channels=3)
    assert zebras_rgb.images.shape == (5, 3, 8, 8)
    digits, _ = load_unpaired("digits", tmp_path / "zebras", resolution=8)      # a registered name works too
    assert digits.images.shape == (1797, 1, 8, 8)


def test_unpaired_errors_name_the_side(tmp_path: Path):
    save(tmp_path / "horses" / "h.png", pixels(0))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingPathError, match=r"^domain B: no such file or folder: .*zebras"):
        load_unpaired(tmp_path / "horses", str(tmp_path / "zebras"))
    with pytest.raises(EmptyDatasetError, match=r"^domain A: .*empty: no image files found"):
        load_unpaired(tmp_path / "empty", tmp_path / "horses")
    with pytest.raises(UnknownDatasetError, match=r"^domain B: unknown dataset 'digitz'.*'digits'"):
        load_unpaired("digits", "digitz")
    with pytest.raises(DataError, match=r"^domain A: .*horses: a path has no named splits"):
        load_unpaired(tmp_path / "horses", "digits", split="test")
