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


class Result:
    """What a simulation measured. ``to_dict()`` is exactly what the CLI prints."""

    def __init__(self, data: dict):
        self._data = _finite(data)

    def to_dict(self) -> dict:
        return json.loads(json.dumps(self._data))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._data, indent=indent, allow_nan=False)

    def __getitem__(self, key):
        return self._data[key]

    @property
    def status(self) -> str:
        return self._data["status"]

    def __repr__(self) -> str:
        lat = self._data.get("latency", {}).get("packet", {}).get("mean")
        return f"Result(status={self.status!r}, accepted={self._data['throughput']['accepted']}, latency={lat})"
