"""mesh: an n-dimensional mesh with any number of routers per dimension.

Router ids are mixed-radix, dimension 0 fastest (BookSim's numbering). Each router has two ports per
dimension (+ and -; the ones on the edge stay unconnected) and ``concentration`` endpoint ports.
Endpoint ``e`` sits on router ``e // concentration``.

    [topology]
    kind = "mesh"
    dims = [8, 8]
    concentration = 1

Reference: Dally & Towles, Principles and Practices of Interconnection Networks, ch. 5.
"""
from ...params import Param
from ...registry import topologies
from . import _regular

PARAMS = (
    Param("dims", "int_list", [8, 8], "routers per dimension", min=1),
    Param("concentration", "int", 1, "endpoints per router", min=1),
)


@topologies.register("mesh", params=PARAMS, default_routing="dor", size=_regular.size,
                      analyze=lambda topo, routing: _regular.analyze("mesh", topo, routing))
def build(topo: dict, link: dict):
    return _regular.build("mesh", topo, link, wrap=False)
