"""ugal: UGAL-L, globally adaptive routing on a dragonfly (Singh, "Load-balanced routing in
interconnection networks", PhD thesis, Stanford 2005; Kim, Dally, Scott & Abts, ISCA 2008).

At its source router a packet bound for another group compares two paths: minimal, and Valiant through
an intermediate group (drawn for the packet at its source, as in ``valiant``). It goes minimally unless the
occupied downstream buffer (flits, all VCs) of the minimal path's first port exceeds twice that of the
Valiant path's first port plus ``threshold`` flits: BookSim 2's ``ugal_dragonflynew`` rule, whose
threshold is 30. The choice travels in the head flit; later routers only follow it.

Deadlock freedom as ``valiant``: the VC class of a hop is the number of global links crossed (three
classes, so ``router.vcs`` must be at least 3); minimal paths use the same classes.

    [routing]
    algorithm = "ugal"
    threshold = 30
"""
from ...params import Param
from ...registry import routings
from .valiant import check


PARAMS = (Param("threshold", "int", 30, "flits of bias towards the minimal path (BookSim: 30)",
                min=-100_000, max=100_000),)


@routings.register("ugal", topologies=("dragonfly",), params=PARAMS, check=check)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode, the dragonfly's shape, three hop classes and the threshold."""
    from ...constants import ROUTING_MODES

    i = network.info
    return {"mode": ROUTING_MODES["dragonfly_ugal"],
            "settings": {"dragonfly": (i["p"], i["a"], i["h"], i["groups"]), "hop_classes": 3,
                         "ugal_threshold": routing["threshold"], "packet_keys": True}}
