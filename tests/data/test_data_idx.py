"""The IDX reader (MNIST's file format) on tiny synthetic files, raw and gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from duelo.data.errors import IdxFormatError
from duelo.data.idx import encode_idx, parse_idx, read_idx


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_uint8(tmp_path: Path, compress: bool):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = encode_idx(images)
    assert data[:4] == bytes([0, 0, 0x08, 3])
    path = tmp_path / ("x-idx3-ubyte.gz" if compress else "x-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if compress else data)
    loaded = read_idx(path)
    assert loaded.dtype == np.uint8 and loaded.shape == (2, 3, 4)
    np.testing.assert_array_equal(loaded, images)
    assert loaded.flags.writeable


def test_gzip_is_detected_by_content_not_suffix(tmp_path: Path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"              # no .gz, but gzipped
    path.write_bytes(gzip.compress(encode_idx(labels)))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_big_endian_types_come_back_native():
    values = np.array([1, -2, 300000], dtype=np.int32)
    loaded = parse_idx(encode_idx(values), "ints")
    np.testing.assert_array_equal(loaded, values)
    assert loaded.dtype.byteorder in ("=", "|") or loaded.dtype.isnative


def test_bad_magic_names_the_file(tmp_path: Path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x08\x03" + bytes(100))
    with pytest.raises(IdxFormatError, match=r"train-images-idx3-ubyte.*bad IDX magic number 0x12340803"):
        read_idx(path)


def test_unknown_dtype_code_is_bad_magic():
    with pytest.raises(IdxFormatError, match="magic"):
        parse_idx(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]), "x")


def test_truncated_data_says_how_much_is_missing(tmp_path: Path):
    data = encode_idx(np.zeros((10, 28, 28), dtype=np.uint8))
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(data[:-100])
    with pytest.raises(IdxFormatError, match=r"short-idx3-ubyte: truncated IDX data.*7840 bytes, found 7740"):
        read_idx(path)


def test_truncated_header_and_tiny_file():
    with pytest.raises(IdxFormatError, match="truncated IDX header"):
        parse_idx(bytes([0, 0, 8, 3, 0, 0]), "h")
    with pytest.raises(IdxFormatError, match="not an IDX file"):
        parse_idx(b"\x00", "tiny")


def test_trailing_bytes_are_refused():
    with pytest.raises(IdxFormatError, match="unexpected bytes"):
        parse_idx(encode_idx(np.zeros(3, dtype=np.uint8)) + b"xx", "t")


def test_corrupt_gzip(tmp_path: Path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(encode_idx(np.zeros(1000, dtype=np.uint8)))[:30])
    with pytest.raises(IdxFormatError, match="x.gz: corrupt gzip data"):
        read_idx(path)
