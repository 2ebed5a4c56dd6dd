"""A tiny typed registry: one per family (datasets, generators, discriminators, losses, metrics, tasks...).

Entries register themselves at import time with a decorator; the CLI lists its choices from `names()`,
so a new architecture or loss appears everywhere by being registered once. An entry may carry metadata
that callers need to know without building it (a metric's direction, an augmentation's config fields, a
model's capabilities): a registry made with an `info` dataclass checks that metadata when it is
registered and hands it back from `info(name)`.

    METRICS = Registry("metric", info=MetricInfo)
    @METRICS.register("fid", direction="lower")
    def fid(ctx): ...
    METRICS.info("fid").direction          # "lower"
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Callable, Generic, Iterator, TypeVar

from duelo.errors import ConfigError

T = TypeVar("T")


class UnknownNameError(KeyError, ConfigError):
    """Raised for a name that is not registered; the message lists the valid names. A ConfigError, so the
    CLI reports it as `error: unknown loss 'x'; choose one of: ...` wherever the name came from."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0])


class Registry(Generic[T]):
    """Maps a public name to an entry (a class, a function or a plain object) and its metadata.

    >>> LOSSES = Registry("loss")
    >>> @LOSSES.register("hinge")
    ... def hinge(): ...
    >>> LOSSES.names()
    ['hinge']
    """

    def __init__(self, kind: str, info: type | None = None):
        self.kind = kind                         # what an entry is, for error messages ("model", "loss")
        self.info_type = info                    # dataclass of the metadata entries carry; None = none
        self._entries: dict[str, T] = {}
        self._info: dict[str, Any] = {}

    def register(self, name: str, **metadata: Any) -> Callable[[T], T]:
        def decorator(entry: T) -> T:
            self.add(name, entry, **metadata)
            return entry

        return decorator

    def add(self, name: str, entry: T, **metadata: Any) -> T:
        """Register `entry` under `name` (the non-decorator form)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        if self.info_type is not None:
            info = self.info_type(**metadata)    # a misspelt key fails here, at import time
        elif metadata:
            raise TypeError(f"the {self.kind} registry takes no metadata (got {', '.join(metadata)})")
        else:
            info = None
        self._entries[name] = entry
        self._info[name] = info
        return entry

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def info(self, name: str) -> Any:
        """The metadata `name` was registered with (an instance of the registry's `info` dataclass)."""
        self.get(name)
        return self._info[name]

    def build(self, name: str, /, **kwargs):
        """Call the entry registered under `name` with keyword arguments."""
        return self.get(name)(**kwargs)  # type: ignore[operator]

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}.{hint}"

    def names(self, **where: Any) -> list[str]:
        """Sorted names; with keyword arguments, only entries whose metadata has those values."""
        if not where:
            return sorted(self._entries)
        return sorted(name for name, info in self._info.items()
                      if info is not None and all(getattr(info, k) == v for k, v in where.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)


def info_fields(info_type: type) -> list[str]:
    """The metadata keys a registry's `info` dataclass accepts (for docs and tests)."""
    return [f.name for f in dataclasses.fields(info_type)]


def lazy(module: str, name: str) -> Callable[..., Any]:
    """The function `name` of `module`, imported when first called: a registry entry whose module loads heavy code
    (data readers, sklearn) stays out of `duelo --help`."""
    def call(*args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    return call
