"""graph: any topology, from an edge list.

Each edge joins two routers with a pair of links (one each way); an edge given twice is two parallel
links. Routers are numbered 0..N-1 by the ids in the file (N = the largest id + 1, and every router must
be reachable from every other). Every router has ``concentration`` endpoints: router r's ports are its
links in file order, then its endpoint ports; endpoint ``e`` sits on router ``e // concentration``.

An edge may name a link class (third column); links without one are of class ``link``. Each class can get
its own latency and bandwidth in ``[link.classes.NAME]``.

    [topology]
    kind = "graph"
    file = "ring.csv"        # relative to the spec file
    concentration = 2

The file is CSV (``router,router[,class]`` per line; ``#`` starts a comment; a header line is skipped)
or TOML (``edges = [[0, 1], [1, 2, "scale_out"], ...]``), told apart by the extension ``.toml``.

Routing: ``updown`` (the default, any number of VCs) or ``ecmp`` (shortest paths, a VC class per hop).
"""
from __future__ import annotations

import functools
import os
import tomllib

from ...errors import FabricError
from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("file", "str", "", "edge list: CSV (router,router[,class] per line) or TOML (edges = [[a, b], ...])"),
    Param("concentration", "int", 1, "endpoints per router", min=0, max=4096),
)
MAX_ROUTERS = 16384      # the routing tables hold a distance per (router, router) pair


@functools.lru_cache(maxsize=8)
def _read(path: str, stamp) -> tuple:
    """(n_routers, edges as ((a, b, class name), ...), class names in first-use order) of an edge file;
    FabricError naming the line on bad input."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as file:
            raw = file.read()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise FabricError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FabricError(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    rows = []
    if path.endswith(".toml"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise FabricError(f"{name}: invalid TOML: {error}") from None
        edges = data.get("edges")
        if not isinstance(edges, list) or not edges:
            raise FabricError(f"{name}: needs edges = [[router, router], ...]")
        for i, edge in enumerate(edges):
            rows.append((f"edges[{i}]", list(edge) if isinstance(edge, list) else [edge]))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                rows.append((f"line {number}", [field.strip() for field in line.split(",")]))
        if rows and not _is_int(rows[0][1][0]):
            rows = rows[1:]                  # a header
    edges, classes = [], {"link": 0}
    for where, fields in rows:
        if len(fields) not in (2, 3) or not (_is_int(fields[0]) and _is_int(fields[1])):
            raise FabricError(f"{name} {where}: expected router, router[, class], got {fields!r}")
        a, b = int(fields[0]), int(fields[1])
        if a < 0 or b < 0:
            raise FabricError(f"{name} {where}: router ids start at 0, got {a}, {b}")
        if a == b:
            raise FabricError(f"{name} {where}: a link from router {a} to itself")
        cls = str(fields[2]) if len(fields) == 3 and str(fields[2]) else "link"
        classes.setdefault(cls, len(classes))
        edges.append((a, b, cls))
    if not edges:
        raise FabricError(f"{name}: no edges")
    n = max(max(a, b) for a, b, _ in edges) + 1
    if n > MAX_ROUTERS:
        raise FabricError(f"{name}: {n} routers, more than the {MAX_ROUTERS} a graph may have")
    _check_connected(name, n, edges)
    return n, tuple(edges), tuple(sorted(classes, key=classes.get))


def _is_int(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.lstrip("-").isdigit()


def _check_connected(name: str, n: int, edges) -> None:
    neighbours = [[] for _ in range(n)]
    for a, b, _ in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    seen, stack = {0}, [0]
    while stack:
        for w in neighbours[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    if len(seen) < n:
        missing = sorted(set(range(n)) - seen)
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise FabricError(f"{name}: the graph is not connected: router 0 cannot reach router{'s' * (len(missing) > 1)} "
                          f"{shown} ({len(missing)} of {n})")


def load(topo: dict) -> tuple:
    """(n_routers, edges, class names) of the spec's edge file (read once per file version)."""
    path = topo["file"]
    if not path:
        raise FabricError("topology.file: required for a graph (an edge list, CSV or TOML)")
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = None
    try:
        return _read(os.path.abspath(path), stamp)
    except FabricError as error:
        raise FabricError(f"topology.file: {error}") from None


def check(topo: dict):
    try:
        load(topo)
    except FabricError as error:
        yield "file", str(error).removeprefix("topology.file: ")


def size(topo: dict):
    """(routers, ports, endpoints) for the memory estimate (the routing tables come on top)."""
    n, edges, _ = load(topo)
    return n, 2 * len(edges) + n * topo["concentration"], n * topo["concentration"]


def analyze(topo: dict, routing: dict) -> dict:
    """Distances and channel loads computed from the graph itself (_tables.py)."""
    from ...network import graph_network
    from . import _tables

    from .updown import root_of

    net = graph_network(*load(topo), topo["concentration"], 1)
    return _tables.analyze(net, routing["algorithm"], root_of(net, routing) if "root" in routing else 0)


@topologies.register("graph", params=PARAMS, default_routing="updown", size=size, analyze=analyze, check=check)
def build(topo: dict, link: dict):
    from ...network import graph_network  # numpy, loaded only when a network is built

    return graph_network(*load(topo), topo["concentration"], link["latency"])
