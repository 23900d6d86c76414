"""composite: copies of one network (a pod) joined by a spine layer of switches, in one or more planes.

Each of the ``pods`` copies is a network of any other kind, given in ``[topology.pod]`` with that kind's
keys. Every pod router then gets ``uplinks`` links to each of ``planes`` independent planes of
``spines`` switches: router i of every pod links to spines (i * uplinks + j) mod ``spines`` of every
plane, j < uplinks, so each pod reaches every spine (its routers times uplinks must be at least
``spines``). Links inside a pod are of class ``scale_up``, links to the
spines of class ``scale_out``, so each can get its own latency and bandwidth in ``[link.classes]``.

Routers are numbered pod by pod (a pod's own numbering inside), then the spines plane by plane.
Endpoints are numbered router by router. Routing runs on distance tables, as on a graph: ``updown``
(the default; its root is the first spine) or ``ecmp``.

Huawei's UB-Mesh shape, 2-D full-mesh racks joined by a switched layer:

    [topology]
    kind = "composite"
    pods = 16
    spines = 8
    uplinks = 1
    [topology.pod]
    kind = "hyperx"
    dims = [8, 8]
    concentration = 1

Servers with an internal switch joined by a multi-plane Clos: a pod of one router with 8 endpoints
(``kind = "mesh"``, ``dims = [1]``, ``concentration = 8``), ``planes = 4``.

Reference: Liao et al., "UB-Mesh: a hierarchically localized nD-FullMesh datacenter network
architecture", arXiv:2503.20377 (2025).
"""
from __future__ import annotations

import copy

from ...errors import FabricError, SpecError
from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("pod", "table", {"kind": "hyperx", "dims": [4, 4], "concentration": 1},
          "the network copied into every pod: a topology table of any other kind"),
    Param("pods", "int", 4, "copies of the pod", min=1, max=100_000),
    Param("spines", "int", 4, "switches in each spine plane (0: pods not joined, then pods must be 1)", min=0),
    Param("uplinks", "int", 1, "links from every pod router to each plane", min=1, max=1024),
    Param("planes", "int", 1, "independent spine planes", min=1, max=1024),
)
MAX_ROUTERS = 8192      # the routing tables hold a distance per (router, router) pair


def _pod_spec(topo: dict) -> dict:
    """The pod's topology table, resolved (its defaults filled in) by the spec loader."""
    from ...spec import resolve_spec

    pod = copy.deepcopy(topo["pod"])
    if pod.get("kind") == "composite":
        raise FabricError("a composite's pod cannot itself be a composite")
    return resolve_spec({"topology": pod}, "pod")["topology"]


def check(topo: dict):
    try:
        pod = _pod_spec(topo)
    except SpecError as error:
        for problem in error.problems:       # "pod: topology.KEY: message"
            key, _, message = problem.removeprefix("pod: topology.").partition(": ")
            yield f"pod.{key}", message.replace("'topology.", "'topology.pod.").replace(
                "known: topology.", "known: topology.pod.").replace(", topology.", ", topology.pod.")
        return
    except FabricError as error:
        yield "pod", str(error)
        return
    if topo["spines"] == 0 and topo["pods"] > 1:
        yield "spines", f"must be >= 1 to join {topo['pods']} pods"
    pod_routers = topologies.get(pod["kind"]).extra["size"](pod)[0]
    if topo["spines"] > pod_routers * topo["uplinks"]:
        yield "spines", (f"a pod has {pod_routers * topo['uplinks']} uplinks to each plane ({pod_routers} routers x "
                         f"{topo['uplinks']}), too few to reach {topo['spines']} spines")
    routers = topo["pods"] * pod_routers + topo["spines"] * topo["planes"]
    if routers > MAX_ROUTERS:
        yield "pods", f"{routers} routers, more than the {MAX_ROUTERS} a composite may have"


def size(topo: dict):
    """(routers, ports, endpoints) for the memory estimate (the routing tables come on top)."""
    pod = _pod_spec(topo)
    routers, ports, endpoints = topologies.get(pod["kind"]).extra["size"](pod)
    spines = topo["spines"] * topo["planes"]
    up = routers * topo["uplinks"] * topo["planes"] * topo["pods"] if spines else 0
    return routers * topo["pods"] + spines, ports * topo["pods"] + 2 * up, endpoints * topo["pods"]


def analyze(topo: dict, routing: dict) -> dict:
    """Distances and channel loads from the composed graph itself (_tables.py)."""
    from . import _tables

    net = _compose(topo, 1)
    return _tables.analyze(net, routing["algorithm"], _root(net, routing))


def _root(net, routing: dict) -> int:
    from .updown import root_of

    return root_of(net, routing) if "root" in routing else 0


def _compose(topo: dict, latency: int):
    import numpy as np

    from ...network import edges_of, graph_network

    pod = _pod_spec(topo)
    inner = topologies.get(pod["kind"]).func(pod, {"latency": latency, "cycles_per_flit": 1, "classes": {}})
    pod_edges, pod_endpoints = edges_of(inner)
    per_pod = inner.n_routers
    n_pods, spines, planes, uplinks = topo["pods"], topo["spines"], topo["planes"], topo["uplinks"]
    edges = []
    for k in range(n_pods):
        base = k * per_pod
        edges += [(a + base, b + base, "scale_up") for a, b, _ in pod_edges]
    first_spine = n_pods * per_pod
    if spines:
        for plane in range(planes):
            for g in range(first_spine):
                for j in range(uplinks):
                    spine = ((g % per_pod) * uplinks + j) % spines
                    edges.append((g, first_spine + plane * spines + spine, "scale_out"))
    n = first_spine + spines * planes
    endpoints = np.concatenate([np.tile(pod_endpoints, n_pods), np.zeros(spines * planes, np.int64)])
    # router classes: the pods' routers ("pod", or "pod.NAME" for each class of a pod that has several,
    # e.g. pod.leaf and pod.spine of a clos pod), then the spine switches
    inner_names = inner.router_classes
    names = (("pod",) if len(inner_names) == 1 else tuple(f"pod.{name}" for name in inner_names)) + ("spine",)
    router_class = np.concatenate([np.tile(inner.router_class if len(inner_names) > 1 else np.zeros(per_pod), n_pods),
                                   np.full(spines * planes, len(names) - 1)]).astype(np.int8)
    return graph_network(n, edges, ("scale_up", "scale_out"), endpoints, latency, kind="composite",
                         info={"root": first_spine if spines else 0, "pod_routers": per_pod},
                         router_class=router_class, router_classes=names)


@topologies.register("composite", params=PARAMS, default_routing="updown", size=size, analyze=analyze,
                     check=check)
def build(topo: dict, link: dict):
    return _compose(topo, link["latency"])
