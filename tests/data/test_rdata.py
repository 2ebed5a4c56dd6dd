"""duelo.data.rdata: R's XDR serialization, read back from streams written here by a small writer that follows
"R Internals" §1.8 (vectors with a names attribute, pairlists, NA, version 2 and 3 headers, symbol references)."""

import gzip
import struct
import zlib

import pytest

from duelo.data.errors import DataError
from duelo.data.rdata import lazy_load_db, unserialize


def _int(value: int) -> bytes:
    return struct.pack(">i", value)


class Writer:
    """Serializes str / None (NA) / list of str (character vector) / list of int / dict (named list)."""

    def __init__(self):
        self.symbols: list[str] = []

    def chars(self, text: str | None) -> bytes:
        if text is None:
            return _int(9) + _int(-1)
        raw = text.encode("utf-8")
        return _int(9 | (1 << 3) << 12) + _int(len(raw)) + raw

    def symbol(self, name: str) -> bytes:
        if name in self.symbols:                                      # a reference to the k-th symbol written
            return _int(255 | (self.symbols.index(name) + 1) << 8)
        self.symbols.append(name)
        return _int(1) + self.chars(name)

    def names(self, keys: list[str]) -> bytes:                       # attributes: pairlist(names = keys)
        return _int(2 | 1 << 10) + self.symbol("names") + self.obj(keys) + _int(254)

    def obj(self, value) -> bytes:
        if isinstance(value, dict):
            items = b"".join(self.obj(v) for v in value.values())
            return _int(19 | 1 << 9) + _int(len(value)) + items + self.names(list(value))
        if value and all(isinstance(v, int) for v in value):
            return _int(13) + _int(len(value)) + b"".join(_int(v) for v in value)
        return _int(16) + _int(len(value)) + b"".join(self.chars(v) for v in value)


def serialize(value, version: int = 3) -> bytes:
    header = b"X\n" + _int(version) + _int(0x040200) + _int(0x020300)
    if version == 3:
        header += _int(5) + b"UTF-8"
    return header + Writer().obj(value)


def write_db(objects: dict) -> tuple[bytes, bytes]:
    """(.rdx, .rdb) of a lazy-load database holding `objects`."""
    database, where = b"", {}
    for name, value in objects.items():
        raw = serialize(value)
        blob = _int(len(raw)) + zlib.compress(raw)
        where[name] = [len(database), len(blob)]
        database += blob
    return gzip.compress(serialize({"variables": where, "compressed": [1]})), database


def test_vectors_names_na_and_both_versions_read_back():
    value = {"first": ["a", None, "ünïcode"], "second": [3, 1, 4], "third": {"inner": ["x"]}}
    for version in (2, 3):
        got = unserialize(serialize(value, version))
        assert got.names == ["first", "second", "third"]
        assert got.values[0].values == ["a", None, "ünïcode"] and got.values[1].values == [3, 1, 4]
        assert got.values[2].names == ["inner"]                      # the "names" symbol came back by reference


def test_a_lazy_load_database_gives_each_object_and_damage_is_named():
    index, database = write_db({"emma": ["EMMA", "", "Emma Woodhouse"], "other": ["x"]})
    objects = lazy_load_db(index, database, "test.rdb")
    assert objects["emma"].values == ["EMMA", "", "Emma Woodhouse"] and objects["other"].values == ["x"]
    with pytest.raises(DataError, match="test.rdb: not a readable R data base"):
        lazy_load_db(index, database[:-5], "test.rdb")
    with pytest.raises(DataError, match="not a readable R data base"):
        lazy_load_db(b"not gzip", database, "test.rdb")
