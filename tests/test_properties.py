"""Property tests over random small networks of every topology and routing, with every kind of router: whatever
the configuration, no flit is lost or duplicated, credits balance, buffers stay within depth, every
delivered packet took a minimal route, and the same seed gives the same result."""
import hashlib
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabric.build import make_core
from fabric.spec import resolve_spec


def graph_file(edges) -> str:
    """A CSV edge file for a drawn graph, named by its content so reruns reuse it."""
    text = "".join(f"{a},{b}\n" for a, b in edges)
    path = Path(tempfile.gettempdir()) / "fabric-test-graphs" / (hashlib.sha1(text.encode()).hexdigest() + ".csv")
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return str(path)


@st.composite
def graphs(draw):
    """A connected graph: a random tree plus a few extra edges (parallel ones allowed)."""
    n = draw(st.integers(2, 8))
    edges = [(draw(st.integers(0, i - 1)), i) for i in range(1, n)]
    for _ in range(draw(st.integers(0, 5))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            edges.append((a, b))
    return edges


# the router settings every drawn network may get (docs/switches.md): the default input-queued router, internal
# speedup with and without bounded output queues, the output-queued switch, and each allocator
ROUTER_VARIANTS = [
    {},
    {"internal_speedup": 2.0},
    {"internal_speedup": 1.5, "output_buffer": 2},
    {"kind": "oq"},
    {"kind": "oq", "output_buffer": 3},
    {"vc_allocator": "separable_input_first", "sw_allocator": "separable_input_first"},
    {"vc_allocator": "wavefront", "sw_allocator": "wavefront"},
    {"vc_allocator": "pim", "sw_allocator": "pim"},
    {"vc_allocator": "max_size", "sw_allocator": "max_size", "internal_speedup": 2.0},
]


@st.composite
def specs(draw):
    spec = draw(network_specs())
    spec["router"].update(draw(st.sampled_from(ROUTER_VARIANTS)))
    return spec


@st.composite
def network_specs(draw):
    kind = draw(st.sampled_from(["mesh", "torus", "fat_tree", "hyperx", "clos", "dragonfly", "graph",
                                 "composite"]))
    if kind == "composite":
        pod, routers = draw(st.sampled_from([({"kind": "hyperx", "dims": [2, 3]}, 6),
                                             ({"kind": "mesh", "dims": [1], "concentration": 2}, 1),
                                             ({"kind": "torus", "dims": [3]}, 3), ({"kind": "fat_tree", "k": 2, "n": 2}, 4)]))
        algorithm = draw(st.sampled_from(["updown", "ecmp"]))
        pods, uplinks = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        return {
            "topology": {"kind": kind, "pod": pod, "pods": pods, "uplinks": uplinks, "planes": draw(st.integers(1, 2)),
                         "spines": draw(st.integers(1, min(3, routers * uplinks)))},
            "router": {"vcs": draw(st.integers(8 if algorithm == "ecmp" else 1, 8)), "vc_buffer": draw(st.integers(1, 5)), "alloc_iters": draw(st.integers(1, 3))},
            "link": {"classes": {"scale_out": {"latency": draw(st.integers(1, 4)),
                                               "cycles_per_flit": draw(st.integers(1, 3))}}},
            "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": draw(st.floats(0.0, 1.0)), "packet_size": draw(st.integers(1, 5))},
            "sim": {"seed": draw(st.integers(0, 2**32)), "warmup_cycles": 50, "measure_cycles": 200,
                    "drain_cycles": 0, "check": True},
        }
    if kind == "graph":
        edges = draw(graphs())
        algorithm = draw(st.sampled_from(["updown", "ecmp"]))
        return {
            "topology": {"kind": kind, "file": graph_file(edges), "concentration": draw(st.integers(1, 2))},
            "router": {"vcs": draw(st.integers(8 if algorithm == "ecmp" else 1, 8)),
                       "vc_buffer": draw(st.integers(1, 5)), "alloc_iters": draw(st.integers(1, 3))},
            "link": {"latency": draw(st.integers(1, 3)), "cycles_per_flit": draw(st.integers(1, 2))},
            "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": draw(st.floats(0.0, 1.0)), "packet_size": draw(st.integers(1, 5))},
            "sim": {"seed": draw(st.integers(0, 2**32)), "warmup_cycles": 50, "measure_cycles": 200,
                    "drain_cycles": 0, "check": True},
        }
    if kind == "dragonfly":
        topology = {"kind": kind, "p": draw(st.integers(1, 2)), "a": draw(st.integers(1, 4)),
                    "h": draw(st.integers(1, 2)), "global_latency": draw(st.integers(1, 4))}
    if kind == "clos":
        radix = 2 * draw(st.integers(1, 4))
        levels = draw(st.integers(1, 3))
        most = {1: radix, 2: radix * radix // 2, 3: radix ** 3 // 4}[levels]
        topology = {"kind": kind, "radix": radix, "levels": levels, "endpoints": draw(st.integers(1, most)),
                    "planes": draw(st.integers(1, 3)),
                    "plane_policy": draw(st.sampled_from(["hash", "random", "least_loaded"]))}
    if kind == "fat_tree":
        topology = {"kind": kind, "k": draw(st.integers(2, 4)), "n": draw(st.integers(1, 3))}
    if kind in ("fat_tree", "clos", "dragonfly"):
        return {
            "topology": topology,
            "router": {"vcs": draw(st.integers(3 if kind == "dragonfly" else 1, 4)),
                       "vc_buffer": draw(st.integers(1, 5)), "alloc_iters": draw(st.integers(1, 3))},
            "link": {"latency": draw(st.integers(1, 3))},
            "routing": {"algorithm": draw(st.sampled_from(["min", "valiant", "ugal"] if kind == "dragonfly" else ["nca", "anca"]))},
            "traffic": {"injection_rate": draw(st.floats(0.0, 1.0)), "packet_size": draw(st.integers(1, 5))},
            "sim": {"seed": draw(st.integers(0, 2**32)), "warmup_cycles": 50, "measure_cycles": 200,
                    "drain_cycles": 0, "check": True},
        }
    n_dims = draw(st.integers(1, 4))
    dims = draw(st.lists(st.integers(1 if kind == "mesh" else 2, 5), min_size=n_dims, max_size=n_dims))
    algorithm = draw(st.sampled_from({"mesh": ["dor", "romm"], "hyperx": ["dor", "min_adaptive"]}.get(kind, ["dor"])))
    return {
        "topology": {"kind": kind, "dims": dims, "concentration": draw(st.integers(1, 3))},
        "router": {"vcs": draw(st.integers({"torus": 2, "hyperx": n_dims}.get(kind, 2 if algorithm == "romm" else 1), 4)),
                   "vc_buffer": draw(st.integers(1, 5)), "alloc_iters": draw(st.integers(1, 3)),
                   "routing_delay": draw(st.integers(1, 2)), "vc_alloc_delay": draw(st.integers(1, 2)),
                   "sw_alloc_delay": draw(st.integers(1, 2)), "st_delay": draw(st.integers(1, 2))},
        "link": {"latency": draw(st.integers(1, 3))},
        "routing": ({"torus_tie": draw(st.sampled_from(["random", "positive"]))} if kind == "torus" else
                    {"algorithm": algorithm}),
        "traffic": {"injection_rate": draw(st.floats(0.0, 1.0)), "packet_size": draw(st.integers(1, 5))},
        "sim": {"seed": draw(st.integers(0, 2**32)), "warmup_cycles": 50, "measure_cycles": 200,
                "drain_cycles": 0, "check": True},
    }


def mean_minimal_hops(spec, net):
    """Minimal router-to-router distance for every (source, destination) endpoint pair (for a graph,
    the routing's own distance: up*/down* paths may be longer than the shortest)."""
    if spec["topology"]["kind"] in ("graph", "composite"):
        from fabric.topologies.graph._tables import tables

        root = net.info.get("root", 0)
        dist = tables(net, spec["routing"]["algorithm"], root)["dist_any"].reshape(net.n_routers, net.n_routers)
        owner = np.searchsorted(net.port_indptr, net.endpoint_port, side="right") - 1
        return dist[owner][:, owner]
    if spec["topology"]["kind"] == "dragonfly":
        t = spec["topology"]
        router = np.arange(net.n_endpoints) // t["p"]
        group = router // t["a"]
        same_router = router[:, None] == router[None, :]
        same_group = group[:, None] == group[None, :]
        # Valiant (and UGAL's non-minimal choice): two minimal legs
        longest = 5 if spec["routing"].get("algorithm") in ("valiant", "ugal") else 3
        return np.where(same_router, 0, np.where(same_group, 1, longest))
    if spec["topology"]["kind"] == "clos":
        t = spec["topology"]
        if t["levels"] == 1:
            return np.zeros((t["endpoints"], t["endpoints"]), int)
        half = t["radix"] // 2
        leaf = np.arange(t["endpoints"]) // half
        pod = leaf // half if t["levels"] == 3 else leaf * 0
        return 2 * (leaf[:, None] != leaf[None, :]) + 2 * (pod[:, None] != pod[None, :])
    if spec["topology"]["kind"] == "fat_tree":
        # up to the nearest common ancestor and down again: 2 links per level climbed
        k, n = spec["topology"]["k"], spec["topology"]["n"]
        e = np.arange(k**n)
        climb = np.zeros((e.size, e.size), int)
        for level in range(1, n):
            climb += (e[:, None] // k**level) != (e[None, :] // k**level)
        return 2 * climb
    owner = np.searchsorted(net.port_indptr, net.endpoint_port, side="right") - 1
    coords = net.router_coords[owner]
    d = np.abs(coords[:, None, :] - coords[None, :, :])
    if spec["topology"]["kind"] == "hyperx":
        return (d > 0).sum(axis=2)      # one hop per coordinate that differs
    if spec["topology"]["kind"] == "torus":
        d = np.minimum(d, np.asarray(net.dims) - d)
    return d.sum(axis=2)


def connected(net) -> bool:
    """Every router reaches every other over the links (planes of a Clos meet only at the endpoints,
    which have a port in each)."""
    from fabric.network import PORT_LINK

    owner = net.port_router
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    neighbours = {r: set() for r in range(net.n_routers)}
    for p in links:
        neighbours[int(owner[p])].add(int(owner[net.port_peer[p]]))
    if net.endpoint_planes is not None:
        for ports in net.endpoint_planes:
            routers = {int(owner[p]) for p in ports}
            for r in routers:
                neighbours[r] |= routers - {r}
    seen, stack = {0}, [0]
    while stack:
        for w in neighbours[stack.pop()] - seen:
            seen.add(w)
            stack.append(w)
    return len(seen) == net.n_routers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_conservation_credits_and_bounds(raw):
    spec = resolve_spec(raw)
    core, net = make_core(spec)
    net.check()                                  # every link's two directions pair up
    assert connected(net)
    for until in (37, 250):
        core.run(until)
        c = core.counters()
        assert c["created_flits"] == c["delivered_flits"] + core.flits_in_network() + c["source_flits"]
        assert core.check_credits()
        occupancy = core.buffer_occupancy()
        assert 0 <= occupancy.min() and occupancy.max() <= spec["router"]["vc_buffer"]
    # routes are minimal: the measured mean hop count cannot exceed the longest minimal path
    if c["measured_delivered"]:
        assert c["sum_hops"] / c["measured_delivered"] <= mean_minimal_hops(spec, net).max()


@settings(max_examples=15, deadline=None)
@given(specs())
def test_same_seed_same_counters(raw):
    spec = resolve_spec(raw)
    a, _ = make_core(spec)
    b, _ = make_core(spec)
    a.run(250)
    b.run(250)
    assert a.counters() == b.counters()
    assert np.array_equal(a.histograms()[0], b.histograms()[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.integers(2, 3))
def test_any_number_of_threads_gives_the_same_run(raw, threads):
    # routers stepped on several threads, each a block of routers, merge what they did in router order
    spec = resolve_spec(raw)
    one, _ = make_core(spec)
    many, _ = make_core(spec, threads=threads)
    for until in (37, 250):
        one.run(until)
        many.run(until)
        assert one.counters() == many.counters()
        assert np.array_equal(one.buffer_occupancy(), many.buffer_occupancy())
        assert np.array_equal(one.output_credits(), many.output_credits())
    assert all(np.array_equal(a, b) for a, b in zip(one.histograms(), many.histograms()))
