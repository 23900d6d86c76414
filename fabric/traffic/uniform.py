"""uniform: each packet's destination is drawn uniformly at random over the endpoints.

By default the source itself may be drawn (``allow_self = true``), as in BookSim's ``uniform``
(``RandomInt(nodes - 1)``); such a packet still goes through its router and ejects there.
With ``allow_self = false`` the destination is uniform over the other endpoints.

    [traffic]
    pattern = "uniform"
    allow_self = true
"""
from ..params import Param
from ..registry import traffic_patterns

PARAMS = (Param("allow_self", "bool", True, "the source may pick itself (BookSim: yes)"),)


@traffic_patterns.register("uniform", params=PARAMS)
def make(network, traffic: dict) -> dict:
    """What the core needs: it draws uniform destinations itself, from each endpoint's RNG stream."""
    return {"allow_self": bool(traffic["allow_self"])}
