"""Graphs in and out: GraphML and GML (NetworkX), SimAI topology files, and `fabric describe --graph`."""
import pytest

import fabric
from fabric.errors import FabricError

nx = pytest.importorskip("networkx")


def describe(path, **topology):
    return fabric.describe({"topology": {"kind": "graph", "file": str(path), **topology}})


def test_a_networkx_graph_round_trips(tmp_path):
    """Generated with NetworkX, written as GraphML, read by fabric; exported by describe --graph and read
    again: the same description."""
    nx.write_graphml(nx.random_regular_graph(3, 12, seed=4), tmp_path / "g.graphml")
    first = describe(tmp_path / "g.graphml", concentration=2)
    from fabric.graph_files import write

    write({"topology": {"kind": "graph", "file": str(tmp_path / "g.graphml"), "concentration": 2}},
          str(tmp_path / "out.graphml"))
    again = describe(tmp_path / "out.graphml")          # its endpoints come from the file
    assert again == first and first["endpoints"] == 24
    back = nx.read_graphml(tmp_path / "out.graphml")
    kinds = [d["kind"] for _, d in back.nodes(data=True)]
    assert kinds.count("router") == 12 and kinds.count("endpoint") == 24
    assert back.number_of_edges() == 18 + 24


def test_edge_attributes_set_latency_bandwidth_and_class(tmp_path):
    g = nx.cycle_graph(4)
    g.edges[0, 1].update({"latency": 5, "bandwidth": 0.5, "class": "optical"})
    nx.write_graphml(g, tmp_path / "ring.graphml")
    net = fabric.build_network({"topology": {"kind": "graph", "file": str(tmp_path / "ring.graphml")}})
    assert net.link_classes == ("link", "optical")
    from fabric.build import link_settings
    from fabric.network import PORT_LINK

    latency, cpf = link_settings(net, {"latency": 1, "cycles_per_flit": 1, "classes": {}})
    links = net.port_kind == PORT_LINK
    assert sorted(latency[links].tolist()) == [1] * 6 + [5, 5] and sorted(cpf[links].tolist()) == [1] * 6 + [2, 2]
    r = fabric.simulate({"topology": {"kind": "graph", "file": str(tmp_path / "ring.graphml")},
                         "traffic": {"injection_rate": 0.1}, "sim": {"warmup_cycles": 300, "measure_cycles": 1000}},
                        progress=False).to_dict()
    assert r["status"] == "ok"


def test_gml(tmp_path):
    nx.write_gml(nx.petersen_graph(), tmp_path / "p.gml")
    d = describe(tmp_path / "p.gml")
    assert (d["routers"], d["links"]["router_to_router"], d["diameter"]) == (10, 30, 2)


@pytest.mark.parametrize("make, message", [
    (lambda: nx.disjoint_union(nx.path_graph(3), nx.path_graph(2)), "the graph is not connected"),
    (lambda: nx.Graph([(0, 1, {"bandwidth": 0.3})]), "edge 0: bandwidth must be flits per cycle, 1/an integer"),
    (lambda: nx.Graph([(0, 1, {"latency": 0})]), "edge 0: latency must be cycles"),
])
def test_bad_graph_files_name_the_problem(tmp_path, make, message):
    nx.write_graphml(make(), tmp_path / "bad.graphml")
    with pytest.raises(FabricError) as error:
        describe(tmp_path / "bad.graphml")
    assert message in str(error.value)


def test_describe_writes_dot_for_graphviz(tmp_path):
    from typer.testing import CliRunner

    from fabric.cli import app

    spec = tmp_path / "clos.toml"
    spec.write_text('[topology]\nkind = "clos"\nradix = 4\n')
    res = CliRunner().invoke(app, ["describe", str(spec), "--graph", str(tmp_path / "clos.dot")])
    assert res.exit_code == 0, res.stderr
    text = (tmp_path / "clos.dot").read_text()
    assert text.startswith("graph fabric {") and text.count(" -- r") == 8 + 8   # 8 links, 8 endpoints
    assert 'router_class="spine"' in text and "latency=1" in text
    res = CliRunner().invoke(app, ["describe", str(spec), "--graph", str(tmp_path / "clos.png")])
    assert res.exit_code == 1 and "must end in .graphml, .dot or .gv" in res.stderr


SIMAI = """6 2 0 2 5 A100
4 5
0 4 400Gbps 0.0005ms 0
1 4 400Gbps 0.0005ms 0
2 5 400Gbps 0.0005ms 0
3 5 200Gbps 0.0005ms 0
4 5 400Gbps 0.001ms 0
"""


def test_a_simai_topology_file(tmp_path):
    """Four accelerators (nodes 0-3) under two switches (4, 5): every node a router, an accelerator with one
    endpoint; the 200 Gb/s link sends a flit every 2 cycles, delays in nanosecond cycles."""
    (tmp_path / "hpn.txt").write_text(SIMAI)
    net = fabric.build_network({"topology": {"kind": "graph", "file": str(tmp_path / "hpn.txt")}})
    assert (net.n_routers, net.n_endpoints) == (6, 4)
    assert net.endpoint_router.tolist() == [0, 1, 2, 3]
    from fabric.build import link_settings

    latency, cpf = link_settings(net, {"latency": 1, "cycles_per_flit": 1, "classes": {}})
    assert sorted(set(latency[net.port_kind == 1].tolist())) == [500, 1000]
    assert sorted(cpf[net.port_kind == 1].tolist()).count(2) == 2


@pytest.mark.parametrize("text, message", [
    ("6 2 0 2 5\n4 5\n0 4 400Gbps 0.0005ms 0\n", "the header says 5 links, the file has 1 link lines"),
    (SIMAI.replace("200Gbps", "300Gbps"), "300 Gb/s is not a whole fraction of the fastest link's 400 Gb/s"),
    (SIMAI.replace("0.001ms", "fast"), "delay 'fast': a number and a unit"),
    (SIMAI.replace("2 5 A100", "2 4 A100").replace("4 5 400Gbps 0.001ms 0\n", ""), "the graph is not connected"),
])
def test_bad_simai_files(tmp_path, text, message):
    (tmp_path / "hpn.simai").write_text(text)
    with pytest.raises(FabricError) as error:
        describe(tmp_path / "hpn.simai")
    assert message in str(error.value)


def test_a_booksim_anynet_file(tmp_path):
    (tmp_path / "net").write_text("router 0 node 0 node 1 router 1 3\nrouter 1 node 2 node 3 router 2\n"
                                  "router 2 node 4 node 5 router 0 3\n")
    net = fabric.build_network({"topology": {"kind": "graph", "file": str(tmp_path / "net")}})
    assert (net.n_routers, net.n_endpoints) == (3, 6) and net.endpoint_router.tolist() == [0, 0, 1, 1, 2, 2]
    assert sorted(net.port_latency[net.port_kind == 1].tolist()) == [1, 1, 3, 3, 3, 3]


@pytest.mark.parametrize("text, message", [
    ("router 0 node 0 5 router 1\nrouter 1 node 1\n", "node 0's channels take 5 cycles"),
    ("router 0 node 0 router 1 4\nrouter 1 node 1 router 0 2\n", "routers 0 and 1 have channels of 4 and 2 cycles"),
    ("router 0 node 1 router 1\nrouter 1 node 0\n", "node 1 comes after a node of a later router"),
])
def test_anynet_files_fabric_cannot_take(tmp_path, text, message):
    (tmp_path / "net").write_text(text)
    with pytest.raises(FabricError) as error:
        describe(tmp_path / "net")
    assert message in str(error.value)
