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
from ...params import Param
from ...registry import topologies
from . import _regular

PARAMS = (
    Param("dims", "int_list", [8, 8], "routers per dimension (each at least 2)", min=2),
    Param("concentration", "int", 1, "endpoints per router", min=1),
)


@topologies.register("torus", params=PARAMS, default_routing="dor", size=_regular.size,
                      analyze=lambda topo, routing: _regular.analyze("torus", topo, routing), min_vcs=2)
def build(topo: dict, link: dict):
    return _regular.build("torus", topo, link, wrap=True)
