"""The two-level folded Clos: leaf-spine wiring, the SuperPoD-size presets, up-down routes."""
import numpy as np
import pytest

import fabric
from fabric.describe import describe
from fabric.errors import SpecError
from fabric.network import PORT_LINK, clos_network
from fabric.spec import resolve_spec


def test_every_leaf_meets_every_spine_once():
    net = clos_network(8, 20, 1)          # 5 leaves of 4 endpoints, 4 spines
    net.check()
    assert (net.n_routers, net.n_endpoints) == (9, 20)
    owner = np.repeat(np.arange(net.n_routers), np.diff(net.port_indptr))
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
    ({"kind": "clos", "radix": 8, "endpoints": 33}, "topology.endpoints: a two-level Clos of radix 8 holds at most 32"),
])
def test_bad_sizes(topology, message):
    with pytest.raises(SpecError, match=message):
        resolve_spec({"topology": topology})
