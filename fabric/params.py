"""Declarative parameter tables: each registered topology, routing and traffic module lists its
TOML keys as `Param`s, and the spec loader validates against them (so adding a kind edits one file)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One TOML key: its type, default, bounds and a one-line description (shown by the docs and CLI).

    type is one of "int", "float", "str", "bool", "int_list", "table" (a table the kind checks itself),
    or "tables": a table of named tables, each holding some of the keys in ``fields`` (a missing one
    means "not overridden").
    """

    name: str
    type: str
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    min_len: int = 1
    fields: tuple = ()
