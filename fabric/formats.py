"""Output formats shared by ``fabric run`` and ``fabric sweep``: JSON (NDJSON for a sweep), CSV with
dotted keys flattened into columns, and a table for people."""
from __future__ import annotations

import csv
import io
import json

FORMATS = ("json", "csv", "table")
# what the table shows of a result, when present
TABLE_KEYS = ("status", "throughput.offered", "throughput.accepted", "latency.packet.mean", "latency.packet.p99",
              "hops.mean", "workload.completion_cycles")


def flatten(record: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists become JSON text."""
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


def _cell(value):
    """A CSV cell: empty for null, true/false as in the JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class Writer:
    """Writes records to a text stream in one format, a record at a time, flushing each."""

    def __init__(self, stream, fmt: str, many: bool, header: bool = True):
        self.stream, self.fmt, self.many, self.columns = stream, fmt, many, None
        self.header = header

    def write(self, record: dict) -> None:
        if self.fmt == "json":
            text = json.dumps(record, allow_nan=False) + "\n" if self.many else json.dumps(record, indent=2) + "\n"
        elif self.fmt == "csv":
            flat = flatten(record)
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            if self.columns is None:
                self.columns = list(flat)
                if self.header:
                    writer.writerow(self.columns)
            writer.writerow([_cell(flat.get(c)) for c in self.columns])
            text = buffer.getvalue()
        else:
            text = self._table(record)
        self.stream.write(text)
        self.stream.flush()

    def _table(self, record: dict) -> str:
        flat = flatten(record)
        if not self.many:
            width = max(len(k) for k in flat)
            return "".join(f"{k.ljust(width)}  {'' if v is None else v}\n" for k, v in flat.items())
        point = ", ".join(f"{k}={v}" for k, v in record.get("point", {}).items())
        if not record.get("ok", True):
            return f"{point}  FAILED: {record.get('error')}\n"
        shown = "  ".join(f"{k}={flat[k]}" for k in TABLE_KEYS if flat.get(k) is not None)
        return f"{point}  {shown}\n"
