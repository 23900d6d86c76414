"""The graph kind: edge files, port layout, table routing (updown, ecmp) and its analysis."""
import numpy as np
import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app
from fabric.description import describe
from fabric.build import make_core
from fabric.errors import SpecError
from fabric.network import PORT_ENDPOINT, PORT_LINK
from fabric.spec import resolve_spec

from conftest import ROOT

RING = str(ROOT / "tests" / "specs" / "graph_ring6.csv")
PETERSEN = str(ROOT / "tests" / "specs" / "graph_petersen.toml")


def graph_spec(path, algorithm="updown", rate=0.1, concentration=2, vcs=4, **sim):
    return {"topology": {"kind": "graph", "file": path, "concentration": concentration},
            "router": {"vcs": vcs}, "routing": {"algorithm": algorithm},
            "traffic": {"injection_rate": rate},
            "sim": {"warmup_cycles": 300, "measure_cycles": 3000, "drain_cycles": 3000, **sim}}


def problems(spec):
    with pytest.raises(SpecError) as error:
        resolve_spec(spec)
    return error.value.problems


@pytest.mark.parametrize("text, message", [
    ("0,1\n1,1\n", "graph.csv line 2: a link from router 1 to itself"),
    ("0,1\n1,x\n", "graph.csv line 2: expected router, router[, class], got ['1', 'x']"),
    ("0,1\n2,3\n", "graph.csv: the graph is not connected: router 0 cannot reach routers 2, 3 (2 of 4)"),
    ("# nothing\n", "graph.csv: no edges"),
    ("0,1,a,b\n", "graph.csv line 1: expected router, router[, class], got ['0', '1', 'a', 'b']"),
])
def test_bad_edge_files_name_the_line(tmp_path, text, message):
    path = tmp_path / "graph.csv"
    path.write_text(text)
    [problem] = problems(graph_spec(str(path)))
    assert problem == f"<spec>: topology.file: {message}"


def test_missing_file_and_missing_key():
    assert problems(graph_spec("/nonexistent/g.csv")) == ["<spec>: topology.file: /nonexistent/g.csv: no such file"]
    assert problems({"topology": {"kind": "graph"}}) == [
        "<spec>: topology.file: required for a graph (an edge list, CSV or TOML)"]


def test_relative_file_is_found_beside_the_spec(tmp_path):
    (tmp_path / "ring.csv").write_text("0,1\n1,2\n2,0\n")
    spec = tmp_path / "ring.toml"
    spec.write_text('[topology]\nkind = "graph"\nfile = "ring.csv"\n[sim]\nwarmup_cycles = 10\nmeasure_cycles = 10\n')
    res = CliRunner().invoke(app, ["describe", str(spec)])
    assert res.exit_code == 0, res.output
    assert '"routers": 3' in res.output


def test_ports_pair_up_in_edge_order_with_classes(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("0,1\n1,2,slow\n0,2\n0,1\n")      # the last edge doubles 0-1
    net = make_core(resolve_spec(graph_spec(str(path), concentration=1)))[1]
    net.check()
    assert net.link_classes == ("link", "slow")
    assert np.diff(net.port_indptr).tolist() == [4, 4, 3]       # links in edge order, then the endpoint
    owner = np.repeat(np.arange(3), np.diff(net.port_indptr))
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    far = owner[net.port_peer[links]]
    assert [(int(owner[p]), int(f)) for p, f in zip(links, far)] == [
        (0, 1), (0, 2), (0, 1), (1, 0), (1, 2), (1, 0), (2, 1), (2, 0)]
    assert net.links_by_class() == {"link": 6, "slow": 2}
    assert net.port_kind[net.endpoint_port].tolist() == [PORT_ENDPOINT] * 3


@pytest.mark.parametrize("algorithm", ["updown", "ecmp"])
@pytest.mark.parametrize("path", [RING, PETERSEN])
def test_every_route_arrives_by_the_table_distance(path, algorithm):
    spec = resolve_spec(graph_spec(path, algorithm, concentration=1))
    core, net = make_core(spec)
    from fabric.topologies.graph._tables import tables

    dist = tables(net, algorithm)["dist_any"].reshape(net.n_routers, net.n_routers)
    owner = net.port_router
    local = np.arange(net.n_ports) - net.port_indptr[owner]
    for src in range(net.n_endpoints):
        for dest in range(net.n_endpoints):
            for choice in range(3):
                port, hops = int(net.endpoint_port[src]), 0
                while True:
                    router = int(owner[port])
                    out, _ = core.probe_route(router, int(local[port]), 0, dest, choice, hops, 7)
                    nxt = int(net.port_indptr[router]) + out
                    if net.port_kind[nxt] == PORT_ENDPOINT:
                        assert net.port_peer[nxt] == dest
                        break
                    port, hops = int(net.port_peer[nxt]), hops + 1
                    assert hops <= dist.max()
                assert hops == dist[src, dest]     # one endpoint per router: endpoint = router


def test_measured_hops_and_saturation_match_the_analysis():
    spec = graph_spec(PETERSEN, "ecmp", rate=0.05)
    d = describe(resolve_spec(spec))
    assert (d["routers"], d["endpoints"], d["diameter"], d["radix_histogram"]) == (10, 20, 2, {"5": 10})
    assert d["mean_minimal_hops"] == (3 * 1 + 6 * 2) / 10     # 3 routers 1 hop away, 6 two, self included
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["hops"]["mean"] == pytest.approx(d["mean_route_hops"], rel=0.03)
    full = fabric.simulate(graph_spec(PETERSEN, "ecmp", rate=1.0, drain_cycles=0), progress=False).to_dict()
    assert full["throughput"]["accepted"] <= d["uniform"]["saturation_bound"]


def test_updown_routes_are_legal_and_longer_on_a_ring():
    d_up = describe(resolve_spec(graph_spec(RING, "updown")))
    d_sp = describe(resolve_spec(graph_spec(RING, "ecmp")))
    assert d_sp["mean_route_hops"] == d_sp["mean_minimal_hops"] == 1.5
    assert d_up["mean_route_hops"] > 1.5      # the link 5 - 0 ... every route avoids turning down then up
    assert d_up["uniform"]["saturation_bound"] < d_sp["uniform"]["saturation_bound"]


def test_ecmp_needs_a_vc_class_per_hop():
    assert problems(graph_spec(RING, "ecmp", vcs=2)) == [
        "<spec>: router.vcs: ecmp on this graph (diameter 3) needs at least 3 VCs, one class per hop, got 2"]


def test_updown_root_must_exist():
    assert problems({**graph_spec(RING), "routing": {"algorithm": "updown", "root": 6}}) == [
        "<spec>: routing.root: the graph has routers 0 to 5, got 6"]
