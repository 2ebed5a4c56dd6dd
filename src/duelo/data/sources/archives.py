"""Reading files out of registry packages — an npm tarball (.tgz), a Debian package (.deb) or a PyPI wheel (a zip)
— in memory.

Nothing is extracted to disk. Each tar member goes through tarfile's "data" filter first (it rejects absolute
paths, `..`, links and device files), although only its bytes are read; members that are not regular files,
or larger than a limit, are left out. A .deb is an `ar` archive holding `data.tar.{xz,gz,bz2,zst}`; its
headers are parsed here (60-byte records, see ar(5) / deb(5)), so no dpkg is needed to read one.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from duelo.data.errors import DataError

MAX_MEMBER_BYTES = 64 * 1024 * 1024        # an image file in a package is far smaller
AR_MAGIC = b"!<arch>\n"
AR_HEADER_BYTES = 60
DEB_DATA_PREFIX = "data.tar"

Member = tuple[str, bytes]                 # (normalised member path, contents)


def normalise(name: str) -> str:
    """"./usr/share/x.png" and "usr/share/x.png" name the same member."""
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


def read_members(archive: Path, wanted: Callable[[str], bool], remedy: str,
                 max_bytes: int = MAX_MEMBER_BYTES) -> Iterator[Member]:
    """(path, bytes) of the regular-file members of a .tgz/.tar or .deb whose normalised path `wanted` accepts
    and that hold at most `max_bytes`.

    DataError (ending with `remedy`) when the file is not a readable archive of either kind.
    """
    try:
        with open(archive, "rb") as handle:
            start = handle.read(len(AR_MAGIC))
        if start == AR_MAGIC:
            with tarfile.open(fileobj=io.BytesIO(_deb_data_tar(archive, remedy)), mode="r:*") as inner:
                yield from _tar_members(inner, archive, wanted, max_bytes)
        else:
            with tarfile.open(archive, "r:*") as outer:
                yield from _tar_members(outer, archive, wanted, max_bytes)
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        raise DataError(f"{archive}: not a readable package archive ({error}); {remedy}") from None


def _tar_members(archive: tarfile.TarFile, path: Path, wanted: Callable[[str], bool],
                 max_bytes: int) -> Iterator[Member]:
    with tempfile.TemporaryDirectory(prefix="duelo-filter-") as nowhere:     # the filter's notional target
        for member in archive:
            name = normalise(member.name)
            if not member.isfile() or not wanted(name):
                continue
            try:
                member = tarfile.data_filter(member, nowhere)
            except tarfile.FilterError:
                continue                                    # unsafe name or mode: never read
            if member.size > max_bytes:
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                yield name, handle.read()


def _deb_data_tar(path: Path, remedy: str) -> bytes:
    """The compressed data.tar.* member of a .deb (an ar archive)."""
    with open(path, "rb") as handle:
        handle.seek(len(AR_MAGIC))
        while True:
            header = handle.read(AR_HEADER_BYTES)
            if len(header) < AR_HEADER_BYTES:
                break
            if header[58:60] != b"`\n":
                raise DataError(f"{path}: damaged ar header; {remedy}")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            size = int(header[48:58].decode("ascii").strip() or 0)
            if name.startswith(DEB_DATA_PREFIX):
                data = handle.read(size)
                if len(data) != size:
                    raise DataError(f"{path}: {name} is cut short; {remedy}")
                return _decompress_zstd(data) if name.endswith(".zst") else data
            handle.seek(size + size % 2, io.SEEK_CUR)          # members are padded to even offsets
    raise DataError(f"{path}: a .deb without a data.tar member; {remedy}")


def _decompress_zstd(data: bytes) -> bytes:
    """Newer Debian/Ubuntu packages may use zstd, which tarfile reads only from Python 3.14."""
    try:
        from compression import zstd                                       # type: ignore[import-not-found]
    except ImportError:
        try:
            import zstandard                                                # type: ignore[import-not-found]
        except ImportError:
            raise DataError("this .deb is compressed with zstd, which this Python cannot read; extract it with "
                            "`dpkg-deb -x FILE.deb out/` and give the folder of images instead, or "
                            "`pip install zstandard`") from None
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return zstd.decompress(data)


def read_wheel_members(wheel: Path, members: tuple[str, ...], remedy: str,
                       max_bytes: int = MAX_MEMBER_BYTES) -> dict[str, bytes]:
    """{member: contents} of every one of `members` of a wheel (a zip, read in memory; no package code runs).
    DataError naming the wheel and ending with `remedy` when it is unreadable or lacks one of them."""
    found = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            for member in members:
                info = infos.get(member)
                if info is None or info.is_dir() or info.file_size > max_bytes:
                    raise DataError(f"{wheel}: no member {member}; {remedy}")
                found[member] = archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DataError(f"{wheel}: not a readable wheel ({error}); {remedy}") from None
    return found
