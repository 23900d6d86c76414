"""min: minimal routing on a dragonfly (Kim, Dally, Scott & Abts, ISCA 2008; BookSim's dragonflynew
``min``).

A packet for another group goes to the router of its own group that holds the global link to that
group (a local hop, unless it is already there), crosses the global link, and goes to the destination
router (a local hop, unless the link lands there): at most 3 router-to-router hops. Deadlock freedom
needs two VC classes (``router.vcs`` at least 2): the local hop after the global one uses the upper
half of the VCs, every other hop the lower half, so no channel dependency cycle can form.

    [routing]
    algorithm = "min"
"""
from ...registry import routings


@routings.register("min", topologies=("dragonfly",), oblivious=True)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and the dragonfly's shape."""
    from ...constants import ROUTING_MODES

    i = network.info
    return {"mode": ROUTING_MODES["dragonfly_min"], "settings": {"dragonfly": (i["p"], i["a"], i["h"], i["groups"])},
            "vc_classes": 2}
