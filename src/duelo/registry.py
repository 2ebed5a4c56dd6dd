"""A tiny typed registry: one per family (datasets, generators, discriminators, losses, metrics...).

Entries register themselves at import time with a decorator; the CLI lists its choices from `names()`,
so a new architecture or loss appears everywhere by being registered once.
"""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

from duelo.errors import ConfigError

T = TypeVar("T")


class UnknownNameError(KeyError, ConfigError):
    """Raised for a name that is not registered; the message lists the valid names. A ConfigError, so the
    CLI reports it as `error: unknown loss 'x'; choose one of: ...` wherever the name came from."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0])


class Registry(Generic[T]):
    """Maps a public name to an entry (a class or a function).

    >>> LOSSES = Registry("loss")
    >>> @LOSSES.register("hinge")
    ... def hinge(): ...
    >>> LOSSES.names()
    ['hinge']
    """

    def __init__(self, kind: str):
        self.kind = kind                         # what an entry is, for error messages ("model", "loss")
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = entry
            return entry

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def build(self, name: str, /, **kwargs):
        """Call the entry registered under `name` with keyword arguments."""
        return self.get(name)(**kwargs)  # type: ignore[operator]

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}; choose one of: {', '.join(self.names())}.{hint}"

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
