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

The file is CSV (``router,router[,class]`` per line; ``#`` starts a comment; a header line is skipped),
TOML (``edges = [[0, 1], [1, 2, "scale_out"], ...]``), GraphML or GML (read with NetworkX, the
``networkx`` extra), or a SimAI topology file (see _read_simai), told apart by the extension (``.toml``,
``.graphml``, ``.gml``; ``.simai`` or ``.topo``, or SimAI's own layout). In GraphML and GML an
edge may carry ``class``, ``latency`` (cycles) and ``bandwidth`` (flits per cycle, 1/an integer); nodes with
``kind = "endpoint"`` (as ``fabric describe --graph`` writes them) are endpoints on the router they join,
and set each router's endpoints instead of ``concentration``. Routers are numbered by their ids when all
are integers, else in the file's order.

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
    if path.endswith((".graphml", ".gml")):
        return _read_networkx(path, name)
    if path.endswith((".simai", ".topo")) or _looks_like_simai(text):
        return _read_simai(text, name)
    if text.lstrip().startswith("router"):
        return _read_anynet(text, name)
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
    return n, tuple(edges), tuple(sorted(classes, key=classes.get)), None, None, None


def _read_networkx(path: str, name: str) -> tuple:
    """(n_routers, edges, classes, per-edge latency, per-edge cycles per flit, endpoints per router or None)
    of a GraphML or GML file."""
    import numpy as np

    try:
        import networkx as nx
    except ImportError:
        raise FabricError(f"{name}: GraphML and GML files are read with NetworkX: pip install "
                          f"'fabric-sim[networkx]' (or pip install networkx)") from None
    try:
        graph = nx.read_graphml(path) if path.endswith(".graphml") else nx.read_gml(path, label="id")
    except Exception as error:          # NetworkX raises many kinds for a malformed file
        raise FabricError(f"{name}: not a readable {'GraphML' if path.endswith('.graphml') else 'GML'} file "
                          f"({type(error).__name__}: {error})") from None
    ends = [v for v, data in graph.nodes(data=True) if data.get("kind") == "endpoint"]
    routers = [v for v in graph.nodes if v not in set(ends)]
    if all(_is_int(v) for v in routers):
        number = {v: int(v) for v in routers}
    else:
        number = {v: i for i, v in enumerate(routers)}
    n = max(number.values(), default=-1) + 1
    if sorted(number.values()) != list(range(n)):
        raise FabricError(f"{name}: router ids must be 0 to {n - 1}, each once")
    edges, latency, cpf, classes = [], [], [], {"link": 0}
    endpoints = np.zeros(n, np.int64) if ends else None
    for i, (u, v, data) in enumerate(graph.edges(data=True)):
        if u in number and v in number:
            if number[u] == number[v]:
                raise FabricError(f"{name}: edge {i}: a link from router {number[u]} to itself")
            cls = str(data.get("class", "") or "link")
            classes.setdefault(cls, len(classes))
            edges.append((number[u], number[v], cls))
            latency.append(_edge_number(data, "latency", name, i, lambda x: x >= 1 and x == int(x)))
            bw = _edge_number(data, "bandwidth", name, i, lambda x: 0 < x <= 1 and abs(round(1 / x) * x - 1) < 1e-6)
            cpf.append(round(1 / bw) if bw else 0)
        elif (u in number) != (v in number):
            endpoints[number[u] if u in number else number[v]] += 1
        else:
            raise FabricError(f"{name}: edge {i} joins two endpoints")
    if not edges:
        raise FabricError(f"{name}: no edges between routers")
    if n > MAX_ROUTERS:
        raise FabricError(f"{name}: {n} routers, more than the {MAX_ROUTERS} a graph may have")
    _check_connected(name, n, edges)
    if endpoints is not None and endpoints.sum() != len(ends):
        raise FabricError(f"{name}: every endpoint node must join exactly one router")
    return (n, tuple(edges), tuple(sorted(classes, key=classes.get)), tuple(latency), tuple(cpf),
            None if endpoints is None else tuple(endpoints.tolist()))


def _read_anynet(text: str, name: str) -> tuple:
    """A BookSim anynet file: per line ``router R`` and what it joins, ``router S [latency]`` (a link; its
    latency, 1 if not given, must be the same each way, as fabric's links are) and ``node N [latency]`` (an
    endpoint of R; its channels take 1 cycle in fabric). Routers and nodes are numbered from 0, and nodes
    router by router (fabric numbers endpoints so)."""
    import numpy as np

    links, endpoint_router = {}, {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("//", 1)[0].split()
        if not words:
            continue
        if words[0] != "router" or len(words) < 2 or not words[1].isdigit():
            raise FabricError(f"{name} line {number}: a line starts with 'router N'")
        r, j = int(words[1]), 2
        while j < len(words):
            kind = words[j]
            if kind not in ("router", "node") or j + 1 >= len(words) or not words[j + 1].isdigit():
                raise FabricError(f"{name} line {number}: expected 'router N' or 'node N', got "
                                  f"{' '.join(words[j:j + 2])!r}")
            ident, j = int(words[j + 1]), j + 2
            own = None
            if j < len(words) and words[j].isdigit():
                own, j = int(words[j]), j + 1
            if kind == "node":
                if own not in (None, 1):
                    raise FabricError(f"{name} line {number}: node {ident}'s channels take {own} cycles; fabric's "
                                      f"endpoint channels take 1")
                if endpoint_router.get(ident, r) != r:
                    raise FabricError(f"{name} line {number}: node {ident} is on routers {endpoint_router[ident]} "
                                      f"and {r}")
                endpoint_router[ident] = r
            else:
                if ident == r:
                    raise FabricError(f"{name} line {number}: a link from router {r} to itself")
                key = (min(r, ident), max(r, ident))
                lat = own or 1
                if links.get(key, lat) != lat:
                    raise FabricError(f"{name} line {number}: routers {key[0]} and {key[1]} have channels of "
                                      f"{links[key]} and {lat} cycles; fabric's links take the same each way")
                links[key] = lat
    if not links:
        raise FabricError(f"{name}: no links between routers")
    n = max(max(a, b) for a, b in links) + 1
    nodes = sorted(endpoint_router)
    if nodes != list(range(len(nodes))):
        raise FabricError(f"{name}: nodes must be numbered 0 to {len(nodes) - 1}")
    routers = [endpoint_router[e] for e in nodes]
    if routers != sorted(routers):
        late = next(e for e in nodes[1:] if routers[e] < routers[e - 1])
        raise FabricError(f"{name}: fabric numbers endpoints router by router; node {late} comes after a node of "
                          f"a later router")
    edges = [(a, b, "link") for a, b in links]
    _check_connected(name, n, edges)
    counts = np.bincount(np.asarray(routers, np.int64), minlength=n)
    return n, tuple(edges), ("link",), tuple(links.values()), None, tuple(counts.tolist())


_UNITS = {"bps": 1e-9, "kbps": 1e-6, "mbps": 1e-3, "gbps": 1.0, "tbps": 1e3}
_TIMES = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def _looks_like_simai(text: str) -> bool:
    """A SimAI topology file: a first line of counts, and links of five fields with a rate and a delay."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    return len(lines) >= 3 and all(f.isdigit() for f in lines[0][:3]) and any(
        len(f) == 5 and f[2].lower().endswith("bps") for f in lines[2:4])


def _read_simai(text: str, name: str) -> tuple:
    """A SimAI (astra-sim-alibabacloud) topology file: a header of counts (node_num [gpus_per_server
    nvswitch_num] switch_num link_num [gpu_type]), the ids of the switches, then one link per line:
    ``src dst bandwidth delay error_rate`` (``400Gbps 0.0005ms 0``). Every node becomes a router; a node
    that is not a switch (an accelerator) has one endpoint. A link's bandwidth becomes cycles per flit (the
    fastest link's rate = one flit a cycle; a rate that is not a whole fraction of it is an error) and its
    delay cycles of a nanosecond (1 GHz)."""
    lines = [(i + 1, line.split("#", 1)[0].split()) for i, line in enumerate(text.splitlines())]
    lines = [(i, f) for i, f in lines if f]
    head = lines[0][1]
    counts = [int(f) for f in head if f.isdigit()]
    if len(counts) >= 5:
        nodes, switches, n_links = counts[0], counts[2] + counts[3], counts[4]
    elif len(counts) >= 3:
        nodes, switches, n_links = counts[0], counts[1], counts[2]
    else:
        raise FabricError(f"{name} line {lines[0][0]}: a SimAI header: node_num [gpus_per_server nvswitch_num] "
                          f"switch_num link_num, got {' '.join(head)!r}")
    ids, rest = [], lines[1:]
    while len(ids) < switches and rest:
        ids += rest[0][1]
        rest = rest[1:]
    if len(ids) != switches or not all(f.isdigit() for f in ids):
        raise FabricError(f"{name}: the header names {switches} switches, and the lines after it list {ids[:8]}...")
    if len(rest) != n_links:
        raise FabricError(f"{name}: the header says {n_links} links, the file has {len(rest)} link lines")
    links = []
    for number, fields in rest:
        if len(fields) != 5:
            raise FabricError(f"{name} line {number}: a link is src dst bandwidth delay error_rate, got "
                              f"{' '.join(fields)!r}")
        a, b = int(fields[0]), int(fields[1])
        if not (0 <= a < nodes and 0 <= b < nodes) or a == b:
            raise FabricError(f"{name} line {number}: nodes are 0 to {nodes - 1} and a link joins two, got {a} {b}")
        links.append((number, a, b, _quantity(fields[2], _UNITS, name, number, "bandwidth"),
                      _quantity(fields[3], _TIMES, name, number, "delay")))
    fastest = max(bw for *_, bw, _ in links)
    edges, latency, cpf = [], [], []
    for number, a, b, bw, delay in links:
        ratio = fastest / bw
        if abs(ratio - round(ratio)) > 1e-6:
            raise FabricError(f"{name} line {number}: {bw:g} Gb/s is not a whole fraction of the fastest link's "
                              f"{fastest:g} Gb/s (a link sends a flit every whole number of cycles)")
        edges.append((a, b, "link"))
        latency.append(max(1, round(delay)))
        cpf.append(int(round(ratio)))
    switch_set = {int(x) for x in ids}
    _check_connected(name, nodes, edges)
    endpoints = tuple(0 if r in switch_set else 1 for r in range(nodes))
    return nodes, tuple(edges), ("link",), tuple(latency), tuple(cpf), endpoints


def _quantity(text: str, units: dict, name: str, number: int, what: str) -> float:
    """A number with a unit (400Gbps, 0.0005ms) in the units' base (Gb/s, ns)."""
    for unit in sorted(units, key=len, reverse=True):
        if text.lower().endswith(unit):
            try:
                return float(text[:len(text) - len(unit)]) * units[unit]
            except ValueError:
                break
    raise FabricError(f"{name} line {number}: {what} {text!r}: a number and a unit ({', '.join(units)})")


def _edge_number(data: dict, key: str, name: str, i: int, ok) -> float:
    """An edge's numeric attribute (0 when it has none)."""
    if key not in data:
        return 0
    try:
        x = float(data[key])
    except (TypeError, ValueError):
        x = None
    if x is None or not ok(x):
        what = "cycles, a whole number >= 1" if key == "latency" else "flits per cycle, 1/an integer up to 1"
        raise FabricError(f"{name}: edge {i}: {key} must be {what}, got {data[key]!r}")
    return x


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
    n, edges, _, _, _, endpoints = load(topo)
    count = sum(endpoints) if endpoints is not None else n * topo["concentration"]
    return n, 2 * len(edges) + count, count


def analyze(topo: dict, routing: dict) -> dict:
    """Distances and channel loads computed from the graph itself (_tables.py)."""
    from . import _tables
    from .updown import root_of

    net = _network(topo, 1)
    return _tables.analyze(net, routing["algorithm"], root_of(net, routing) if "root" in routing else 0)


def _network(topo: dict, latency: int):
    from ...network import graph_network

    n, edges, classes, edge_latency, edge_cpf, endpoints = load(topo)
    return graph_network(n, edges, classes, topo["concentration"] if endpoints is None else list(endpoints),
                         latency, edge_latency=edge_latency, edge_cpf=edge_cpf)


@topologies.register("graph", params=PARAMS, default_routing="updown", size=size, analyze=analyze, check=check)
def build(topo: dict, link: dict):
    return _network(topo, link["latency"])
