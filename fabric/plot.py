"""``fabric plot``: one key against another from results (a sweep's NDJSON, a run's or saturate's JSON),
one line per group, saturated points drawn hollow, with axes labelled in their units. Results that repeat an
x value (a sweep over several seeds, as of fault draws) are drawn as their mean with a band from the least
to the greatest. Needs matplotlib
(pip install 'fabric-sim[plot]')."""
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


def read_records(path) -> list:
    """The results in a file: NDJSON lines from `fabric sweep`, one JSON object from `fabric run`, or
    `fabric saturate`'s object (its points, each with offered, accepted, latency and status)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        raise FabricError(f"{path}: {error.strerror or error}") from None
    except ValueError:
        raise FabricError(f"{path}: not a text file of JSON results") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        if isinstance(whole.get("points"), list) and "saturation_throughput" in whole:
            return [{**p, "saturated": p.get("status") == "saturated"} for p in whole["points"]]
        return [whole]
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise FabricError(f"{path} line {number}: not JSON") from None
        if not isinstance(record, dict):
            raise FabricError(f"{path} line {number}: not a JSON object")
        records.append(record)
    return records


def parse_limits(option: str, text: str | None):
    """``--xlim LOW,HIGH`` (either may be empty: that end stays automatic)."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return tuple(float(p) if p.strip() else None for p in parts)
    except ValueError:
        raise FabricError(f"{option}: expected LOW,HIGH (e.g. 0,0.5 or ,100), got {text!r}") from None


def spread_of(points) -> tuple[list, list, list, list]:
    """(x values, and at each the mean, least and greatest y) of (x, y, saturated) points sorted by x: the line
    and band of results that repeat an x (a sweep over several seeds)."""
    xs, mean, low, high = [], [], [], []
    for x, y, _ in points:
        if not xs or x != xs[-1]:
            xs.append(x)
            mean.append([])
        mean[-1].append(y)
    for i, ys in enumerate(mean):
        low.append(min(ys))
        high.append(max(ys))
        mean[i] = sum(ys) / len(ys)
    return xs, mean, low, high


def plot(path, x: str, y: str, output, group: str | None = None, log_x: bool = False, log_y: bool = False,
         xlim: str | None = None, ylim: str | None = None) -> None:
    try:
        import matplotlib
    except ImportError:
        raise FabricError("fabric plot needs matplotlib: pip install 'fabric-sim[plot]'") from None
    from pathlib import Path

    if str(output).rsplit(".", 1)[-1].lower() not in ("png", "svg"):
        raise FabricError(f"--output: {output}: the picture must end in .png or .svg")
    folder = Path(output).parent
    if not folder.is_dir():
        raise FabricError(f"--output: {output}: no folder {folder}")
    limits = parse_limits("--xlim", xlim), parse_limits("--ylim", ylim)
    records = [r for r in read_records(path) if r.get("ok", True)]
    if group and records and all(lookup(r, group) is None for r in records):
        raise FabricError(f"--group {group}: no result in {path} has this key")
    series = {}
    for record in records:
        xv, yv = lookup(record, x), lookup(record, y)
        if xv is None or yv is None:
            continue
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (xv, yv)):
            raise FabricError(f"{path}: {x} and {y} must be numbers, got {xv!r} and {yv!r}")
        series.setdefault(lookup(record, group) if group else None, []).append(
            (xv, yv, bool(record.get("saturated"))))
    if not series:
        raise FabricError(f"{path}: no result has both {x} and {y}")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    spread = False
    for name, points in sorted(series.items(), key=lambda kv: str(kv[0])):
        points.sort()
        xs, mean, low, high = spread_of(points)
        line, = ax.plot(xs, mean, marker="o", markersize=4, label=f"{group.replace('point.', '')} = {name}"
                        if group else None)
        if len(xs) < len(points):       # several results at one x (seeds): their mean, range and each one
            spread = True
            ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
            ax.plot([p[0] for p in points], [p[1] for p in points], linestyle="none", marker=".", markersize=3,
                    color=line.get_color())
        hollow = [(px, py) for px, py, sat in points if sat]
        if hollow:
            ax.plot([p[0] for p in hollow], [p[1] for p in hollow], linestyle="none", marker="o", markersize=8,
                    markerfacecolor="white", markeredgecolor=line.get_color())
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(y))
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    if limits[0]:
        ax.set_xlim(*limits[0])
    if limits[1]:
        ax.set_ylim(*limits[1])
    ax.grid(True, alpha=0.3)
    if group or spread:
        ax.legend(**({} if group else {"handles": []}),
                  title="hollow: saturated" + ("; band: min to max, line: mean" if spread else ""))
    fig.tight_layout()
    fig.savefig(output)
    plt.close(fig)
