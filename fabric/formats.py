"""Output formats shared by ``fabric run`` and ``fabric sweep``: JSON (NDJSON for a sweep), CSV with
dotted keys flattened into columns, and a table for people."""
from __future__ import annotations

import csv
import io
import json

FORMATS = ("json", "csv", "table")
# what the table of one result shows, when present (the JSON has everything)
RESULT_ROWS = ("status", "saturation_reasons", "topology.kind", "topology.routers", "topology.endpoints",
               "cycles.warmup", "cycles.measure", "cycles.total", "throughput.offered", "throughput.created",
               "throughput.injected", "throughput.accepted", "latency.packet.mean", "latency.packet.p50",
               "latency.packet.p99", "latency.packet.max", "latency.network.mean", "hops.mean", "packets.measured",
               "packets.delivered", "bounds.zero_load_latency", "bounds.saturation_bound",
               "workload.completion_cycles", "workload.algorithm_bandwidth", "workload.bus_bandwidth", "warnings",
               "timing.wall_seconds")
# and the columns of a sweep's table, after the point's keys
SWEEP_COLUMNS = ("status", "throughput.accepted", "latency.packet.mean", "latency.packet.p99", "hops.mean",
                 "workload.completion_cycles")


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


def _shown(value) -> str:
    """A table cell: as in the JSON (true, false), "-" for null or nothing, lists joined."""
    if value is None or value == "[]":
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith("["):
        items = json.loads(value)
        return "; ".join(str(v) for v in items) if items else "-"
    return str(value)


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

    def close(self) -> None:
        """Nothing is held back: every record was written whole."""

    def _table(self, record: dict) -> str:
        flat = flatten(record)
        if not self.many:
            rows = [k for k in RESULT_ROWS if k in flat]
            rows += [k for k in flat if k.startswith("classes.") and k.endswith((".accepted", ".packet.mean"))]
            width = max(len(k) for k in rows)
            return "".join(f"{k.ljust(width)}  {_shown(flat[k])}\n" for k in rows)
        # a sweep: one row per point as it finishes, under a header; columns as wide as their header
        if self.columns is None:
            self.columns = [f"point.{k}" for k in record.get("point", {})] + list(SWEEP_COLUMNS)
            self.widths = [max(len(c), 9) for c in self.columns]
            header = "  ".join(c.ljust(w) for c, w in zip(self.columns, self.widths)).rstrip() + "\n"
        else:
            header = ""
        if not record.get("ok", True):
            point = "  ".join(_shown(v).ljust(w) for v, w in zip(record.get("point", {}).values(), self.widths))
            return f"{header}{point}  failed: {record.get('error')}\n"
        cells = [_shown(flat.get(c)).ljust(w) for c, w in zip(self.columns, self.widths)]
        return header + "  ".join(cells).rstrip() + "\n"
