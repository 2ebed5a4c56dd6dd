"""Property-based fuzzing of every reader of untrusted bytes: JSON files and JSON lines, checkpoint state,
saved-model configs, .npz archives, image files and tables. Whatever the bytes, a reader either returns or
raises duelo's own error (one clear message); nothing else escapes."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from duelo.errors import DueloError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=12)


def _mutations(data: bytes):
    """Bytes near valid ones: truncated, a byte flipped, a slice dropped."""
    return st.one_of(
        st.integers(0, len(data)).map(lambda n: data[:n]),
        st.tuples(st.integers(0, max(0, len(data) - 1)), st.integers(1, 255)).map(
            lambda t: data[:t[0]] + bytes([data[t[0]] ^ t[1]]) + data[t[0] + 1:] if data else data),
        st.tuples(st.integers(0, len(data)), st.integers(0, len(data))).map(
            lambda t: data[:min(t)] + data[max(t):]),
        st.binary(max_size=200))


@SETTINGS
@given(value=JSON_VALUES)
def test_read_json_with_a_schema_returns_or_says_what_is_wrong(tmp_path, value):
    from duelo.errors import ConfigError
    from duelo.io.json_files import integer, of, read_json, text

    path = tmp_path / "x.json"
    path.write_text(json.dumps(value))
    schema = {"format": text("a", "b"), "n": integer(0, 10), "items": of(list), "inner": {"k": of(str)}}
    try:
        read_json(path, "a test file", schema, error=ConfigError, remedy="fix it")
    except ConfigError as error:
        assert str(path) in str(error)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_json_lines_never_fails(tmp_path, data):
    from duelo.io.json_files import json_lines

    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    assert all(isinstance(record, dict) for record in json_lines(path))


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    from duelo.training.checkpoint import save_checkpoint

    folder = save_checkpoint(tmp_path_factory.mktemp("ckpt"), 64, {"w": torch.ones(3)},
                             {"counters": {"nimg": 64, "iteration": 2, "elapsed_s": 1.0}})
    return (folder / "state.json").read_bytes(), (folder / "state.safetensors").read_bytes()


@SETTINGS
@given(data=st.data())
def test_a_damaged_checkpoint_is_reported_as_damaged(tmp_path_factory, checkpoint_bytes, data):
    from duelo.errors import CheckpointError
    from duelo.training.checkpoint import read_checkpoint

    meta, tensors = checkpoint_bytes
    which = data.draw(st.sampled_from(["meta", "tensors"]))
    damaged = data.draw(_mutations(meta if which == "meta" else tensors))
    folder = tmp_path_factory.mktemp("c") / "ckpt-000000000064"
    folder.mkdir()
    (folder / "state.json").write_bytes(damaged if which == "meta" else meta)
    (folder / "state.safetensors").write_bytes(damaged if which == "tensors" else tensors)
    try:
        read_checkpoint(folder)
    except CheckpointError:
        return
    assert damaged == (meta if which == "meta" else tensors) or which == "meta"   # only a no-op edit reads


@pytest.fixture(scope="module")
def npz_bytes():
    buffer = io.BytesIO()
    np.savez(buffer, images=np.zeros((4, 8, 8), np.uint8), labels=np.arange(4))
    return buffer.getvalue()


@SETTINGS
@given(data=st.data())
def test_npz_reader_refuses_damaged_archives_clearly(tmp_path_factory, npz_bytes, data):
    from duelo.data.npz import read_npz
    from duelo.data.report import DataReport

    path = tmp_path_factory.mktemp("n") / "x.npz"
    path.write_bytes(data.draw(_mutations(npz_bytes)))
    try:
        read_npz(path, DataReport())
    except DueloError:
        pass


def test_npz_header_claiming_terabytes_is_refused_before_allocation(tmp_path):
    from duelo.data.errors import ArrayFormatError
    from duelo.data.npz import read_npz
    from duelo.data.report import DataReport

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**7, 1000, 1000)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 64)
    with pytest.raises(ArrayFormatError, match="claims"):
        read_npz(path, DataReport())
    npy = tmp_path / "renamed.npz"
    np.save(npy.with_suffix(".npy"), np.zeros(3))
    npy.with_suffix(".npy").rename(npy)
    with pytest.raises(ArrayFormatError, match="not a readable .npz"):
        read_npz(npy, DataReport())


@SETTINGS
@given(data=st.binary(max_size=400))
def test_image_reader_refuses_bytes_that_are_no_image(tmp_path_factory, data):
    from duelo.data.images import decode_image_file

    path = tmp_path_factory.mktemp("i") / "x.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)
    try:
        decode_image_file(str(path))
    except DueloError:
        pass


@SETTINGS
@given(data=st.binary(max_size=300))
def test_table_reader_refuses_bytes_that_are_no_table(tmp_path_factory, data):
    from duelo.tasks.tabular.tables import read_table

    path = tmp_path_factory.mktemp("t") / "x.csv"
    path.write_bytes(data)
    try:
        read_table(path, [])
    except DueloError:
        pass
