"""The folded Clos: leaf-spine and three-level wiring, oversubscription, planes, the SuperPoD-size presets, up-down routes."""
import numpy as np
import pytest

import fabric
from fabric.description import describe
from fabric.errors import SpecError
from fabric.network import PORT_LINK
from fabric.topologies.tree._network import clos_network
from fabric.spec import resolve_spec


def test_every_leaf_meets_every_spine_once():
    net = clos_network(8, 20, 1)          # 5 leaves of 4 endpoints, 4 spines
    net.check()
    assert (net.n_routers, net.n_endpoints) == (9, 20)
    owner = net.port_router
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    pairs = sorted((int(owner[p]), int(owner[net.port_peer[p]])) for p in links if owner[p] < 5)
    assert pairs == [(leaf, 5 + spine) for leaf in range(5) for spine in range(4)]


@pytest.mark.parametrize("radix, endpoints, routers", [(128, 8192, 192), (176, 15488, 264)])
def test_superpod_presets(radix, endpoints, routers):
    d = describe(resolve_spec({"topology": {"kind": "clos", "radix": radix, "endpoints": endpoints}}))
    assert (d["endpoints"], d["routers"], d["radix_histogram"]) == (endpoints, routers, {str(radix): routers})
    assert d["diameter"] == 2 and d["uniform"]["saturation_bound"] == 1.0


@pytest.mark.parametrize("algorithm", ["nca", "anca"])
def test_low_load_run(algorithm):
    spec = {"topology": {"kind": "clos", "radix": 8, "endpoints": 32}, "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": 0.05},
            "sim": {"warmup_cycles": 500, "measure_cycles": 4000, "drain_cycles": 3000, "seed": 2}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["hops"]["mean"] == pytest.approx(2 * (1 - 4 / 32), rel=0.03)   # other leaves: 2 links
    assert r["latency"]["network"]["p50"] == 17                              # 3 routers: 5 * 3 + 2


@pytest.mark.parametrize("topology, message", [
    ({"kind": "clos", "radix": 9}, "topology.radix: must be even"),
    ({"kind": "clos", "radix": 8, "endpoints": 33}, "topology.endpoints: a 2-level Clos of radix 8 holds at most 32"),
])
def test_bad_sizes(topology, message):
    with pytest.raises(SpecError, match=message):
        resolve_spec({"topology": topology})


def clos(**topology):
    return {"topology": {"kind": "clos", **topology}}


def test_three_levels_as_a_k_ary_fat_tree():
    net = clos_network(8, 128, 1, levels=3)
    net.check()
    # 8 pods of 4 leaves and 4 aggregation switches, 4 spine groups of 4: R^3/4 endpoints, all radix 8
    assert (net.n_routers, net.n_endpoints) == (32 + 32 + 16, 128)
    assert set(np.diff(net.port_indptr).tolist()) == {8}
    owner = net.port_router
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    pairs = {(int(owner[p]), int(owner[net.port_peer[p]])) for p in links}
    assert {b for a, b in pairs if a == 5} == {32 + 4 + j for j in range(4)}          # leaf 5: pod 1's aggs
    assert {b for a, b in pairs if a == 32 + 4 + 2} == {1 * 4 + i for i in range(4)} | {64 + 2 * 4 + s for s in range(4)}
    d = describe(resolve_spec(clos(radix=8, levels=3)))
    assert (d["endpoints"], d["diameter"], d["uniform"]["saturation_bound"]) == (128, 4, 1.0)
    # other leaf of the pod (12 of 128): 2 links; other pods (112 of 128): 4
    assert d["mean_minimal_hops"] == pytest.approx((2 * 12 + 4 * 112) / 128)


@pytest.mark.parametrize("algorithm", ["nca", "anca"])
def test_three_level_routes_are_minimal(algorithm):
    spec = {**clos(radix=8, levels=3, endpoints=100), "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": 0.05},
            "sim": {"warmup_cycles": 300, "measure_cycles": 3000, "drain_cycles": 3000}}
    predicted = describe(resolve_spec(spec))["mean_minimal_hops"]
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["hops"]["mean"] == pytest.approx(predicted, rel=0.03)


def test_oversubscription_lowers_the_bound_and_planes_raise_it():
    spec = {**clos(radix=8, oversubscription=3), "traffic": {"injection_rate": 1.0},
            "sim": {"warmup_cycles": 300, "measure_cycles": 1500, "drain_cycles": 0}}
    d = describe(resolve_spec(spec))
    # 6 endpoints and 2 uplinks per leaf: each uplink carries 6/2 * (1 - 6/48) flits per unit of load
    assert (d["endpoints"], d["routers"], d["uniform"]["max_channel_load"]) == (48, 10, 2.625)
    one = fabric.simulate(spec, progress=False).to_dict()["throughput"]["accepted"]
    assert 0.5 * d["uniform"]["saturation_bound"] < one <= d["uniform"]["saturation_bound"]
    spec["topology"]["planes"] = 2
    d2 = describe(resolve_spec(spec))
    assert (d2["routers"], d2["uniform"]["saturation_bound"]) == (20, round(1 / 1.3125, 6))
    two = fabric.simulate(spec, progress=False).to_dict()["throughput"]["accepted"]
    assert one * 1.5 < two <= d2["uniform"]["saturation_bound"]


@pytest.mark.parametrize("policy", ["hash", "random", "least_loaded"])
def test_every_plane_carries_traffic(policy):
    from fabric.build import make_core

    spec = resolve_spec({**clos(radix=8, levels=1, planes=4, plane_policy=policy), "traffic": {"injection_rate": 0.5}})
    core, net = make_core(spec)
    seen = np.zeros(4)
    for t in range(20, 420, 8):             # flits buffered in each plane's switch, sampled
        core.run(t)
        seen += core.buffer_occupancy().sum(axis=1).reshape(4, 8).sum(axis=1)
    c = core.counters()
    assert c["created_flits"] == c["delivered_flits"] + core.flits_in_network() + c["source_flits"]
    assert (seen > 0.1 * seen.sum()).all(), seen
    r = fabric.simulate({**spec, "sim": {"warmup_cycles": 300, "measure_cycles": 3000, "drain_cycles": 2000}},
                        progress=False).to_dict()
    assert r["status"] == "ok" and r["hops"]["mean"] == 0
    assert r["latency"]["network"]["p50"] == 7           # one router: 2 + 4 + 1


def test_bad_oversubscription():
    with pytest.raises(SpecError, match="topology.oversubscription: 5:1 does not split 8 leaf ports"):
        resolve_spec(clos(radix=8, oversubscription=5))


def test_routers_of_more_than_64_ports_allocate_as_before():
    # Leaves of radix 80: the scan's request masks hold output ports mod 64, so ports 64-79 share bits
    # with 0-15. A shared bit may only send an uncontended router through arbitration, which grants the
    # same. The expected values were computed by the core before the masks (revision 738e80f, whose scan
    # kept per-port stamped arrays), on this saturated anca run with 4-flit packets.
    spec = {"topology": {"kind": "clos", "radix": 80, "endpoints": 240}, "routing": {"algorithm": "anca"},
            "traffic": {"injection_rate": 0.8, "packet_size": 4}, "router": {"vcs": 4, "vc_buffer": 4},
            "sim": {"warmup_cycles": 200, "measure_cycles": 400, "seed": 3}}
    d = fabric.simulate(spec, progress=False).to_dict()
    assert d["topology"]["routers"] == 46
    assert (d["status"], d["latency"]["packet"]["mean"], d["throughput"]["accepted"], d["hops"]["mean"]) == \
        ("saturated", 141.631651, 0.629771, 1.669955)
