"""The composite kind: pods of any kind joined by spine planes, with scale_up / scale_out link classes."""
import numpy as np
import pytest

import fabric
from fabric.description import describe
from fabric.build import make_core
from fabric.errors import SpecError
from fabric.network import PORT_LINK
from fabric.spec import resolve_spec

from conftest import ROOT


def composite(pod, pods=3, spines=2, uplinks=1, planes=1, algorithm="updown", **sections):
    return {"topology": {"kind": "composite", "pod": pod, "pods": pods, "spines": spines, "uplinks": uplinks,
                         "planes": planes},
            "routing": {"algorithm": algorithm},
            "sim": {"warmup_cycles": 200, "measure_cycles": 1500, "drain_cycles": 3000}, **sections}


HYPERX = {"kind": "hyperx", "dims": [3, 2], "concentration": 2}
SERVER = {"kind": "mesh", "dims": [1], "concentration": 4}


def test_counts_and_classes():
    net = make_core(resolve_spec(composite(HYPERX, pods=3, spines=2, uplinks=2, planes=2)))[1]
    net.check()
    pod_routers, pod_links = 6, 2 * (3 * 1 + 2 * 3)       # hyperx 3x2: rows of 3 (x2) and of 2 (x3)
    assert (net.n_routers, net.n_endpoints) == (3 * pod_routers + 2 * 2, 3 * 12)
    assert net.links_by_class() == {"scale_up": 3 * pod_links, "scale_out": 2 * 18 * 2 * 2}
    owner = net.port_router
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    spine_ends = owner[net.port_peer[links]][owner[links] < 18]
    spine_ends = spine_ends[spine_ends >= 18]
    # every spine of every plane takes the same share of the uplinks
    assert np.bincount(spine_ends - 18).tolist() == [18, 18, 18, 18]


def test_servers_on_planes_take_every_plane():
    spec = composite(SERVER, pods=4, spines=1, planes=3, algorithm="ecmp",
                     traffic={"injection_rate": 0.3})
    d = describe(resolve_spec(spec))
    assert (d["routers"], d["endpoints"], d["diameter"]) == (7, 16, 2)
    assert d["radix_histogram"] == {"4": 3, "7": 4}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    # a quarter of the traffic stays on its server, the rest crosses one switch
    assert r["hops"]["mean"] == pytest.approx(2 * 12 / 16, rel=0.02)


def test_pod_errors_name_the_pod_key():
    with pytest.raises(SpecError) as error:
        resolve_spec(composite({"kind": "hyperx", "dims": [1, 4]}, pods=2))
    assert error.value.problems == ["<spec>: topology.pod.dims[0]: must be >= 2, got 1"]
    with pytest.raises(SpecError) as error:
        resolve_spec(composite({"kind": "torus", "dims": [4], "sizse": 3}, pods=2))
    assert error.value.problems == ["<spec>: topology.pod.sizse: unknown key "
                                    "(known: topology.pod.concentration, topology.pod.dims, topology.pod.kind)"]
    with pytest.raises(SpecError) as error:
        resolve_spec(composite(SERVER, pods=2, spines=0))
    assert error.value.problems == ["<spec>: topology.spines: must be >= 1 to join 2 pods"]
    with pytest.raises(SpecError) as error:
        resolve_spec(composite(SERVER, pods=1, spines=2))     # one router, one uplink: a spine left alone
    assert error.value.problems == [
        "<spec>: topology.spines: a pod has 1 uplinks to each plane (1 routers x 1), too few to reach 2 spines"]


def test_slow_scale_out_links_raise_cross_pod_latency_only():
    base = composite(HYPERX, pods=2, spines=2, algorithm="ecmp", traffic={"injection_rate": 0.05})
    fast = fabric.simulate(base, progress=False).to_dict()
    slow = fabric.simulate({**base, "link": {"classes": {"scale_out": {"latency": 10}}}}, progress=False).to_dict()
    assert slow["hops"]["mean"] == pytest.approx(fast["hops"]["mean"], rel=0.03)
    assert slow["latency"]["packet"]["mean"] > fast["latency"]["packet"]["mean"] + 5


@pytest.mark.parametrize("algorithm", ["updown", "ecmp"])
def test_runs_below_its_bound(algorithm):
    spec = composite(HYPERX, pods=2, spines=2, algorithm=algorithm, traffic={"injection_rate": 1.0})
    spec["sim"] = {"warmup_cycles": 300, "measure_cycles": 1500, "drain_cycles": 0}
    bound = describe(resolve_spec(spec))["uniform"]["saturation_bound"]
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["throughput"]["accepted"] <= bound


def test_presets_describe_as_documented():
    d = describe(fabric.load_spec(ROOT / "topologies" / "nvl72_like.toml"))
    assert (d["routers"], d["endpoints"], d["radix_histogram"]) == (18, 72, {"72": 18})    # 18 planes
    assert d["links"]["endpoint"] == 72 * 18
    d = describe(fabric.load_spec(ROOT / "topologies" / "ubmesh_like.toml"))
    assert (d["routers"], d["endpoints"]) == (1040, 1024)
    assert d["links"]["by_class"] == {"scale_up": 16 * 64 * 14, "scale_out": 2 * 1024}
