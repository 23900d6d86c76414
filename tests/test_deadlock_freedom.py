"""Every routing that claims deadlock freedom has an acyclic channel dependency graph (Dally & Seitz
1987; Duato 1993 for VC classes): nodes are (router-to-router channel, VC), and a packet that holds one
and may request another adds an edge. Routes are followed through the core's own route computation
(`Core.probe_route`), over every choice its random draws could make."""
from collections import defaultdict

import numpy as np
import pytest

from fabric.build import make_core
from fabric.network import PORT_ENDPOINT, PORT_LINK
from fabric.spec import resolve_spec

from conftest import ROOT

RING = str(ROOT / "tests" / "specs" / "graph_ring6.csv")
PETERSEN = str(ROOT / "tests" / "specs" / "graph_petersen.toml")


def dependency_graph(spec):
    core, net = make_core(resolve_spec(spec))
    V = spec.get("router", {}).get("vcs", 4)
    owner = net.port_router
    local = np.arange(net.n_ports) - net.port_indptr[owner]
    choices = range(int(np.diff(net.port_indptr).max()))   # up ports, coins
    algorithm = spec.get("routing", {}).get("algorithm")
    coords = net.router_coords
    edges = defaultdict(set)
    longest = 0

    def pids(source, dest):
        """The packet ids to follow: Valiant's path depends on the packet id (its intermediate group; UGAL's
        choice too: probe_route takes the packet id's lowest bit for it), and ROMM's on the intermediate
        router it names, one of the minimal box between the source and destination routers."""
        if algorithm in ("valiant", "ugal"):
            return range(2 * net.n_routers)
        if algorithm == "romm":
            there = coords[owner[net.endpoint_port[dest]]]
            low, high = np.minimum(coords[source], there), np.maximum(coords[source], there)
            return np.flatnonzero(((coords >= low) & (coords <= high)).all(axis=1)).tolist()
        return [0]

    # with faults, only the sources the surviving network joins to a destination send to it
    faults = net.info.get("faults")
    label = np.zeros(net.n_endpoints, int) if faults is None else \
        (faults["components_before"] if faults.get("at_cycle") else faults["components"])[0]
    for dest in range(net.n_endpoints):
        seen = set()
        if label[dest] < 0:
            continue
        # (router, local input port, VC, links crossed, the channel held, or None at injection)
        stack = [(int(owner[p]), int(local[p]), v, 0, None, pid)
                 for e, p in enumerate(net.endpoint_port) if label[e] == label[dest]
                 for v in range(V) for pid in pids(int(owner[p]), dest)]
        while stack:
            router, in_port, vc, hops, held, pid = stack.pop()
            if (router, in_port, vc, hops, held, pid) in seen:
                continue
            seen.add((router, in_port, vc, hops, held, pid))
            for choice in choices:
                out, allowed = core.probe_route(router, in_port, vc, dest, choice, hops, pid)
                port = int(net.port_indptr[router]) + out
                if net.port_kind[port] == PORT_ENDPOINT:
                    assert net.port_peer[port] == dest, "a packet ejected at the wrong endpoint"
                    longest = max(longest, hops)
                    continue
                assert net.port_kind[port] == PORT_LINK, "routed to an unconnected port"
                far = int(net.port_peer[port])
                for v in range(V):
                    if allowed >> v & 1:
                        if held is not None:
                            edges[held].add((port, v))
                        stack.append((int(owner[far]), int(local[far]), v, hops + 1, (port, v), pid))
    dependency_graph.longest = longest        # the most links any followed route crossed
    return edges


def has_cycle(edges):
    state = {}
    for start in list(edges):
        if state.get(start):
            continue
        stack = [(start, iter(edges.get(start, ())))]
        state[start] = 1                         # 1: on the current path, 2: finished
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(edges.get(child, ()))))
    return False


def max_table_hops(spec):
    """up*/down*: the longest route its distance table allows."""
    from fabric.topologies.graph._tables import tables
    from fabric.topologies.graph.updown import root_of

    resolved = resolve_spec(spec)
    core, net = make_core(resolved)
    return int(tables(net, "updown", root_of(net, resolved["routing"]))["dist_any"].max())


def test_the_check_finds_a_cycle():
    assert has_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    assert not has_cycle({"a": {"b", "c"}, "b": {"c"}})


@pytest.mark.parametrize("spec", [
    {"topology": {"kind": "mesh", "dims": [4, 3]}, "router": {"vcs": 1}},
    {"topology": {"kind": "mesh", "dims": [4, 3, 2]}, "router": {"vcs": 2}, "routing": {"algorithm": "romm"}},
    {"topology": {"kind": "torus", "dims": [4, 4]}, "router": {"vcs": 2}},
    {"topology": {"kind": "torus", "dims": [5, 3]}, "router": {"vcs": 4}, "routing": {"torus_tie": "positive"}},
    {"topology": {"kind": "hyperx", "dims": [3, 3], "concentration": 2}, "router": {"vcs": 1}},
    {"topology": {"kind": "hyperx", "dims": [3, 2, 3]}, "router": {"vcs": 3}, "routing": {"algorithm": "min_adaptive"}},
    {"topology": {"kind": "fat_tree", "k": 2, "n": 3}, "router": {"vcs": 1}},
    {"topology": {"kind": "fat_tree", "k": 3, "n": 2}, "router": {"vcs": 2}, "routing": {"algorithm": "anca"}},
    {"topology": {"kind": "clos", "radix": 6, "endpoints": 14}, "router": {"vcs": 1}},
    {"topology": {"kind": "clos", "radix": 4, "levels": 3, "planes": 2}, "router": {"vcs": 1},
     "routing": {"algorithm": "anca"}},
    {"topology": {"kind": "dragonfly", "p": 1, "a": 2, "h": 1}, "router": {"vcs": 2}},
    {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "router": {"vcs": 2}},
    {"topology": {"kind": "dragonfly", "p": 1, "a": 2, "h": 2}, "router": {"vcs": 3}, "routing": {"algorithm": "valiant"}},
    {"topology": {"kind": "dragonfly", "p": 1, "a": 2, "h": 2}, "router": {"vcs": 3}, "routing": {"algorithm": "ugal"}},
    {"topology": {"kind": "graph", "file": RING}, "router": {"vcs": 1}, "routing": {"algorithm": "updown"}},
    {"topology": {"kind": "graph", "file": PETERSEN}, "router": {"vcs": 1}, "routing": {"algorithm": "updown", "root": 4}},
    {"topology": {"kind": "graph", "file": RING}, "router": {"vcs": 3}, "routing": {"algorithm": "ecmp"}},
    {"topology": {"kind": "graph", "file": PETERSEN}, "router": {"vcs": 2}, "routing": {"algorithm": "ecmp"}},
    {"topology": {"kind": "composite", "pods": 2, "spines": 2, "planes": 2,
                  "pod": {"kind": "hyperx", "dims": [3, 2]}}, "router": {"vcs": 1}, "routing": {"algorithm": "updown"}},
    {"topology": {"kind": "composite", "pods": 3, "spines": 1, "pod": {"kind": "torus", "dims": [4]}},
     "router": {"vcs": 4}, "routing": {"algorithm": "ecmp"}},
], ids=lambda s: f"{s['topology']['kind']}-{s.get('routing', {}).get('algorithm', 'default')}")
def test_acyclic(spec):
    edges = dependency_graph(spec)
    assert edges, "no dependencies found: the walk went wrong"
    assert not has_cycle(edges)
    # every route arrives within the diameter (minimal routings), or within the routing's own bound
    from fabric.description import describe

    d = describe(resolve_spec(spec))
    algorithm = d["routing"]
    bound = {"valiant": 5, "ugal": 5}.get(algorithm, d["diameter"])
    if algorithm == "updown":
        bound = max_table_hops(spec)
    assert 0 < dependency_graph.longest <= bound


def test_torus_needs_its_dateline_classes():
    # the same routes with the VC classes merged (one channel per link) wrap around into a cycle
    edges = dependency_graph({"topology": {"kind": "torus", "dims": [4, 4]}, "router": {"vcs": 2}})
    merged = defaultdict(set)
    for (port, _), successors in edges.items():
        merged[port].update(p for p, _ in successors)
    assert has_cycle(merged)


def test_ecmp_on_a_ring_needs_its_hop_classes():
    # shortest paths around a ring with the per-hop VC classes merged close a cycle
    edges = dependency_graph({"topology": {"kind": "graph", "file": RING}, "router": {"vcs": 3},
                              "routing": {"algorithm": "ecmp"}})
    merged = defaultdict(set)
    for (port, _), successors in edges.items():
        merged[port].update(p for p, _ in successors)
    assert has_cycle(merged)


def test_romm_needs_its_phase_classes():
    # ROMM's two phases with the VC classes merged: a phase-1 packet's X hop after a phase-0 Y hop closes
    # a cycle of turns
    edges = dependency_graph({"topology": {"kind": "mesh", "dims": [3, 3]}, "router": {"vcs": 2},
                              "routing": {"algorithm": "romm"}})
    merged = defaultdict(set)
    for (port, _), successors in edges.items():
        merged[port].update(p for p, _ in successors)
    assert has_cycle(merged)
