"""Reader for the IDX format of MNIST and Fashion-MNIST (LeCun et al., "THE MNIST DATABASE").

Layout: two zero bytes, one dtype code, one byte with the number of dimensions, then one big-endian
uint32 per dimension, then the data in C order. Files may be gzipped; we tell by the gzip magic bytes,
not by the suffix, so renamed files still work.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np

from duelo.data.errors import IdxFormatError

# IDX dtype code -> numpy dtype (multi-byte types are big-endian in the format)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
MAX_IDX_BYTES = 1 << 30   # 1 GiB after decompression: far above full MNIST (47 MB), stops a gzip bomb


def parse_idx(data: bytes, source: str) -> np.ndarray:
    """Parse the bytes of one IDX file; `source` names the file in error messages."""
    if data[:2] == GZIP_MAGIC:
        data = _gunzip_limited(data, source)
    if len(data) < 4:
        raise IdxFormatError(f"{source}: not an IDX file (only {len(data)} bytes); the file is incomplete, "
                             f"fetch it again")
    if data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES or data[3] == 0:
        raise IdxFormatError(
            f"{source}: bad IDX magic number 0x{data[:4].hex()} (expected 0x0000 then a dtype code such as "
            f"08 and the number of dimensions); is this really an MNIST-style file?")
    dtype = IDX_DTYPES[data[2]]
    ndim = data[3]
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise IdxFormatError(f"{source}: truncated IDX header ({len(data)} of {header_bytes} bytes); "
                             f"the file is incomplete, fetch it again")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found_bytes = len(data) - header_bytes
    if found_bytes < expected_bytes:
        raise IdxFormatError(
            f"{source}: truncated IDX data: shape {shape} needs {expected_bytes} bytes, found {found_bytes}; "
            f"the file is incomplete, fetch it again")
    if found_bytes > expected_bytes:
        raise IdxFormatError(
            f"{source}: {found_bytes - expected_bytes} unexpected bytes after the IDX data of shape {shape}; "
            f"the file is damaged or not MNIST-style, fetch it again")
    array = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=header_bytes).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)   # native byte order, writable, own memory


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzipped) from disk."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_IDX_BYTES + 1)
    except OSError as error:
        raise IdxFormatError(f"{path}: cannot read the IDX file ({error.strerror or error}); check that it "
                             f"exists and is readable, or fetch the dataset again") from None
    if len(data) > MAX_IDX_BYTES:
        raise IdxFormatError(f"{path}: larger than {MAX_IDX_BYTES} bytes, so not an MNIST-style file; check "
                             f"that this is the right file")
    return parse_idx(data, str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of an array (used by tests and to write small fixtures)."""
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = np.dtype(array.dtype).newbyteorder("=")
    code = codes.get(native) or codes.get(native.newbyteorder(">"))
    if code is None:
        raise ValueError(f"dtype {array.dtype} has no IDX code")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def _gunzip_limited(data: bytes, source: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError) as error:
        raise IdxFormatError(f"{source}: corrupt gzip data ({error}); fetch the file again") from None
    if len(out) > MAX_IDX_BYTES:
        raise IdxFormatError(f"{source}: decompresses to more than {MAX_IDX_BYTES} bytes, so not an "
                             f"MNIST-style file; check that this is the right file")
    return out
