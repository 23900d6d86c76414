"""hyperx: an n-dimensional HyperX, or nD full mesh: routers on a grid, and every two routers that differ
in exactly one coordinate are linked, so a row of any dimension is a complete graph.

Router ids are mixed-radix, dimension 0 fastest. A router has k_d - 1 ports for each dimension d (to the
other routers of its row, in increasing coordinate order), then ``concentration`` endpoint ports; its
radix is sum(k_d - 1) + concentration. Endpoint ``e`` sits on router ``e // concentration``.

    [topology]
    kind = "hyperx"
    dims = [4, 4, 4]
    concentration = 4

Reference: Ahn, Binkert, Davis, McLaren & Schreiber, "HyperX: topology, routing, and packaging of
efficient large-scale networks", SC 2009. Huawei's UB-Mesh uses the same nD-full-mesh shape.
"""
import math

from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("dims", "int_list", [4, 4, 4], "routers per dimension (each at least 2)", min=2),
    Param("concentration", "int", 1, "endpoints per router", min=1),
)


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = math.prod(topo["dims"])
    radix = sum(k - 1 for k in topo["dims"]) + topo["concentration"]
    return routers, routers * radix, routers * topo["concentration"]


def analyze(topo: dict, routing: dict) -> dict:
    """Under uniform traffic and dimension-order routing, a channel of dimension d carries the traffic
    from one router to the routers whose coordinate d is its far end: concentration / k_d per unit of
    injection (see fabric/description.py)."""
    dims, c = topo["dims"], topo["concentration"]
    cut = max(dims)
    rows = math.prod(dims) // cut
    return {
        "diameter": sum(1 for k in dims if k > 1),
        "mean_minimal_hops": round(sum(1 - 1 / k for k in dims), 6),
        # halving the largest dimension cuts (k/2)^2 links of each of its rows, in both directions
        "bisection_links": {"count": 2 * rows * (cut // 2) * (cut - cut // 2), "exact": cut % 2 == 0},
        "max_channel_load": max(c / k for k in dims),
    }


@topologies.register("hyperx", params=PARAMS, default_routing="dor", size=size, analyze=analyze)
def build(topo: dict, link: dict):
    from ._network import hyperx_network  # numpy, loaded only when a network is built

    return hyperx_network(topo["dims"], topo["concentration"], link["latency"])
