"""updown: up*/down* routing over distance tables, for any connected network (any topology kind; the
routing that takes a network with faults, fabric/faults.py).

Routers are ordered by BFS level from router ``root`` (by default the topology's choice: a composite's
first spine, router 0 of a graph), then by id; a link is *up* when it leads to a
router earlier in that order. A packet takes up links first, then down links only, along the shortest
such path; where several ports lead one hop nearer, a hash of the packet's random key and the router
picks one uniformly (ECMP over the legal paths). Paths never turn from down to up, so the channel
dependency graph has no cycle: deadlock-free with any number of VCs (Schroeder et al., "Autonet", IEEE
JSAC 1991).

    [routing]
    algorithm = "updown"
    root = 0                 # optional
"""
from ...params import Param
from ...registry import routings


PARAMS = (Param("root", "int", -1, "router at the top of the up*/down* order; -1: the topology's choice "
                 "(a composite's first spine, else router 0)", min=-1),)


def root_of(network, routing: dict) -> int:
    return network.info.get("root", 0) if routing["root"] < 0 else routing["root"]


def check(spec: dict):
    from ...errors import FabricError
    from ...registry import topologies

    try:
        n = topologies.get(spec["topology"]["kind"]).extra["size"](spec["topology"])[0]
    except FabricError:
        return              # the topology's own check reports it
    if spec["routing"]["root"] >= n:
        yield "routing.root", f"the graph has routers 0 to {n - 1}, got {spec['routing']['root']}"


@routings.register("updown", params=PARAMS, check=check, oblivious=True)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and the up*/down* distance tables."""
    from ...constants import ROUTING_MODES
    from ._tables import tables

    arrays = tables(network, "updown", root_of(network, routing))
    tables_only = {k: v for k, v in arrays.items() if k.startswith(("dist", "port"))}
    return {"mode": ROUTING_MODES["table_updown"], "arrays": tables_only, "settings": {"packet_keys": True}}
