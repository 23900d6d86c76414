"""Traffic patterns (BookSim's definitions where it has them), injection processes and packet-size mixes."""
import numpy as np
import pytest

import fabric
from fabric.build import make_core
from fabric.errors import FabricError, SpecError
from fabric.registry import traffic_patterns
from fabric.spec import resolve_spec


def dest_table(pattern, dims=(8, 8), kind="mesh", **keys):
    spec = resolve_spec({"topology": {"kind": kind, "dims": list(dims)}, "traffic": {"pattern": pattern, **keys}})
    net = make_core(spec)[1]
    return np.asarray(traffic_patterns.get(pattern).func(net, spec["traffic"])["dest_table"])


def test_bit_permutations_as_booksim_defines_them():
    s = np.arange(64)
    assert dest_table("bit_complement").tolist() == (63 - s).tolist()
    # transpose: swap the 3-bit halves, (x, y) -> (y, x)
    assert dest_table("transpose").tolist() == [(v % 8) * 8 + v // 8 for v in s]
    assert dest_table("bit_reverse").tolist() == [int(format(v, "06b")[::-1], 2) for v in s]
    assert dest_table("shuffle").tolist() == [((v << 1) & 63) | (v >> 5) for v in s]


def test_digit_patterns_move_every_coordinate():
    s = np.arange(64)
    x, y = s % 8, s // 8
    # BookSim: each base-k digit d -> (d + (k+1)/2 - 1) mod k (tornado), (d + 1) mod k (neighbor)
    assert dest_table("tornado").tolist() == ((x + 3) % 8 + 8 * ((y + 3) % 8)).tolist()
    assert dest_table("neighbor").tolist() == ((x + 1) % 8 + 8 * ((y + 1) % 8)).tolist()
    # with no dimensions (a fat tree): one ring of the endpoint ids
    spec = resolve_spec({"topology": {"kind": "fat_tree", "k": 2, "n": 3}, "traffic": {"pattern": "tornado"}})
    net = make_core(spec)[1]
    assert traffic_patterns.get("tornado").func(net, spec["traffic"])["dest_table"].tolist() == \
        [(v + 3) % 8 for v in range(8)]


def test_random_permutation_is_a_seeded_permutation():
    a, b = dest_table("random_permutation", perm_seed=3), dest_table("random_permutation", perm_seed=3)
    assert sorted(a.tolist()) == list(range(64)) and a.tolist() == b.tolist()
    assert a.tolist() != dest_table("random_permutation", perm_seed=4).tolist()


@pytest.mark.parametrize("pattern", ["bit_complement", "transpose", "bit_reverse", "shuffle"])
def test_bit_patterns_need_a_power_of_two(pattern):
    with pytest.raises(FabricError, match=f"traffic.pattern: {pattern} works on a power-of-two number of endpoints .* this network has 25"):
        fabric.simulate({"topology": {"kind": "mesh", "dims": [5, 5]}, "traffic": {"pattern": pattern}}, progress=False)
    with pytest.raises(FabricError, match="even power of two endpoints"):
        dest_table("transpose", dims=(8, 4))
    dest_table(pattern, dims=(4, 4))           # 16 = 2^4 is fine for every one


def channel_load_bound(spec):
    """1 / the most packets any channel carries when every source sends one (routes walked in the core)."""
    from fabric.bounds import Demand, channel_loads

    spec = resolve_spec(spec)
    core, net = make_core(spec)
    pattern = traffic_patterns.get(spec["traffic"]["pattern"]).func(net, spec["traffic"])
    return 1 / channel_loads(core, net, Demand.of(pattern, net)).max()


@pytest.mark.parametrize("pattern, bound", [("transpose", 1 / 7), ("bit_complement", 1 / 4), ("tornado", 1 / 3)])
def test_permutations_saturate_at_or_below_their_bound_on_the_8x8_mesh(pattern, bound):
    def run(load):
        spec = {"topology": {"kind": "mesh", "dims": [8, 8]}, "traffic": {"pattern": pattern, "injection_rate": load},
                "sim": {"warmup_cycles": 2000, "measure_cycles": 6000, "drain_cycles": 20000}}
        return fabric.simulate(spec, progress=False).to_dict()

    assert channel_load_bound({"topology": {"kind": "mesh", "dims": [8, 8]},
                               "traffic": {"pattern": pattern}}) == pytest.approx(bound)
    zero_load = run(0.01)["latency"]["packet"]["mean"]
    below, above = run(0.7 * bound), run(1.1 * bound)
    assert below["status"] == "ok"
    assert below["throughput"]["accepted"] == pytest.approx(0.7 * bound, rel=0.02)
    assert below["latency"]["packet"]["mean"] < 1.6 * zero_load
    # past the bound the flows through the busiest channel queue up without limit
    assert above["status"] == "saturated" or above["latency"]["packet"]["mean"] > 3 * zero_load


def test_hotspot_share_and_weights():
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"pattern": "hotspot", "hotspots": [5, 10],
                                                                      "weights": [3, 1], "share": 0.5},
            "sim": {"warmup_cycles": 10, "measure_cycles": 10}}
    resolved = resolve_spec(spec)
    net = make_core(resolved)[1]
    t = traffic_patterns.get("hotspot").func(net, resolved["traffic"])
    # the alias table's distribution: 0.5/16 everywhere, plus 0.5 * 3/4 on 5 and 0.5 * 1/4 on 10
    m = len(t["alias_prob"])
    p = np.zeros(16)
    for i in range(m):
        p[t["alias_dest"][i]] += t["alias_prob"][i] / m
        p[t["alias_dest"][t["alias_idx"][i]]] += (1 - t["alias_prob"][i]) / m
    expected = np.full(16, 0.5 / 16)
    expected[5] += 0.375
    expected[10] += 0.125
    assert p == pytest.approx(expected)
    with pytest.raises(FabricError, match="traffic.hotspots: endpoint 99 does not exist"):
        fabric.simulate({**spec, "traffic": {"pattern": "hotspot", "hotspots": [99]}}, progress=False)


def test_matrix_file_dense_and_triples(tmp_path):
    dense = tmp_path / "m.csv"
    dense.write_text("\n".join(",".join("1" if d == (s + 1) % 4 else "0" for d in range(4)) for s in range(4)))
    triples = tmp_path / "t.csv"
    triples.write_text("src,dst,weight\n0,1,1\n1,2,1\n2,3,1\n3,0,1\n")
    results = []
    for path in (dense, triples):
        spec = {"topology": {"kind": "mesh", "dims": [4]}, "traffic": {"pattern": "matrix", "file": str(path)},
                "sim": {"warmup_cycles": 100, "measure_cycles": 2000, "drain_cycles": 1000}}
        r = fabric.simulate(spec, progress=False).to_dict()
        r.pop("timing")
        r["spec"]["traffic"].pop("file")
        results.append(r)
    assert results[0] == results[1]
    assert results[0]["hops"]["mean"] == pytest.approx((1 + 1 + 1 + 3) / 4, rel=0.05)   # 3 -> 0 crosses the mesh
    bad = tmp_path / "bad.csv"
    bad.write_text("0,1,1\n1,x,1\n")
    with pytest.raises(FabricError, match="traffic.file: bad.csv line 2: not a number"):
        fabric.simulate({**spec, "traffic": {"pattern": "matrix", "file": str(bad)}}, progress=False)


def test_matrix_row_rates(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("0,1,4\n1,0,1\n")                # endpoint 0 sends 4 times what 1 sends; 2 and 3 nothing
    spec = {"topology": {"kind": "mesh", "dims": [4]},
            "traffic": {"pattern": "matrix", "file": str(path), "rates": "row", "injection_rate": 0.4},
            "sim": {"warmup_cycles": 100, "measure_cycles": 20000, "drain_cycles": 1000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    # per endpoint on average: (0.4 + 0.1) / 4
    assert r["throughput"]["accepted"] == pytest.approx(0.125, rel=0.05)


def test_all_to_all_visits_every_destination_in_turn():
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"pattern": "all_to_all", "injection_rate": 0.05},
            "sim": {"warmup_cycles": 0, "measure_cycles": 30000, "drain_cycles": 3000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    # every source cycles through the 15 others: the mean distance to the others of a 4x4 mesh
    others = [abs(a % 4 - b % 4) + abs(a // 4 - b // 4) for a in range(16) for b in range(16) if a != b]
    assert r["hops"]["mean"] == pytest.approx(np.mean(others), rel=0.01)


@pytest.mark.parametrize("process", ["bernoulli", "periodic", "on_off"])
def test_processes_deliver_the_offered_load(process):
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]},
            "traffic": {"injection_rate": 0.2, "process": process, "burst_length": 20, "peak_rate": 0.8},
            "sim": {"warmup_cycles": 1000, "measure_cycles": 40000, "drain_cycles": 5000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["throughput"]["injected"] == pytest.approx(0.2, rel=0.03)


def test_bursts_raise_latency_and_periodic_lowers_it():
    def latency(process):
        spec = {"topology": {"kind": "mesh", "dims": [4, 4]},
                "traffic": {"injection_rate": 0.3, "process": process, "burst_length": 50},
                "sim": {"warmup_cycles": 1000, "measure_cycles": 20000, "drain_cycles": 5000}}
        return fabric.simulate(spec, progress=False).to_dict()["latency"]["packet"]["mean"]

    periodic, bernoulli, bursty = latency("periodic"), latency("bernoulli"), latency("on_off")
    assert periodic < bernoulli < bursty
    with pytest.raises(SpecError, match="traffic.injection_rate: on_off bursts at traffic.peak_rate = 0.2"):
        resolve_spec({"traffic": {"process": "on_off", "peak_rate": 0.2, "injection_rate": 0.3}})


def test_packet_size_mix():
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]},
            "traffic": {"injection_rate": 0.2, "packet_size": {"1": 0.75, "8": 0.25}},
            "sim": {"warmup_cycles": 1000, "measure_cycles": 30000, "drain_cycles": 5000}}
    resolved = resolve_spec(spec)
    assert resolved["traffic"]["packet_size"] == [[1, 0.75], [8, 0.25]]
    assert resolve_spec({"traffic": {"packet_size": [[8, 1], [1, 3]]}})["traffic"]["packet_size"] == [[1, 3.0], [8, 1.0]]
    r = fabric.simulate(spec, progress=False).to_dict()
    # flits per packet 2.75 on average: packets at 0.2 / 2.75 per cycle, flits at 0.2
    assert r["throughput"]["injected"] == pytest.approx(0.2, rel=0.03)
    assert r["packets"]["measured"] == pytest.approx(16 * 30000 * 0.2 / 2.75, rel=0.03)
    with pytest.raises(SpecError, match="traffic.packet_size: sizes must be integers from 1 to 65536"):
        resolve_spec({"traffic": {"packet_size": {"0": 1.0}}})


def classes_spec(extra, rate=0.1):
    return {"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"injection_rate": rate, "classes": extra},
            "sim": {"warmup_cycles": 500, "measure_cycles": 4000, "drain_cycles": 3000}}


def test_a_silent_class_leaves_the_main_traffic_unchanged():
    alone = fabric.simulate(classes_spec({}), progress=False).to_dict()
    both = fabric.simulate(classes_spec({"idle": {"pattern": "transpose", "injection_rate": 0.0}}),
                           progress=False).to_dict()
    assert both["classes"]["main"]["latency"]["packet"] == alone["latency"]["packet"]
    assert both["classes"]["main"]["latency"]["network"]["mean"] == alone["latency"]["network"]["mean"]
    assert both["classes"]["main"]["packets"] == alone["packets"]
    assert both["classes"]["idle"]["packets"] == {"measured": 0, "delivered": 0}


def test_classes_add_up_and_keep_their_own_statistics():
    r = fabric.simulate(classes_spec({"hot": {"pattern": "hotspot", "hotspots": [5], "injection_rate": 0.02,
                                              "packet_size": 4},
                                      "bursts": {"process": "on_off", "injection_rate": 0.05, "burst_length": 30}}),
                        progress=False).to_dict()
    assert r["status"] == "ok" and set(r["classes"]) == {"main", "hot", "bursts"}
    total = sum(c["packets"]["delivered"] for c in r["classes"].values())
    assert total == r["packets"]["delivered"]
    assert r["throughput"]["offered"] == pytest.approx(0.17)
    assert sum(c["throughput"]["accepted"] for c in r["classes"].values()) == pytest.approx(
        r["throughput"]["accepted"], abs=1e-5)
    hot = r["classes"]["hot"]
    # endpoint 5 of a 4x4 mesh is (1, 1): the mean distance to it from all 16 endpoints is 2.0
    assert hot["hops"]["mean"] == pytest.approx(2.0, rel=0.08)
    assert hot["throughput"]["accepted"] == pytest.approx(0.02, rel=0.1)


def test_class_keys_are_checked_and_named():
    with pytest.raises(SpecError) as error:
        resolve_spec({"traffic": {"classes": {"hot": {"injection_rate": 2, "pattren": "x"},
                                              "loop": {"pattern": "collective"}}}})
    assert error.value.problems == [
        "<spec>: traffic.classes.hot.injection_rate: must be <= 1, got 2",
        "<spec>: traffic.classes.hot.pattren: unknown key (did you mean 'traffic.classes.hot.pattern'?)",
        "<spec>: traffic.classes.loop.pattern: collective runs alone, not as a class",
    ]


def bound(pattern_keys, topology=None, rate=0.05, routing=None):
    spec = {"topology": topology or {"kind": "mesh", "dims": [8, 8]}, "traffic": {"injection_rate": rate, **pattern_keys},
            "routing": {"algorithm": routing} if routing else {},
            "sim": {"warmup_cycles": 500, "measure_cycles": 3000, "drain_cycles": 5000}}
    return fabric.simulate(spec, progress=False).to_dict()


def test_bounds_of_the_patterns_with_known_pairs():
    # every packet to endpoint 0: its ejection channel carries all 64 sources
    assert bound({"pattern": "hotspot", "hotspots": [0]})["bounds"]["saturation_bound"] == pytest.approx(1 / 64)
    # a fifth of the traffic to endpoints 5 and 9, the rest uniform: each hotspot takes 64 (0.1 + 0.8/64)
    r = bound({"pattern": "hotspot", "hotspots": [5, 9], "share": 0.2})
    assert r["bounds"]["saturation_bound"] == pytest.approx(1 / (64 * (0.1 + 0.8 / 64)), rel=1e-5)
    # all_to_all on a torus with ties split: uniform without self traffic, 63/64 of the uniform bound 1
    torus = {"kind": "torus", "dims": [8, 8]}
    assert bound({"pattern": "all_to_all"}, torus)["bounds"]["saturation_bound"] == pytest.approx(63 / 64, rel=1e-5)
    for pattern in ("transpose", "tornado", "random_permutation", "all_to_all"):
        r = bound({"pattern": pattern}, torus)
        assert r["warnings"] == [] and r["bounds"]["saturation_bound_from"].startswith("exact")


def test_a_hotspot_saturates_at_its_bound():
    theta = 1 / 64
    below = bound({"pattern": "hotspot", "hotspots": [0]}, rate=0.8 * theta)
    above = bound({"pattern": "hotspot", "hotspots": [0]}, rate=1.3 * theta)
    assert below["status"] == "ok" and below["warnings"] == []
    assert above["status"] == "saturated"


def test_nca_splits_the_load_over_the_up_ports():
    # a 3:1 oversubscribed leaf-spine: each leaf's 6 endpoints send 42 of every 47 flits off the leaf,
    # over 2 uplinks chosen at random: 6 * 42/47 / 2 per uplink
    clos = {"kind": "clos", "radix": 8, "oversubscription": 3}
    r = bound({"pattern": "all_to_all"}, clos)
    assert r["bounds"]["saturation_bound"] == pytest.approx(1 / (6 * 42 / 47 / 2), rel=1e-5)
    # on the fat tree, bit_complement climbs to the top through random up ports: no channel above 1
    fat = bound({"pattern": "bit_complement"}, {"kind": "fat_tree", "k": 4, "n": 3})
    assert fat["bounds"]["saturation_bound"] == 1.0 and fat["warnings"] == []


OBLIVIOUS_NETWORKS = [
    ({"kind": "mesh", "dims": [4, 6]}, "dor"),
    ({"kind": "torus", "dims": [5, 4]}, "dor"),
    ({"kind": "hyperx", "dims": [3, 4]}, "dor"),
    ({"kind": "fat_tree", "k": 2, "n": 3}, "nca"),
    ({"kind": "clos", "radix": 8, "oversubscription": 3}, "nca"),
    ({"kind": "clos", "radix": 6, "planes": 2}, "nca"),
    ({"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "min"),
    ({"kind": "file", "file": "petersen.toml"}, "ecmp"),
    ({"kind": "file", "file": "petersen.toml"}, "updown"),
]


def _network(topology, routing, pattern):
    from pathlib import Path

    if topology["kind"] == "file":
        topology = {"kind": "graph", "file": str(Path(__file__).parents[1] / "topologies" / "graphs" / topology["file"])}
    spec = resolve_spec({"topology": topology, "routing": {"algorithm": routing}, "traffic": pattern})
    core, net = make_core(spec)
    return spec, core, net, traffic_patterns.get(spec["traffic"]["pattern"]).func(net, spec["traffic"])


@pytest.mark.parametrize("topology, routing", OBLIVIOUS_NETWORKS, ids=lambda v: str(v))
def test_the_route_walk_agrees_with_describe_under_uniform_traffic(topology, routing):
    # two independent computations of the busiest channel: describe's closed forms or table analysis,
    # and every router pair's flow walked through the core's route computation
    from fabric.bounds import Demand, channel_loads
    from fabric.description import describe

    spec, core, net, _ = _network(topology, routing, {"pattern": "uniform"})
    demand = Demand.of({"uniform": True}, net)
    walked = 1 / max(channel_loads(core, net, demand).max(), demand.endpoint_load(net))
    assert min(1.0, walked) == pytest.approx(describe(spec)["uniform"]["saturation_bound"], rel=1e-5)


@pytest.mark.parametrize("topology, routing", OBLIVIOUS_NETWORKS, ids=lambda v: str(v))
@pytest.mark.parametrize("pattern", [{"pattern": "all_to_all"}, {"pattern": "random_permutation"},
                                     {"pattern": "hotspot", "hotspots": [1, 2], "share": 0.4}], ids=str)
def test_the_bound_for_any_routing_is_never_below_the_exact_one(topology, routing, pattern):
    from fabric.bounds import Demand, channel_loads, upper_bound_load

    spec, core, net, traffic = _network(topology, routing, pattern)
    demand = Demand.of(traffic, net)
    exact = max(channel_loads(core, net, demand).max(), demand.endpoint_load(net))
    assert upper_bound_load(spec, net, demand) <= exact * (1 + 1e-9)


def test_the_bound_for_any_routing_has_its_closed_forms():
    from fabric.bounds import Demand, upper_bound_load

    # all_to_all on the 8x8 mesh: 64 x 64 pairs (self excluded) at 5.25 * 64/63 mean hops, 224 links
    spec, _, net, traffic = _network({"kind": "mesh", "dims": [8, 8]}, "dor", {"pattern": "all_to_all"})
    assert upper_bound_load(spec, net, Demand.of(traffic, net)) == pytest.approx(64 * 64 * 5.25 / 63 / 224)
    # adaptive routing gets that kind of bound in a run: anca on a 3:1 Clos is held by the leaf uplinks,
    # and min_adaptive on a HyperX by the hotspot's ejection channel
    r = bound({"pattern": "all_to_all"}, {"kind": "clos", "radix": 8, "oversubscription": 3}, routing="anca")
    assert r["bounds"]["saturation_bound"] == pytest.approx(1 / (6 * 42 / 47 / 2), rel=1e-5)
    assert r["bounds"]["saturation_bound_from"].startswith("upper bound")
    r = bound({"pattern": "hotspot", "hotspots": [0]}, {"kind": "hyperx", "dims": [4, 4]}, routing="min_adaptive")
    assert r["bounds"]["saturation_bound"] == pytest.approx(1 / 16) and r["warnings"] == []


def test_the_bound_of_a_dense_pattern_on_1024_endpoints():
    # all_to_all on the 32x32 mesh: a million pairs, walked per destination router in the core
    from fabric.bounds import saturation_bound

    spec, core, net, _ = _network({"kind": "mesh", "dims": [32, 32]}, "dor", {"pattern": "all_to_all"})
    theta, how = saturation_bound(spec, core, net)
    # the uniform bound of a k x k mesh, 4/k, with each pair's share 1/(N-1) instead of 1/N
    assert how.startswith("exact") and theta == pytest.approx(4 / 32 * (1024 - 1) / 1024, rel=1e-5)


def test_the_bound_of_traffic_classes_mixes_them_at_their_rates():
    # uniform at 0.2 and a hotspot (27, at column 3) at 0.004 on the 8x8 mesh: the busiest channel
    # enters column 3 from the right, with uniform's 2 flits per unit of uniform load plus the 32
    # hotspot sources to its right
    keys = {"pattern": "uniform", "injection_rate": 0.2,
            "classes": {"hot": {"pattern": "hotspot", "hotspots": [27], "injection_rate": 0.004}}}
    spec = {"topology": {"kind": "mesh", "dims": [8, 8]}, "traffic": keys,
            "sim": {"warmup_cycles": 200, "measure_cycles": 500}}
    r = fabric.simulate(spec, progress=False).to_dict()
    load = 0.2 / 0.204 * 2 + 32 * 0.004 / 0.204
    assert r["bounds"]["saturation_bound"] == pytest.approx(1 / load, rel=1e-5) and r["warnings"] == []


def test_dense_patterns_on_large_networks_keep_the_endpoint_and_router_terms():
    from fabric.bounds import saturation_bound

    # 2,500 routers: no router-by-router demand; half of all traffic to endpoint 0, the rest uniform
    spec, core, net, _ = _network({"kind": "mesh", "dims": [50, 50]}, "dor",
                                  {"pattern": "hotspot", "hotspots": [0], "share": 0.5})
    theta, how = saturation_bound(spec, core, net)
    assert how == "upper bound for any routing: injection, ejection and each router's links"
    assert theta == pytest.approx(1 / (2500 * (0.5 + 0.5 / 2500)), rel=1e-5)
    spec, core, net, _ = _network({"kind": "mesh", "dims": [50, 50]}, "dor", {"pattern": "all_to_all"})
    assert saturation_bound(spec, core, net)[0] == 1.0


def test_the_route_walk_reports_a_route_longer_than_its_limit():
    # a flow still in the network after max_hops hops (a routing loop) is reported, not walked forever
    from fabric.network import PORT_LINK

    _, core, net, _ = _network({"kind": "mesh", "dims": [4, 1]}, "dor", {"pattern": "uniform"})
    owner = net.port_router
    args = ([net.endpoint_port[0]], [3], [1.0], owner, net.port_kind == PORT_LINK, net.port_peer)
    load, stuck = core.expected_loads(*args, max_hops=2)
    assert load is None and stuck == 2
    load, _ = core.expected_loads(*args)
    assert load[net.port_kind == PORT_LINK].sum() == 3.0       # 0 -> 1 -> 2 -> 3: three links
