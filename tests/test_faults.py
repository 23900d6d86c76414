"""Faults ([faults]): failed links, switches and planes, degraded links; routing around them without
deadlock; what the faults cut off, dropped at the source and reported; bounds on the faulty network."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import fabric
from fabric.errors import FabricError
from fabric.spec import SpecError

from test_deadlock_freedom import dependency_graph, has_cycle

SHORT = {"warmup_cycles": 300, "measure_cycles": 1500, "drain_cycles": 3000}

# every kind, each with the routings that take faults: (topology, routing, VCs)
KINDS = [
    ({"kind": "mesh", "dims": [4, 3]}, "updown", 1),
    ({"kind": "mesh", "dims": [3, 3]}, "ecmp", 8),
    ({"kind": "torus", "dims": [4, 3]}, "updown", 2),
    ({"kind": "hyperx", "dims": [3, 3]}, "ecmp", 6),
    ({"kind": "fat_tree", "k": 2, "n": 3}, "nca", 8),
    ({"kind": "clos", "radix": 6, "endpoints": 18}, "nca", 6),
    ({"kind": "clos", "radix": 4, "levels": 3}, "updown", 1),
    ({"kind": "dragonfly", "p": 1, "a": 2, "h": 2}, "updown", 2),
    ({"kind": "dragonfly", "p": 1, "a": 3, "h": 1}, "ecmp", 8),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(KINDS))), st.floats(0.05, 0.35), st.integers(0, 10_000))
def test_routing_around_random_faults_has_no_dependency_cycle(which, fraction, seed):
    topology, algorithm, vcs = KINDS[which]
    spec = {"topology": topology, "routing": {"algorithm": algorithm}, "router": {"vcs": vcs},
            "faults": {"link_fraction": fraction, "seed": seed}}
    try:
        edges = dependency_graph(spec)
    except FabricError:                 # every endpoint cut off, or more hops than VC classes
        assume(False)
        return
    assert not has_cycle(edges)
    # and a run of it past saturation does not deadlock (the core's check: nothing moved for 2,000 cycles)
    r = fabric.simulate({**spec, "traffic": {"injection_rate": 0.9, "packet_size": 4},
                         "sim": {"warmup_cycles": 200, "measure_cycles": 1000, "drain_cycles": 0,
                                 "deadlock_cycles": 2000}}, progress=False).to_dict()
    assert r["status"] != "deadlock"


@pytest.mark.parametrize("topology, algorithm, vcs", KINDS[:6])
def test_runs_on_faulty_networks_saturate_where_the_bound_says(topology, algorithm, vcs):
    """The bound describe computes on the faulty network is the run's own, and the network saturates at or
    below it: a quarter of it runs, 1.15 of it saturates; flits are conserved and nothing deadlocks. (The
    bound is the channels' limit; routers with a VC or two per class saturate well before it. Past
    saturation the accepted rate, an average over all sources, may pass the bound when the faults make some
    flows slower than others: only the sources behind the busiest channel are held back.)"""
    spec = {"topology": topology, "routing": {"algorithm": algorithm}, "router": {"vcs": vcs},
            "faults": {"link_fraction": 0.15, "seed": 3}, "sim": {**SHORT, "measure_cycles": 3000}}
    bound = fabric.describe(spec)["uniform"]["saturation_bound"]
    below = fabric.simulate({**spec, "traffic": {"injection_rate": 0.25 * bound}}, progress=False).to_dict()
    assert below["status"] == "ok" and below["warnings"] == []
    assert below["bounds"]["saturation_bound"] == pytest.approx(bound, rel=1e-4)
    f = below["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]
    if bound < 0.85:
        above = fabric.simulate({**spec, "traffic": {"injection_rate": 1.15 * bound}}, progress=False).to_dict()
        assert above["saturated"] and above["warnings"] == []


def test_a_failed_leaf_cuts_off_its_endpoints_and_their_traffic_is_dropped_at_the_source():
    """Leaf 0 of a radix-8 Clos holds endpoints 0-3: 4 x 31 + 28 x 4 ordered pairs are cut, every packet
    for or from them is dropped where it is made, and the rest flow as before."""
    spec = {"topology": {"kind": "clos", "radix": 8}, "faults": {"switches": [0]},
            "traffic": {"injection_rate": 0.3}, "sim": SHORT}
    r = fabric.simulate(spec, progress=False).to_dict()
    f = r["faults"]
    assert f["unreachable_pairs"] == 4 * 31 + 28 * 4 and f["endpoints_cut_off"] == 4
    assert f["failed_switches"] == [0] and f["failed_links"] == 4
    assert f["dropped"]["packets"] > 0 and r["status"] == "ok"
    # uniform over 32 endpoints: the 28 live ones accept 28/32 of what they are sent
    assert r["throughput"]["accepted"] == pytest.approx(0.3 * (28 / 32) ** 2, rel=0.05)


def test_a_failed_plane_leaves_the_other_one_carrying_everything():
    spec = {"topology": {"kind": "clos", "radix": 8, "planes": 2}, "faults": {"planes": [1]},
            "traffic": {"injection_rate": 0.4}, "sim": SHORT}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["faults"]["failed_switch_count"] == 12 and r["faults"]["unreachable_pairs"] == 0
    assert r["throughput"]["accepted"] == pytest.approx(0.4, rel=0.03)
    assert r["faults"]["dropped"]["packets"] == 0


def test_a_closed_loop_message_to_a_cut_off_endpoint_is_dropped_not_waited_for():
    spec = {"topology": {"kind": "clos", "radix": 8}, "faults": {"switches": [1]},
            "traffic": {"pattern": "collective", "collective": "all_to_all", "size": 320, "ranks": "0:10"}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok" and r["workload"]["completion_cycles"] > 0
    # ranks 4..7 sit on leaf 1: their 9 messages each way, 32 flits each, are dropped
    assert r["faults"]["dropped"]["flits"] == (4 * 9 + 6 * 4) * 32


def test_a_degraded_link_is_the_busiest_and_moves_saturation_to_its_bound():
    """A 4x4 mesh under uniform traffic: its saturation bound is 1.0; the link from router 5 to 6 (a middle
    link, among the busiest under dimension order, load 1 per unit of offered load) at half bandwidth halves
    it. Below 0.5 the run keeps up; above, it saturates (the whole mesh does not), and the degraded link is
    the busiest in the per-link statistics."""
    degraded = {"degraded": [{"link": [5, 6], "cycles_per_flit": 2}]}
    base = {"topology": {"kind": "mesh", "dims": [4, 4]}, "sim": {**SHORT, "measure_cycles": 3000}}
    assert fabric.describe(base)["uniform"]["saturation_bound"] == 1.0
    assert fabric.describe({**base, "faults": degraded})["uniform"]["saturation_bound"] == 0.5
    below = fabric.simulate({**base, "faults": degraded, "traffic": {"injection_rate": 0.45}}, progress=False).to_dict()
    assert not below["saturated"] and below["bounds"]["saturation_bound"] == 0.5
    res = fabric.simulate({**base, "faults": degraded, "traffic": {"injection_rate": 0.55}}, progress=False,
                          stats="links")
    assert res.to_dict()["saturated"]
    whole = fabric.simulate({**base, "traffic": {"injection_rate": 0.55}}, progress=False).to_dict()
    assert not whole["saturated"]
    links = res.tables["links"]
    busiest = int(np.argmax(np.asarray(links["utilisation"])))
    assert (links["router"][busiest], links["to_router"][busiest]) == (5, 6)
    assert res.to_dict()["faults"]["degraded"] == [{"link": [5, 6], "cycles_per_flit": 2, "latency": 1}]


def test_describe_shows_the_faulty_network():
    d = fabric.describe({"topology": {"kind": "clos", "radix": 8}, "faults": {"links": [[0, 8], [0, 9]]}})
    assert d["faults"]["failed_links"] == 2 and d["faults"]["unreachable_pairs"] == 0
    assert d["links"]["router_to_router"] == 2 * (32 - 2)
    whole = fabric.describe({"topology": {"kind": "clos", "radix": 8}})
    assert d["uniform"]["saturation_bound"] < whole["uniform"]["saturation_bound"]


@pytest.mark.parametrize("faults, message", [
    ({"links": [[0, 5]]}, "faults.links[0]: routers 0 and 5 have no link between them"),
    ({"links": [[0, 99]]}, "faults.links[0]: router 99 does not exist"),
    ({"switches": [40]}, "faults.switches: router 40 does not exist"),
    ({"planes": [1]}, "faults.planes: this clos has one plane"),
    ({"switches": list(range(12))}, "faults: no two endpoints are joined any more"),
    ({"link_fraction": 0.5, "link_class": "global"}, "faults.link_class: a clos has link classes link"),
    ({"degraded": [{"link": [0, 8], "cycles_per_flit": 2}], "links": [[0, 8]]},
     "faults.degraded[0].link: routers 0 and 8's link has failed"),
])
def test_bad_faults_are_refused(faults, message):
    with pytest.raises(FabricError) as error:
        fabric.simulate({"topology": {"kind": "clos", "radix": 8}, "faults": faults}, progress=False)
    assert message in str(error.value)


def test_routings_that_cannot_go_around_faults_say_which_can():
    with pytest.raises(FabricError, match="dor cannot route around failed links or switches; updown"):
        fabric.simulate({"topology": {"kind": "mesh", "dims": [4, 4]}, "faults": {"links": [[0, 1]]}},
                        progress=False)


def test_fault_keys_are_checked():
    with pytest.raises(SpecError) as error:
        fabric.simulate({"faults": {"link_fraction": 1.5, "links": [[1]], "degraded": [{"link": [1, 2]}]}})
    text = str(error.value)
    assert "faults.link_fraction: must be <= 1, got 1.5" in text
    assert "faults.links: must be a list of [router, router] pairs" in text
    assert "faults.degraded[0]: degrades nothing" in text


def test_the_same_seed_fails_the_same_links():
    spec = {"topology": {"kind": "clos", "radix": 8}, "faults": {"link_fraction": 0.2, "seed": 7},
            "traffic": {"injection_rate": 0.2}, "sim": SHORT}
    a = fabric.simulate(spec, progress=False).to_dict()
    b = fabric.simulate(spec, progress=False).to_dict()
    a.pop("timing"), b.pop("timing")
    assert a == b and a["faults"]["failed_links"] == round(0.2 * 32)


def test_a_sweep_over_fault_fractions_and_seeds_is_plotted_with_its_spread(tmp_path):
    pytest.importorskip("matplotlib")
    from typer.testing import CliRunner

    from fabric.cli import app
    from fabric.plot import read_records, spread_of

    spec = tmp_path / "clos.toml"
    spec.write_text('[topology]\nkind = "clos"\nradix = 8\n[router]\nvcs = 8\n[traffic]\ninjection_rate = 0.8\n'
                    '[sim]\nwarmup_cycles = 200\nmeasure_cycles = 800\ndrain_cycles = 0\n')
    data, png = tmp_path / "faults.ndjson", tmp_path / "faults.png"
    res = CliRunner().invoke(app, ["sweep", str(spec), "--vary", "faults.link_fraction=0:0.2:0.1",
                                   "--vary", "faults.seed=1,2,3", "--output", str(data), "--no-progress"])
    assert res.exit_code == 0, res.output
    records = read_records(data)
    assert len(records) == 9 and all(r["ok"] for r in records)
    assert {r["faults"]["failed_links"] for r in records if r["point"]["faults.link_fraction"] == 0.1} == {3}
    points = sorted((r["point"]["faults.link_fraction"], r["throughput"]["accepted"], r["saturated"])
                    for r in records)
    xs, mean, low, high = spread_of(points)
    assert xs == [0.0, 0.1, 0.2] and all(lo <= m <= hi for m, lo, hi in zip(mean, low, high))
    assert high[2] > low[2]                     # the seeds fail different links, with different costs
    res = CliRunner().invoke(app, ["plot", str(data), "--x", "point.faults.link_fraction", "--y",
                                   "throughput.accepted", "--output", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ a fault during the run (at_cycle)

UPDOWN_KINDS = [k for k in KINDS if k[1] == "updown"] + [({"kind": "clos", "radix": 6, "endpoints": 18}, "updown", 1),
                                                       ({"kind": "hyperx", "dims": [3, 3]}, "updown", 1)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(UPDOWN_KINDS))), st.floats(0.05, 0.3), st.integers(0, 10_000))
def test_packets_before_and_after_a_fault_share_an_acyclic_dependency_graph(which, fraction, seed):
    """Packets injected before the fault keep the whole network's routes, later ones take the tables of what
    is left: both sets are up*/down* in one order, so the union of their channel dependencies has no cycle."""
    topology, _, vcs = UPDOWN_KINDS[which]
    faults = {"link_fraction": fraction, "seed": seed}
    spec = {"topology": topology, "routing": {"algorithm": "updown"}, "router": {"vcs": vcs}}
    try:
        before = dependency_graph({**spec, "faults": {**faults, "at_cycle": 100}})
        after = dependency_graph({**spec, "faults": faults})
    except FabricError:
        assume(False)
        return
    union = {k: set(before.get(k, ())) | set(after.get(k, ())) for k in set(before) | set(after)}
    assert not has_cycle(union)
    r = fabric.simulate({**spec, "faults": {**faults, "at_cycle": 600},
                         "traffic": {"injection_rate": 0.6, "packet_size": 4},
                         "sim": {"warmup_cycles": 300, "measure_cycles": 1000, "drain_cycles": 0,
                                 "deadlock_cycles": 2000, "check": True}}, progress=False).to_dict()
    assert r["status"] != "deadlock"


def test_links_failing_during_a_run_drain_and_later_packets_go_around():
    """A 4x4 mesh under up*/down*: two middle links fail at cycle 2,500. The packets on their way through them
    finish crossing (drained flits), the later ones avoid them, nothing is dropped (the mesh stays joined), and
    every invariant holds every cycle."""
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]}, "routing": {"algorithm": "updown"}, "router": {"vcs": 2},
            "traffic": {"injection_rate": 0.2, "packet_size": 4},
            "sim": {"warmup_cycles": 1000, "measure_cycles": 4000, "drain_cycles": 4000, "check": True},
            "faults": {"links": [[5, 6], [9, 10]], "at_cycle": 2500}}
    r = fabric.simulate(spec, progress=False).to_dict()
    f = r["faults"]
    assert r["status"] == "ok" and f["at_cycle"] == 2500 and f["failed_links"] == 2
    assert f["during_run"]["in_flight_flits"] > 0 and 0 < f["during_run"]["drained_flits"] < 100
    assert f["dropped"] == {"packets": 0, "flits": 0}
    assert r["bounds"]["saturation_bound"] is None          # (the network changes: describe has the bound after)


def test_a_switch_failing_during_a_run_cuts_off_its_endpoint_from_then_on():
    base = {"topology": {"kind": "mesh", "dims": [4, 4]}, "routing": {"algorithm": "updown"},
            "traffic": {"injection_rate": 0.15, "packet_size": 4},
            "sim": {"warmup_cycles": 1000, "measure_cycles": 4000, "drain_cycles": 4000, "check": True}}
    late = fabric.simulate({**base, "faults": {"switches": [5], "at_cycle": 2500}}, progress=False).to_dict()
    early = fabric.simulate({**base, "faults": {"switches": [5]}}, progress=False).to_dict()
    assert late["status"] == "ok" and late["faults"]["unreachable_pairs"] == 30
    # dropped only for the part of the run after the fault: fewer than with the switch dead from the start
    assert 0 < late["faults"]["dropped"]["packets"] < early["faults"]["dropped"]["packets"]
    assert late["throughput"]["accepted"] > early["throughput"]["accepted"]


def test_a_collective_survives_a_switch_failing_during_it():
    spec = {"topology": {"kind": "clos", "radix": 8}, "routing": {"algorithm": "updown"},
            "traffic": {"pattern": "collective", "collective": "all_reduce", "size": 2048, "packet_size": 8},
            "faults": {"switches": [10], "at_cycle": 1000}}             # a spine
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok" and r["faults"]["dropped"]["packets"] == 0
    assert r["faults"]["during_run"]["in_flight_flits"] > 0


@pytest.mark.parametrize("spec, message", [
    ({"faults": {"links": [[0, 1]], "at_cycle": 10}, "routing": {"algorithm": "ecmp"}, "router": {"vcs": 8}},
     "faults.at_cycle (a fault during the run) the routing must be updown"),
    ({"faults": {"degraded": [{"link": [0, 1], "cycles_per_flit": 2}], "links": [[4, 5]], "at_cycle": 10},
      "routing": {"algorithm": "updown"}}, "faults.degraded: a degraded link works so from the start"),
    ({"topology": {"kind": "mesh", "dims": [4, 1]}, "faults": {"links": [[1, 2]], "at_cycle": 10},
      "routing": {"algorithm": "updown"}}, "faults.at_cycle: these faults split the network"),
])
def test_faults_during_a_run_that_cannot_be_are_refused(spec, message):
    with pytest.raises(FabricError) as error:
        fabric.simulate({"topology": {"kind": "mesh", "dims": [4, 4]}, **spec}, progress=False)
    assert message in str(error.value)
