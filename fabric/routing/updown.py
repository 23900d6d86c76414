"""updown: up*/down* routing over distance tables, for any connected graph.

Routers are ordered by BFS level from router ``root``, then by id; a link is *up* when it leads to a
router earlier in that order. A packet takes up links first, then down links only, along the shortest
such path; where several ports lead one hop nearer, a hash of the packet id and the router picks one
(ECMP over the legal paths). Paths never turn from down to up, so the channel dependency graph has no
cycle: deadlock-free with any number of VCs (Schroeder et al., "Autonet", IEEE JSAC 1991).

    [routing]
    algorithm = "updown"
    root = 0
"""
from ..params import Param
from ..registry import routings

ROUTE_TABLE_UPDOWN = 8

PARAMS = (Param("root", "int", 0, "router at the top of the up*/down* order", min=0),)


def check(spec: dict):
    from ..errors import FabricError
    from ..topologies.graph import load

    try:
        n, _, _ = load(spec["topology"])
    except FabricError:
        return              # the topology's own check reports it
    if spec["routing"]["root"] >= n:
        yield "routing.root", f"the graph has routers 0 to {n - 1}, got {spec['routing']['root']}"


@routings.register("updown", topologies=("graph",), params=PARAMS, check=check)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and the up*/down* distance tables."""
    from ._tables import tables

    arrays = tables(network, "updown", routing["root"])
    return {"mode": ROUTE_TABLE_UPDOWN, "arrays": {k: v for k, v in arrays.items() if k.startswith(("dist", "port"))}}
