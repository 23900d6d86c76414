"""``fabric plot``: one key against another from sweep results (NDJSON), one line per group, saturated
points drawn hollow, with axes labelled in their units. Needs matplotlib (pip install 'fabric-sim[plot]')."""
from __future__ import annotations

import json

from .errors import FabricError

UNITS = {
    "throughput": "flits/endpoint/cycle", "latency": "cycles", "hops": "links", "cycles": "cycles",
    "workload.completion_cycles": "cycles", "timing.wall_seconds": "s",
    "timing.router_cycles_per_second": "router-cycles/s", "timing.flit_hops_per_second": "flit-hops/s",
}


def label(key: str) -> str:
    unit = next((u for prefix, u in sorted(UNITS.items(), key=lambda kv: -len(kv[0])) if key.startswith(prefix)),
                None)
    name = key.replace("point.", "")
    return f"{name} ({unit})" if unit else name


def lookup(record: dict, key: str):
    """A dotted key's value; ``point.K`` is the point's value of K (K itself dotted)."""
    if key.startswith("point."):
        return record.get("point", {}).get(key[len("point."):])
    value = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def plot(path, x: str, y: str, output, group: str | None = None) -> None:
    try:
        import matplotlib
    except ImportError:
        raise FabricError("fabric plot needs matplotlib: pip install 'fabric-sim[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if str(output).rsplit(".", 1)[-1].lower() not in ("png", "svg"):
        raise FabricError(f"--output: {output}: the picture must end in .png or .svg")
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as error:
        raise FabricError(f"{path}: {error.strerror or error}") from None
    series = {}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            raise FabricError(f"{path} line {number}: not JSON") from None
        if not record.get("ok", True):
            continue
        xv, yv = lookup(record, x), lookup(record, y)
        if xv is None or yv is None:
            continue
        series.setdefault(lookup(record, group) if group else None, []).append(
            (xv, yv, bool(record.get("saturated"))))
    if not series:
        raise FabricError(f"{path}: no line has both {x} and {y}")
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for name, points in sorted(series.items(), key=lambda kv: str(kv[0])):
        points.sort()
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        line, = ax.plot(xs, ys, marker="o", markersize=4, label=f"{group.replace('point.', '')} = {name}"
                        if group else None)
        hollow = [(px, py) for px, py, sat in points if sat]
        if hollow:
            ax.plot([p[0] for p in hollow], [p[1] for p in hollow], linestyle="none", marker="o", markersize=8,
                    markerfacecolor="white", markeredgecolor=line.get_color())
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(y))
    ax.grid(True, alpha=0.3)
    if group:
        ax.legend(title="hollow: saturated")
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)
