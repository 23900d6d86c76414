"""HyperX: every two routers of a row linked; dimension-order routes take one hop per differing
coordinate."""
import numpy as np
import pytest

import fabric
from fabric.network import PORT_LINK
from fabric.topologies.grid._network import hyperx_network


def test_rows_are_complete_graphs():
    net = hyperx_network((4, 3, 2), 2, 1)
    net.check()
    assert net.n_routers == 24
    assert np.all(np.diff(net.port_indptr) == (3 + 2 + 1) + 2)          # radix: sum(k - 1) + concentration
    assert net.n_links == 24 * 6
    owner = net.port_router
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    differ = net.router_coords[owner[links]] != net.router_coords[owner[net.port_peer[links]]]
    assert np.all(differ.sum(axis=1) == 1)                               # neighbours differ in one coordinate
    pairs = {(owner[p], owner[net.port_peer[p]]) for p in links}
    assert len(pairs) == len(links)                                       # no two links between one pair


def test_zero_load_latency_and_hops():
    spec = {"topology": {"kind": "hyperx", "dims": [4, 4, 4], "concentration": 4},
            "traffic": {"injection_rate": 0.002},
            "sim": {"warmup_cycles": 200, "measure_cycles": 10000, "drain_cycles": 2000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["hops"]["mean"] == pytest.approx(2.25, rel=0.03)    # 3 dimensions, each differs 3 times in 4
    assert r["latency"]["network"]["mean"] == pytest.approx(5 * (r["hops"]["mean"] + 1) + 2, rel=1e-3)


def test_fat_tree_routing_refused_on_hyperx():
    from fabric.errors import SpecError
    from fabric.spec import resolve_spec

    spec = {"topology": {"kind": "hyperx", "dims": [3, 3]}, "routing": {"algorithm": "nca"}}
    with pytest.raises(SpecError, match="does not route topology 'hyperx'"):
        resolve_spec(spec)


def test_min_adaptive_stays_minimal_and_needs_a_vc_class_per_dimension():
    from fabric.errors import SpecError
    from fabric.spec import resolve_spec

    spec = {"topology": {"kind": "hyperx", "dims": [4, 4, 4], "concentration": 4}, "router": {"vcs": 3},
            "routing": {"algorithm": "min_adaptive"}, "traffic": {"injection_rate": 0.3},
            "sim": {"warmup_cycles": 300, "measure_cycles": 2000, "drain_cycles": 3000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["hops"]["mean"] == pytest.approx(2.25, rel=0.03)
    with pytest.raises(SpecError, match="router.vcs: min_adaptive on a 3-dimensional hyperx needs at least 3 VCs"):
        resolve_spec({**spec, "router": {"vcs": 2}})
