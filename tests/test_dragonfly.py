"""The dragonfly: complete groups, one global link between every two groups, minimal routes."""
import numpy as np
import pytest

import fabric
from fabric.description import describe
from fabric.errors import SpecError
from fabric.network import PORT_LINK
from fabric.topologies.dragonfly._network import dragonfly_network
from fabric.spec import resolve_spec


def test_groups_complete_and_one_global_link_per_group_pair():
    net = dragonfly_network(2, 4, 2, 1, 3)
    net.check()
    assert (net.n_routers, net.n_endpoints) == (36, 72)
    owner = np.repeat(np.arange(net.n_routers), np.diff(net.port_indptr))
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    a, b = owner[links] // 4, owner[net.port_peer[links]] // 4
    local, glob = a == b, a != b
    assert np.count_nonzero(local) == 9 * 4 * 3                 # each group a complete graph of 4 routers
    pairs = {(int(x), int(y)) for x, y in zip(a[glob], b[glob])}
    assert len(pairs) == np.count_nonzero(glob) == 9 * 8       # every ordered pair of groups, once
    assert set(net.port_latency[links[glob]]) == {3} and set(net.port_latency[links[local]]) == {1}


def test_preset_size_as_issue_and_booksim():
    d = describe(resolve_spec({"topology": {"kind": "dragonfly", "p": 8, "a": 16, "h": 8}}))
    assert (d["routers"], d["endpoints"], d["radix_histogram"]) == (2064, 16512, {"31": 2064})
    assert d["diameter"] == 3


def test_low_load_hops_as_predicted():
    spec = {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "traffic": {"injection_rate": 0.05},
            "sim": {"warmup_cycles": 500, "measure_cycles": 6000, "drain_cycles": 3000}}
    predicted = describe(resolve_spec(spec))["mean_minimal_hops"]
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["hops"]["mean"] == pytest.approx(predicted, rel=0.02)


def test_needs_two_vcs():
    with pytest.raises(SpecError, match="router.vcs: a dragonfly needs at least 2 VCs"):
        resolve_spec({"topology": {"kind": "dragonfly"}, "router": {"vcs": 1}})


def test_valiant_detours_and_needs_three_vcs():
    spec = {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "routing": {"algorithm": "valiant"},
            "traffic": {"injection_rate": 0.05}, "sim": {"warmup_cycles": 500, "measure_cycles": 4000, "drain_cycles": 3000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    minimal = describe(resolve_spec({**spec, "routing": {"algorithm": "min"}}))["mean_minimal_hops"]
    assert r["status"] == "ok"
    assert minimal * 1.4 < r["hops"]["mean"] <= 5      # longer than minimal, at most two minimal legs
    with pytest.raises(SpecError, match="router.vcs: valiant on a dragonfly needs at least 3 VCs"):
        resolve_spec({**spec, "router": {"vcs": 2}})


UGAL_BASE = {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "traffic": {"injection_rate": 0.2},
             "sim": {"warmup_cycles": 300, "measure_cycles": 2000, "drain_cycles": 3000}}


def without_timing(result):
    result = dict(result)
    result.pop("timing")
    result.pop("spec")
    return result


def test_ugal_with_a_strong_bias_is_valiant_or_minimal():
    def hops(routing):
        return fabric.simulate({**UGAL_BASE, "routing": routing}, progress=False).to_dict()["hops"]["mean"]

    minimal, valiant = hops({"algorithm": "min"}), hops({"algorithm": "valiant"})
    # always the same paths as min (in other VC classes)
    assert hops({"algorithm": "ugal", "threshold": 100_000}) == minimal
    # always Valiant between groups; within a group minimal (as BookSim), where valiant detours too
    always_valiant = hops({"algorithm": "ugal", "threshold": -100_000})
    assert minimal * 1.3 < always_valiant < valiant


def test_ugal_stays_mostly_minimal_under_uniform_load():
    minimal = describe(resolve_spec(UGAL_BASE))["mean_minimal_hops"]
    r = fabric.simulate({**UGAL_BASE, "routing": {"algorithm": "ugal"}}, progress=False).to_dict()
    assert r["status"] == "ok"
    assert minimal <= r["hops"]["mean"] < minimal * 1.1
    with pytest.raises(SpecError, match="router.vcs: ugal on a dragonfly needs at least 3 VCs"):
        resolve_spec({**UGAL_BASE, "routing": {"algorithm": "ugal"}, "router": {"vcs": 2}})
