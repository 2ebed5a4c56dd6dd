"""One commit protocol for every folder duelo writes (a run's model/, a translator's folder, a tabular model,
a checkpoint): all files are written into a hidden temp folder beside the final one and fsynced, then one
rename puts the folder in place — a plain rename when nothing is there yet, an atomic exchange of the two
folders (Linux renameat2 RENAME_EXCHANGE) when an older version is there. A reader sees the old folder or the
new one, whole, never a mix, after SIGKILL, a power cut or a full disk.

    commit_folder(run / "model", lambda temp: save_files_into(temp))

Where the file system cannot exchange (not Linux, some network file systems) the old folder is renamed aside
first and the new one renamed in; a crash between the two leaves the old folder under `.NAME.old-*`, which
`recover_folder` (called before every commit and by `clean_leftovers`) puts back. Temp folders of a killed
commit are removed by `clean_leftovers`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from duelo.io.atomic import current_umask, fsync_directory
from duelo.faults import fault_point, write_point

TEMP_SUFFIX = ".tmp"
OLD_MARK = ".old-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (then nothing changed)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def fsync_tree(folder: Path) -> None:
    """fsync every file below `folder`, then every folder (deepest first)."""
    folders = []
    for root, _, files in os.walk(folder):
        folders.append(Path(root))
        for name in files:
            with open(Path(root) / name, "rb") as handle:
                os.fsync(handle.fileno())
    for path in reversed(folders):
        fsync_directory(path)


def recover_folder(final: Path) -> None:
    """Undo a commit cut between its two renames (only the fallback path has two): the old folder set aside
    comes back when no new one took its place; otherwise it is stale and removed."""
    parent = final.parent
    if not parent.is_dir():
        return
    for entry in sorted(parent.glob(f".{final.name}{OLD_MARK}*")):
        if not final.exists():
            os.rename(entry, final)
            fsync_directory(parent)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def clean_leftovers(final: Path) -> None:
    """Remove what killed commits of `final` left beside it (temp folders), after recovering a cut one."""
    recover_folder(final)
    parent = final.parent
    if parent.is_dir():
        for entry in parent.glob(f".{final.name}.*{TEMP_SUFFIX}"):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def _carry_others(old: Path, new: Path) -> None:
    for entry in old.iterdir():
        target = new / entry.name
        if target.exists() or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target, symlinks=True)
            continue
        try:
            os.link(entry, target, follow_symlinks=False)
        except OSError:
            shutil.copy2(entry, target, follow_symlinks=False)


def commit_folder(final: str | os.PathLike, fill: Callable[[Path], object], keep_other_files: bool = False) -> Path:
    """Call fill(temp) to write every file of the folder into a temp folder beside `final`, then commit it in
    one step (see the module text). On any failure the temp folder goes and `final` is as it was.
    `keep_other_files`: files of the old folder that fill() did not write are carried into the new one (hard
    links where possible), e.g. a model.onnx exported beside a model's weights."""
    final = Path(final)
    write_point(final)
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    recover_folder(final)
    if final.exists() and not final.is_dir():
        raise FileExistsError(errno.EEXIST, "a file is in the way of a folder", str(final))
    temp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=TEMP_SUFFIX, dir=parent))
    try:
        os.chmod(temp, 0o777 & ~current_umask())     # mkdtemp makes 0700; a folder is as shareable as the umask says
        fill(temp)
        for path in temp.rglob("*"):                  # safetensors makes 0600 files: the umask decides here too
            if path.is_file():
                os.chmod(path, 0o666 & ~current_umask())
        if keep_other_files and final.is_dir():
            _carry_others(final, temp)
        fsync_tree(temp)
        fault_point("folder-staged")
        if not final.exists():
            os.rename(temp, final)
        elif _exchange(temp, final):
            fsync_directory(parent)
            fault_point("folder-exchanged")
            shutil.rmtree(temp, ignore_errors=True)  # now the old version
        else:
            aside = parent / f".{final.name}{OLD_MARK}{temp.name[len(final.name) + 2:]}"
            os.rename(final, aside)
            os.rename(temp, final)
            fsync_directory(parent)
            shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    fsync_directory(parent)
    return final
