"""The one-time decode cache of user folders: a hit skips decoding and gives the same dataset and report; a
changed listing (added, removed, modified file) or changed options rebuild it; corrupt or foreign files are
ignored and rebuilt; the bad-file policy still applies to a cached load."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from duelo.data import collection, decode_cache, load_dataset
from duelo.data.errors import BadFilesError


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUELO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(decode_cache.SWITCH_ENV, raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "pets"
    for name, value in (("cats/a.png", 10), ("cats/b.png", 20), ("dogs/c.png", 30)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((6, 6, 3), value, dtype=np.uint8)).save(root / name)
    (root / "dogs" / "broken.png").write_bytes(b"not a png")
    (root / "notes.txt").write_text("ignored")
    return root


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the folder decodes (cache misses)."""
    calls: list[int] = []
    real = collection.decode_items

    def counting(items, *args, **kwargs):
        calls.append(len(items))
        return real(items, *args, **kwargs)

    monkeypatch.setattr("duelo.data.loading.decode_items", counting)
    return calls


def entries() -> list[Path]:
    return sorted(decode_cache.decode_cache_dir().glob("*.npz"))


def test_second_load_comes_from_the_cache_with_the_same_report(folder: Path, decodes: list[int]):
    first = load_dataset(str(folder), resolution=4)
    second = load_dataset(str(folder), resolution=4)
    assert decodes == [4] and len(entries()) == 1
    assert second.fingerprint() == first.fingerprint() and second.class_names == ["cats", "dogs"]
    assert second.report.to_dict() == first.report.to_dict() and len(second.report.skipped) == 1
    with pytest.raises(BadFilesError, match="broken.png"):
        load_dataset(str(folder), resolution=4, bad_files="refuse")           # the policy applies to a hit
    load_dataset(str(folder), resolution=5)                                      # other options: own entry
    assert decodes == [4, 4] and len(entries()) == 2


@pytest.mark.parametrize("change", ["add", "remove", "modify"])
def test_a_changed_listing_rebuilds(folder: Path, decodes: list[int], change: str):
    first = load_dataset(str(folder), resolution=4)
    target = folder / "dogs" / "c.png"
    if change == "add":
        Image.fromarray(np.full((6, 6, 3), 99, dtype=np.uint8)).save(folder / "dogs" / "d.png")
    elif change == "remove":
        target.unlink()
    else:
        stat = target.stat()
        Image.fromarray(np.full((6, 6, 3), 77, dtype=np.uint8)).save(target)    # same size, new pixels
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))                # even with the old mtime
    second = load_dataset(str(folder), resolution=4)
    assert decodes == [4, 4 + {"add": 1, "remove": -1, "modify": 0}[change]] and len(entries()) == 1
    assert len(second) == len(first) + {"add": 1, "remove": -1, "modify": 0}[change]
    if change == "modify":
        assert int(second.images[-1].max()) == 77


@pytest.mark.parametrize("damage", ["garbage", "foreign", "truncated"])
def test_corrupt_or_foreign_cache_is_ignored_and_rebuilt(folder: Path, decodes: list[int], damage: str):
    first = load_dataset(str(folder), resolution=4)
    (entry,) = entries()
    if damage == "garbage":
        entry.write_bytes(b"\x93NUMPY garbage")
    elif damage == "foreign":
        np.savez(entry, images=np.zeros((3, 3, 4, 4), dtype=np.uint8))           # no identity: not ours
    else:
        entry.write_bytes(entry.read_bytes()[:200])
    again = load_dataset(str(folder), resolution=4)
    assert decodes == [4, 4] and again.fingerprint() == first.fingerprint()
    load_dataset(str(folder), resolution=4)
    assert decodes == [4, 4]                                                    # rebuilt entry is used


def test_cache_can_be_turned_off(folder: Path, decodes: list[int], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(decode_cache.SWITCH_ENV, "off")
    load_dataset(str(folder))
    load_dataset(str(folder))
    assert decodes == [4, 4] and not entries()
