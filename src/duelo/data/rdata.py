"""R's serialized objects (the XDR format behind saveRDS and lazy-load databases), read far enough for data:
vectors of strings, integers, doubles and logicals, generic lists, pairlists and attributes (names). Written from
"R Internals", section 1.8 (serialization formats), and the layout of R's lazy-load databases: a gzip-compressed
index (.rdx, itself a serialized list) of (offset, length) per object in a .rdb file, where each object is a
4-byte size followed by a zlib stream. Nothing is executed; environments, closures and byte code are refused.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass, field

from duelo.data.errors import DataError

SYMBOL, PAIRLIST, CHARS, LOGICAL, INTEGER, REAL, STRINGS, LIST = 1, 2, 9, 10, 13, 14, 16, 19
REFERENCE, NIL = 255, 254
EMPTY = {254, 253, 251, 250, 247, 242, 241}      # nil, environments and markers that hold no data here
NA_INTEGER = -2 ** 31
HAS_ATTRIBUTES, HAS_TAG, LATIN1 = 1 << 9, 1 << 10, 1 << 2


@dataclass
class RVector:
    values: list
    attributes: dict = field(default_factory=dict)

    @property
    def names(self) -> list | None:
        names = self.attributes.get("names")
        return names.values if isinstance(names, RVector) else None


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at, self.refs = data, 0, []

    def ints(self, n: int) -> tuple[int, ...]:
        values = struct.unpack_from(f">{n}i", self.data, self.at)
        self.at += 4 * n
        return values

    def item(self):
        flags = self.ints(1)[0]
        kind = flags & 0xFF
        if kind in EMPTY:
            return None
        if kind == REFERENCE:
            return self.refs[(flags >> 8 or self.ints(1)[0]) - 1]
        if kind == SYMBOL:
            name = self.item()
            self.refs.append(name)
            return name
        if kind == PAIRLIST:           # (tag, value) pairs; a pairlist's own attributes are read and dropped
            pairs = []
            while kind == PAIRLIST:
                if flags & HAS_ATTRIBUTES:
                    self.item()
                tag = self.item() if flags & HAS_TAG else None
                pairs.append((tag, self.item()))
                flags = self.ints(1)[0]
                kind = flags & 0xFF
            if kind != NIL:
                raise ValueError(f"a pairlist ends in type {kind}")
            return RVector(pairs)
        if kind == CHARS:
            length = self.ints(1)[0]
            if length == -1:
                return None
            raw = self.data[self.at:self.at + length]
            self.at += length
            return raw.decode("latin-1" if (flags >> 12) & LATIN1 else "utf-8", errors="replace")
        if kind not in (LOGICAL, INTEGER, REAL, STRINGS, LIST):
            raise ValueError(f"R object type {kind} holds no data duelo reads")
        length = self.ints(1)[0]
        if kind == REAL:
            values = list(struct.unpack_from(f">{length}d", self.data, self.at))
            self.at += 8 * length
        elif kind in (LOGICAL, INTEGER):
            values = [None if v == NA_INTEGER else v for v in self.ints(length)]
        else:
            values = [self.item() for _ in range(length)]
        attributes = {}
        if flags & HAS_ATTRIBUTES:
            attributes = dict(self.item().values)
        return RVector(values, attributes)


def unserialize(data: bytes):
    """The object of one serialized stream (XDR, versions 2 and 3)."""
    if data[:2] != b"X\n":
        raise ValueError("not R's XDR serialization (it starts with 'X\\n')")
    reader = _Reader(data)
    reader.at = 2
    version = reader.ints(3)[0]
    if version == 3:
        reader.at += 4 + reader.ints(1)[0]              # the native encoding's name
    elif version != 2:
        raise ValueError(f"serialization version {version}")
    return reader.item()


def lazy_load_db(index: bytes, database: bytes, source: str = "the R database") -> dict:
    """{name: object} of an R lazy-load database (.rdx and .rdb contents); DataError naming `source`."""
    try:
        table = unserialize(gzip.decompress(index))
        variables = dict(zip(table.names, table.values))["variables"]
        out = {}
        for name, where in zip(variables.names, variables.values):
            offset, length = (int(v) for v in where.values)
            out[name] = unserialize(zlib.decompress(database[offset + 4:offset + length]))
        return out
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, IndexError, struct.error,
            zlib.error) as error:
        raise DataError(f"{source}: not a readable R data base ({error})") from None
