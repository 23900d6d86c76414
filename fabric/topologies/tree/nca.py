"""nca: nearest-common-ancestor routing on a fat tree or folded Clos, up through a random up port
(BookSim fattree_nca).

A packet climbs until the destination lies below the router it is at, then descends along the only
down path. Each router a packet climbs through picks one of its k up ports at random, from the router's
seeded stream. Any VC may be used: paths go up and then down only (up*/down*), so the channel
dependency graph has no cycle and the routing cannot deadlock.

    [routing]
    algorithm = "nca"
"""
from ...registry import routings


@routings.register("nca", topologies=("fat_tree", "clos"), oblivious=True)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and the tree's tables (built with the network: network.info["tree"])."""
    from ...constants import ROUTING_MODES

    return {"mode": ROUTING_MODES["nca"], "arrays": network.info["tree"]}
