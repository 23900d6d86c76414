"""The result of one run: an ordered dict that ``fabric run`` prints as JSON (its keys: README.md, "The
result")."""
from __future__ import annotations

import json
import math

SCHEMA_VERSION = 2


def _finite(value):
    """NaN and infinities become None (JSON null), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class Figures:
    """A read-only view of a table of the result whose keys read as attributes:
    ``result.latency.packet.p99``; ``figures["p99"]`` and ``dict(figures)`` work too."""

    def __init__(self, data: dict, path: str):
        self._data, self._path = data, path

    def __getattr__(self, name):
        try:
            return _view(self._data[name], f"{self._path}.{name}")
        except KeyError:
            raise AttributeError(f"the result has no {self._path}.{name} (it has: {', '.join(self._data)})") from None

    def __getitem__(self, key):
        return _view(self._data[key], f"{self._path}.{key}")

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def keys(self):
        return self._data.keys()

    def __eq__(self, other):
        return self._data == (other._data if isinstance(other, Figures) else other)

    def __repr__(self) -> str:
        return f"{self._path}: {json.dumps(self._data)}"

    def __dir__(self):
        return list(self._data)


def _view(value, path):
    return Figures(value, path) if isinstance(value, dict) else value


class Result:
    """What a simulation measured. ``to_dict()`` is exactly what the CLI prints; its keys read as
    attributes (``result.throughput.accepted``, ``result.latency.packet.p99``), and ``to_flat()`` gives
    them as dotted keys, one row of a table (``pandas.DataFrame([r.to_flat() for r in results])``)."""

    def __init__(self, data: dict, tables: dict | None = None):
        self._data = _finite(data)
        self._tables = tables or {}

    @property
    def tables(self) -> dict:
        """With ``stats``: the tables asked for (links, routers, endpoints, series), each a dict of
        columns (fabric/activity.py); else empty."""
        return self._tables

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return _view(self._data[name], name)
        except KeyError:
            raise AttributeError(f"the result has no {name} (it has: {', '.join(self._data)})") from None

    def __dir__(self):
        return [*self._data, "to_dict", "to_json", "to_flat", "tables"]

    def to_flat(self) -> dict:
        """Every figure under its dotted key (lists as JSON text), as CSV output has them."""
        from .formats import flatten

        return flatten(self._data)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self._data))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._data, indent=indent, allow_nan=False)

    def __getitem__(self, key):
        return self._data[key]

    def __repr__(self) -> str:
        lat = self._data.get("latency", {}).get("packet", {}).get("mean")
        return f"Result(status={self.status!r}, accepted={self._data['throughput']['accepted']}, latency={lat})"
