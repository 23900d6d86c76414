"""Switch micro-architectures: internal speedup with output queues (BookSim's iq_router options), and the
output-queued switch (router.kind = "oq") against queueing theory. The BookSim comparison of the speedup
is in test_booksim.py."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import fabric
from fabric.build import make_core
from fabric.errors import SpecError
from fabric.spec import resolve_spec

from conftest import make_spec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import oq_theory  # noqa: E402


def run(**kw):
    return fabric.simulate(make_spec(**kw), progress=False).to_dict()


def zero_load(h, latency=1, per_router=4, size=1):
    """A packet's latency alone in the network (test_core.zero_load): 2 cycles to the first router's buffer,
    `per_router` in each of the h routers, the links between them, 1 to eject, 1 a flit after the head."""
    return 2 + per_router * h + latency * (h - 1) + 1 + size - 1


# ---------------------------------------------------------------- exact latencies

@pytest.mark.parametrize("router,per_router", [
    ({}, 4),                                                    # route, VC, switch allocation, traversal
    ({"internal_speedup": 2.0}, 2),                             # two stages a cycle (BookSim's timing)
    ({"internal_speedup": 4.0}, 1),                             # all four in one cycle
    ({"internal_speedup": 2.0, "routing_delay": 3}, 4),         # a 3-cycle stage still takes its cycles
    ({"kind": "oq"}, 4),                                        # the same latency, no switch allocation
    ({"kind": "oq", "routing_delay": 3}, 6),
])
def test_zero_load_latency_with_speedup_and_output_queues(router, per_router):
    r = run(dims=[2], rate=0.02, allow_self=False, warmup=200, measure=5000, router=router)
    expected = zero_load(2, per_router=per_router)
    assert r["latency"]["packet"]["p50"] == expected
    assert expected <= r["latency"]["packet"]["mean"] < expected + 0.2


def test_fractional_speedup_lies_between():
    # 1.5 alternates one and two internal steps a cycle: a packet's latency depends on its phase
    lat = {s: run(dims=[4, 4], rate=0.02, router={"internal_speedup": s})["latency"]["packet"]["mean"]
           for s in (1.0, 1.5, 2.0)}
    assert lat[2.0] < lat[1.5] < lat[1.0]


# ---------------------------------------------------------------- invariants

SMALL = [
    ("mesh", {"topology": {"kind": "mesh", "dims": [4, 4]}}),
    ("torus", {"topology": {"kind": "torus", "dims": [4, 4]}}),
    ("clos", {"topology": {"kind": "clos", "radix": 8}}),
    ("fat_tree", {"topology": {"kind": "fat_tree", "k": 4, "n": 2}}),
    ("hyperx", {"topology": {"kind": "hyperx", "dims": [3, 3], "concentration": 2}}),
    ("dragonfly", {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "routing": {"algorithm": "ugal"}}),
]
ROUTERS = [
    {"internal_speedup": 2.0},
    {"internal_speedup": 1.5, "output_buffer": 3},
    {"kind": "oq"},
    {"kind": "oq", "output_buffer": 4},
    {"sw_allocator": "wavefront", "vc_allocator": "wavefront"},
    {"sw_allocator": "separable_input_first", "vc_allocator": "separable_input_first"},
    {"sw_allocator": "pim", "vc_allocator": "pim", "alloc_iters": 2},
    {"sw_allocator": "max_size", "vc_allocator": "max_size", "internal_speedup": 2.0},
]


@pytest.mark.parametrize("name,topo", SMALL, ids=[n for n, _ in SMALL])
@pytest.mark.parametrize("router", ROUTERS, ids=lambda r: ",".join(f"{k}={v}" for k, v in r.items()))
def test_invariants_hold_every_cycle(name, topo, router):
    # the core checks credits, buffers and conservation (output queues included) after every cycle, past
    # saturation with 4-flit packets; then every flit is delivered
    spec = resolve_spec({**topo, "router": router,
                         "traffic": {"injection_rate": 0.9, "packet_size": 4},
                         "sim": {"warmup_cycles": 200, "measure_cycles": 600, "drain_cycles": 20000, "check": True}})
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] in ("ok", "saturated"), r["status"]      # (a broken invariant raises)
    assert r["packets"]["delivered"] == r["packets"]["measured"]


def test_credits_and_output_queues_account_for_every_flit():
    spec = resolve_spec(make_spec(dims=[4, 4], rate=0.6, size=4, router={"internal_speedup": 2.0}))
    core, _ = make_core(spec)
    for _ in range(20):
        core.run(core.now + 37)
        assert core.check_credits(report=True) == []
        c = core.counters()
        assert c["injected_flits"] == c["delivered_flits"] + core.flits_in_network()
    assert core.output_queue_occupancy().sum() > 0      # the check looked at queued flits


def test_output_buffer_bounds_the_queue():
    spec = resolve_spec({"topology": {"kind": "clos", "levels": 1, "radix": 8},
                         "router": {"kind": "oq", "output_buffer": 2},
                         "traffic": {"injection_rate": 0.95, "packet_size": 1}})
    core, _ = make_core(spec)
    most = 0
    for _ in range(300):
        core.run(core.now + 7)
        most = max(most, int(core.output_queue_occupancy().max()))
    assert most == 2                                # (an output-queued router bounds each output VC's queue)
    # unbounded, the same traffic queues more
    spec["router"]["output_buffer"] = -1
    core, _ = make_core(spec)
    most = 0
    for _ in range(300):
        core.run(core.now + 7)
        most = max(most, int(core.output_queue_occupancy().max()))
    assert most > 2


@pytest.mark.parametrize("router", [{"internal_speedup": 2.0}, {"kind": "oq"}])
def test_same_result_on_any_thread_count(router):
    spec = make_spec(kind="torus", dims=[6, 6], rate=0.5, size=4, router=router)
    one = fabric.simulate(spec, progress=False, threads=1).to_dict()
    two = fabric.simulate(spec, progress=False, threads=2).to_dict()
    for r in (one, two):
        r.pop("timing")
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_default_router_is_unchanged_by_the_new_keys():
    # iq with speedup 1: no output queues, the result of the spec without the keys
    base = run(dims=[4, 4], rate=0.3)
    same = run(dims=[4, 4], rate=0.3, router={"kind": "iq", "internal_speedup": 1.0, "output_buffer": 5})
    base.pop("timing"), same.pop("timing"), base.pop("spec"), same.pop("spec")
    assert base == same


def test_output_buffer_zero_is_refused():
    with pytest.raises(SpecError, match=r"router.output_buffer: must be -1 \(unbounded\) or at least 1"):
        resolve_spec({"router": {"output_buffer": 0}}, "x.toml")


# ---------------------------------------------------------------- the output-queued switch against theory

def check_theory(points):
    for p in points:
        assert not p["saturated"], p
        assert p["fabric_delay"] == pytest.approx(p["theory_delay"], rel=0.03, abs=0.1), p


def test_output_queued_switch_matches_karol_subset():
    """Mean queueing delay ((N-1)/N) p / (2(1-p)) of Karol, Hluchyj and Morgan (1987): N = 8 at every load,
    N = 64 at 0.5 and 0.9 (benchmarks/oq_theory.py; the full set is slow)."""
    check_theory(oq_theory.compare(ns=(8,), jobs=1) + oq_theory.compare(ns=(64,), loads=(0.5, 0.9), jobs=1))


@pytest.mark.slow
def test_output_queued_switch_matches_karol():
    check_theory(oq_theory.compare(ns=(8, 64)))


@pytest.mark.parametrize("n", [8, 64])
def test_output_queued_switch_does_not_saturate_below_098(n):
    lat, accepted, saturated = oq_theory.run_point((n, 0.98, 10000, 1, "oq"))
    assert not saturated
    assert accepted == pytest.approx(0.98, abs=0.01)


def test_input_queued_switch_saturates_where_theory_says():
    # the head-of-line blocking the output-queued switch removes: Karol's input-queued limit, 0.586 for
    # large N (0.6 at N = 64 with their FIFO; 4 VCs per input relieve it a little)
    lat, accepted, saturated = oq_theory.run_point((64, 0.9, 5000, 1, "iq"))
    assert saturated
    assert 0.58 < accepted < 0.66


# ---------------------------------------------------------------- router classes (per level, per pod)

def clos_spec(classes, pattern="bit_complement", rate=0.02, **router):
    return {"topology": {"kind": "clos", "radix": 4}, "router": {**router, "classes": classes},
            "traffic": {"pattern": pattern, "injection_rate": rate, "packet_size": 1},
            "sim": {"warmup_cycles": 200, "measure_cycles": 4000}}


@pytest.mark.parametrize("leaf,spine,per_leaf,per_spine", [
    ({}, {}, 4, 4),
    ({"routing_delay": 3}, {}, 6, 4),                       # slower leaves only
    ({}, {"internal_speedup": 2.0}, 4, 2),                  # a faster spine only
    ({"routing_delay": 2}, {"kind": "oq", "st_delay": 3}, 5, 6),
])
def test_each_level_has_its_own_pipeline(leaf, spine, per_leaf, per_spine):
    # bit_complement on 8 endpoints: every packet crosses leaf, spine, leaf
    r = fabric.simulate(clos_spec({"leaf": leaf, "spine": spine}), progress=False).to_dict()
    assert r["hops"]["mean"] == 2.0
    assert r["latency"]["packet"]["p50"] == 2 + 2 * per_leaf + per_spine + 2 + 1


def test_router_classes_of_each_topology():
    from fabric.build import build_network

    names = {}
    for topo in ({"kind": "clos", "radix": 4}, {"kind": "fat_tree", "k": 2, "n": 3},
                 {"kind": "composite", "pods": 2, "spines": 2, "pod": {"kind": "mesh", "dims": [2, 2]}},
                 {"kind": "composite", "pods": 2, "spines": 2, "pod": {"kind": "clos", "radix": 4}},
                 {"kind": "mesh", "dims": [2, 2]}):
        net = build_network(resolve_spec({"topology": topo}))
        names[topo["kind"] + str(len(names))] = [net.router_classes[c] for c in net.router_class]
    assert names["clos0"] == ["leaf"] * 4 + ["spine"] * 2
    assert names["fat_tree1"] == ["spine"] * 4 + ["level1"] * 4 + ["leaf"] * 4
    assert names["composite2"] == ["pod"] * 8 + ["spine"] * 2
    assert names["composite3"] == (["pod.leaf"] * 4 + ["pod.spine"] * 2) * 2 + ["spine"] * 2
    assert names["mesh4"] == ["router"] * 4


def test_buffers_per_level_keep_credits_exact():
    # shallow leaf buffers: the spines' credits towards a leaf start at the leaf's depth, the leaves' at the
    # spine's; the credit count stays exact under load
    spec = resolve_spec(clos_spec({"leaf": {"vc_buffer": 2}, "spine": {"kind": "oq"}}, pattern="uniform", rate=0.7))
    spec["sim"]["check"] = True
    core, net = make_core(spec)
    links = net.port_kind == fabric.network.PORT_LINK
    spine_port = np.isin(net.port_router, np.flatnonzero(net.router_class == net.router_classes.index("spine")))
    credits = core.output_credits()
    assert set(credits[links & spine_port].ravel()) == {2} and set(credits[links & ~spine_port].ravel()) == {8}
    for _ in range(10):
        core.run(core.now + 53)
        assert core.check_credits(report=True) == []


@pytest.mark.parametrize("classes,message", [
    ({"core": {"vc_buffer": 4}}, r"router.classes.core: a clos has no router class 'core' \(its classes: leaf, "
                                 r"aggregation, spine\)"),
    ({"spine": {"kind": "oq", "internal_speedup": 2.0}}, r"router.classes.spine.internal_speedup: an output-queued"),
    ({"leaf": {"output_buffer": 0}}, r"router.classes.leaf.output_buffer: must be -1"),
])
def test_bad_router_classes_are_refused(classes, message):
    with pytest.raises(fabric.errors.FabricError, match=message):
        fabric.simulate(clos_spec(classes), progress=False)


def test_vcs_per_class_where_the_routing_has_no_vc_classes():
    # leaves with 2 VCs under spines with 8: the spines' output VCs 2..7 towards a leaf are never used, the
    # credits stay exact, and every packet arrives
    spec = resolve_spec(clos_spec({"leaf": {"vcs": 2}}, pattern="uniform", rate=0.8, vcs=8))
    spec["sim"]["check"] = True
    core, net = make_core(spec)
    for _ in range(10):
        core.run(core.now + 53)
        assert core.check_credits(report=True) == []
    occupancy = core.buffer_occupancy()
    leaf_ports = np.isin(net.port_router, np.flatnonzero(net.router_class == net.router_classes.index("leaf")))
    assert occupancy[leaf_ports][:, 2:].sum() == 0 and occupancy[leaf_ports].sum() > 0
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["packets"]["delivered"] == r["packets"]["measured"]


def test_vcs_per_class_refused_where_the_routing_splits_them():
    spec = {"topology": {"kind": "fat_tree", "k": 2, "n": 2}, "router": {"classes": {"leaf": {"vcs": 2}}},
            "routing": {"algorithm": "nca"}}
    fabric.simulate({**spec, "sim": {"warmup_cycles": 10, "measure_cycles": 10}}, progress=False)   # nca: fine
    torus = {"topology": {"kind": "torus", "dims": [4, 4]}, "router": {"vcs": 4, "classes": {"router": {"vcs": 2}}}}
    with pytest.raises(fabric.errors.FabricError, match=r"router.classes.router.vcs: dor splits the VCs into classes"):
        fabric.simulate(torus, progress=False)
