"""valiant: Valiant routing on a dragonfly (Kim, Dally, Scott & Abts, ISCA 2008): minimally to an
intermediate group, then minimally to the destination, so any traffic pattern spreads evenly over the
global links, at the cost of up to twice the hops.

The intermediate group is uniform over all groups, drawn for each packet when its source creates it
(from a random stream of the source's own) and the same at every router of its path; when it is the
source's or the destination's group, the route is minimal.
Deadlock freedom: the VC class of a hop is the number of global links the packet has crossed (0, 1 or
2; three equal slices of ``router.vcs``, which must be at least 3), so dependencies only climb classes.

    [routing]
    algorithm = "valiant"
"""
from ...registry import routings


def check(spec: dict):
    if spec["router"]["vcs"] < 3:
        yield "router.vcs", (f"{spec['routing']['algorithm']} on a dragonfly needs at least 3 VCs (one class per global "
                             f"hop), got {spec['router']['vcs']}")


@routings.register("valiant", topologies=("dragonfly",), check=check)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode, the dragonfly's shape and three hop classes."""
    from ...constants import ROUTING_MODES

    i = network.info
    return {"mode": ROUTING_MODES["dragonfly_valiant"],
            "settings": {"dragonfly": (i["p"], i["a"], i["h"], i["groups"]), "hop_classes": 3,
                         "packet_keys": True}}
