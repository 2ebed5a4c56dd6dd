"""commit_folder: a whole folder or nothing, with the exchange and with the fallback of file systems that cannot
exchange (whose cut commit is put back by recover_folder)."""

from __future__ import annotations

import pytest

from duelo.io import folders


def fill_with(text):
    def fill(folder):
        (folder / "a.txt").write_text(text)
        (folder / "b.txt").write_text(text)
    return fill


def contents(folder):
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.mark.parametrize("exchange", [True, False])
def test_a_commit_replaces_the_whole_folder_and_keeps_other_files(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(folders, "_exchange", lambda first, second: False)
    target = tmp_path / "model"
    folders.commit_folder(target, fill_with("old"))
    (target / "notes.md").write_text("mine")
    folders.commit_folder(target, fill_with("new"), keep_other_files=True)
    assert contents(target) == {"a.txt": "new", "b.txt": "new", "notes.md": "mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["model"]          # no temp or set-aside folder left


def test_a_failing_fill_leaves_the_old_folder(tmp_path):
    target = tmp_path / "model"
    folders.commit_folder(target, fill_with("old"))

    def broken(folder):
        (folder / "a.txt").write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        folders.commit_folder(target, broken)
    assert contents(target) == {"a.txt": "old", "b.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_fallback_commit_cut_between_its_renames_is_put_back(tmp_path):
    target = tmp_path / "model"
    folders.commit_folder(target, fill_with("old"))
    aside = tmp_path / f".model{folders.OLD_MARK}abc"
    target.rename(aside)                               # the crash came after the first rename
    (tmp_path / ".model.xyz.tmp").mkdir()              # and left the new folder staged
    folders.clean_leftovers(target)
    assert contents(target) == {"a.txt": "old", "b.txt": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
