"""trace: replay messages from a file, closed loop.

CSV, one message per line: ``cycle,source,destination,size[,id[,deps]]`` (a header line is skipped, ``#``
starts a comment), or NDJSON, one object per line: ``{"cycle": 0, "src": 3, "dst": 7, "size": 16,
"id": "a", "deps": ["b"]}``. A message is sent at its cycle, or when every message named in ``deps``
(ids of earlier lines; in CSV separated by ``;``) has fully arrived, whichever is later; it is split into
packets of ``traffic.packet_size`` flits. The result's ``workload`` section gives per-message latency (last
flit's arrival minus the cycle it was sent) and the completion time. A relative ``file`` is found beside
the spec; ``.ndjson`` or ``.jsonl`` files are read as NDJSON, others as CSV.

    [traffic]
    pattern = "trace"
    file = "trace.csv"
"""
from __future__ import annotations

import json
import os

from ..errors import FabricError
from ..params import Param
from ..registry import traffic_patterns
from ._messages import Messages

PARAMS = (Param("file", "str", "", "the trace: CSV (cycle,source,destination,size[,id[,deps]]) or NDJSON"),)


def read(path: str, n_endpoints: int) -> Messages:
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig") as file:
            lines = list(file)
    except OSError as error:
        raise FabricError(f"traffic.file: {path}: {error.strerror or error}") from None
    ndjson = path.endswith((".ndjson", ".jsonl"))
    m = Messages()
    ids = {}
    seen_line = False
    for number, line in enumerate(lines, 1):
        where = f"traffic.file: {name} line {number}"
        text = line.strip() if ndjson else line.split("#", 1)[0].strip()
        if not text:
            continue
        if ndjson:
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise FabricError(f"{where}: not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise FabricError(f"{where}: expected an object")
            fields = [record.get(k) for k in ("cycle", "src", "dst", "size")]
            ident, deps = record.get("id"), record.get("deps", [])
            if not isinstance(deps, list):
                raise FabricError(f"{where}: deps must be a list of ids")
        else:
            parts = [f.strip() for f in text.split(",")]
            if not seen_line and parts and not parts[0].lstrip("-").isdigit():
                seen_line = True
                continue                                        # a header
            seen_line = True
            if len(parts) < 4 or len(parts) > 6:
                raise FabricError(f"{where}: expected cycle,source,destination,size[,id[,deps]], got {text!r}")
            fields = parts[:4]
            ident = parts[4] if len(parts) > 4 and parts[4] else None
            deps = [d for d in parts[5].replace(" ", ";").split(";") if d] if len(parts) > 5 else []
        try:
            cycle, src, dst, size = (int(f) for f in fields)
        except (TypeError, ValueError):
            raise FabricError(f"{where}: cycle, source, destination and size must be integers, got {fields!r}") \
                from None
        if cycle < 0 or size < 1:
            raise FabricError(f"{where}: cycle must be >= 0 and size >= 1, got {cycle}, {size}")
        if not (0 <= src < n_endpoints and 0 <= dst < n_endpoints):
            raise FabricError(f"{where}: endpoints are 0 to {n_endpoints - 1}, got {src} -> {dst}")
        parents = []
        for d in deps:
            if str(d) not in ids:
                raise FabricError(f"{where}: depends on {d!r}, which no earlier line defines")
            parents.append(ids[str(d)])
        msg = m.add(src, dst, size, cycle, parents)
        if ident is not None:
            if str(ident) in ids:
                raise FabricError(f"{where}: id {ident!r} is used twice")
            ids[str(ident)] = msg
    if not len(m):
        raise FabricError(f"traffic.file: {name}: no messages")
    return m


@traffic_patterns.register("trace", params=PARAMS)
def make(network, traffic: dict) -> dict:
    if not traffic["file"]:
        raise FabricError("traffic.file: required for the trace pattern")
    return {"messages": read(traffic["file"], network.n_endpoints), "workload": {"trace": traffic["file"]}}
