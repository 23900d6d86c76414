"""torus: an n-dimensional torus (k-ary n-cube when all dims are equal), wrap-around links in every dimension.

Same numbering and ports as the mesh. Dimension-order routing on a torus needs two VC classes per
dimension (dateline), so ``router.vcs`` must be at least 2.

    [topology]
    kind = "torus"
    dims = [8, 8]
    concentration = 1

    [link]
    latency = 2        # BookSim's torus default

Reference: Dally & Towles ch. 5 and 14.2 (dateline VC classes).
"""
import math

from ..params import Param
from ..registry import topologies

PARAMS = (
    Param("dims", "int_list", [8, 8], "routers per dimension (each at least 2)", min=2),
    Param("concentration", "int", 1, "endpoints per router", min=1),
)


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = math.prod(topo["dims"])
    return routers, routers * (2 * len(topo["dims"]) + topo["concentration"]), routers * topo["concentration"]


@topologies.register("torus", params=PARAMS, default_routing="dor", size=size, min_vcs=2)
def build(topo: dict, link: dict):
    from ..network import regular_network

    return regular_network("torus", topo["dims"], topo["concentration"], link["latency"], wrap=True)
