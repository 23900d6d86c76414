"""Name -> implementation registries for topologies, routing algorithms and traffic patterns.

A built-in is one module that decorates its builder with ``@topologies.register("torus", params=...)``;
each package's ``__init__`` imports its submodules, so adding one needs no edit elsewhere.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import FabricError
from .params import Param


@dataclass(frozen=True)
class Entry:
    name: str
    func: Callable[..., Any]
    params: tuple[Param, ...] = ()
    doc: str = ""
    extra: dict = field(default_factory=dict)


class Registry:
    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, params=(), doc: str = "", **extra):
        def deco(func):
            if name in self._entries:
                raise RuntimeError(f"{self.what} {name!r} registered twice")
            self._entries[name] = Entry(name, func, tuple(params), doc or (func.__doc__ or "").strip(), extra)
            return func

        return deco

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise FabricError(f"unknown {self.what} {name!r}{suggest(name, self.names())}") from None


def suggest(word, known) -> str:
    """' (did you mean 'x'?)' for the closest known word, or a list of the known ones."""
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(sorted(known))})" if known else ""


topologies = Registry("topology kind")
routings = Registry("routing algorithm")
traffic_patterns = Registry("traffic pattern")
