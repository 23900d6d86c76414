"""The fat tree: BookSim's k-ary n-tree wiring, nearest-common-ancestor routes, and runs that deliver
everything with the expected hop counts."""
import numpy as np
import pytest

import fabric
from fabric.network import PORT_ENDPOINT, PORT_LINK
from fabric.topologies.tree._network import fat_tree_network


def test_sizes_and_radix_as_booksim():
    net = fat_tree_network(4, 3, 1)
    net.check()
    assert (net.n_routers, net.n_endpoints, net.n_links) == (48, 64, 256)  # BookSim: n*k^(n-1), k^n
    radix = np.diff(net.port_indptr)
    assert list(radix[:16]) == [4] * 16 and list(radix[16:]) == [8] * 32
    assert np.count_nonzero(net.port_kind == PORT_ENDPOINT) == 64


def test_wiring_follows_booksim_channel_numbering():
    # from BookSim's FatTree::_BuildNet (k=4, n=3): the top router at position 0 reaches, through its
    # down port j, level-1 router 4j on that router's first up port (port k)
    net = fat_tree_network(4, 3, 1)
    for j in range(4):
        peer = net.port_peer[net.port_indptr[0] + j]
        router = int(np.searchsorted(net.port_indptr, peer, side="right") - 1)
        assert (router, peer - net.port_indptr[router]) == (16 + 4 * j, 4)
    # every up port of a router leads to a router one level higher, every down port one level lower
    level = net.info["level"]
    owner = net.port_router
    local = np.arange(net.n_ports) - net.port_indptr[owner]
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    up = local[links] >= 4
    assert np.all(level[owner[net.port_peer[links]]] == level[owner[links]] + np.where(up, -1, 1))


@pytest.mark.parametrize("algorithm", ["nca", "anca"])
def test_low_load_hops_and_delivery(algorithm):
    spec = {"topology": {"kind": "fat_tree", "k": 4, "n": 3}, "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": 0.05},
            "sim": {"warmup_cycles": 500, "measure_cycles": 4000, "drain_cycles": 5000, "seed": 3}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    # uniform over 64 endpoints, self included: 4 on the same router (0 links), 12 under the same
    # level-1 routers (2 links), 48 further (4 links): 3.375 links per packet
    assert r["hops"]["mean"] == pytest.approx(3.375, rel=0.03)
    assert r["throughput"]["accepted"] == pytest.approx(0.05, rel=0.05)


def test_single_level_tree_is_one_switch():
    spec = {"topology": {"kind": "fat_tree", "k": 4, "n": 1}, "traffic": {"injection_rate": 0.2},
            "sim": {"warmup_cycles": 100, "measure_cycles": 500, "drain_cycles": 1000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok" and r["hops"]["mean"] == 0


def test_zero_load_latency_is_five_cycles_per_router():
    # 1-cycle stages and links: 4 cycles in each router and 1 on each link, plus 2 to inject; at a
    # load this low, contention adds almost nothing
    spec = {"topology": {"kind": "fat_tree", "k": 4, "n": 3}, "traffic": {"injection_rate": 0.002},
            "sim": {"warmup_cycles": 200, "measure_cycles": 20000, "drain_cycles": 2000}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["latency"]["network"]["mean"] == pytest.approx(5 * (r["hops"]["mean"] + 1) + 2, rel=1e-3)
    assert r["latency"]["network"]["p50"] == 27   # the most common path: 4 links, 5 routers
