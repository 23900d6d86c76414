"""anca: nearest-common-ancestor routing on a fat tree or folded Clos, up through the less loaded of two
random up ports (BookSim fattree_anca).

As ``nca``, except that a climbing packet draws two of the router's k up ports at random and takes the
one whose output VCs have more free credits in total (the first drawn on a tie), which spreads load
away from congested subtrees. Deadlock-free for the same reason as ``nca`` (up*/down* paths).

    [routing]
    algorithm = "anca"
"""
from ...registry import routings


@routings.register("anca", topologies=("fat_tree", "clos"))
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and the tree's tables (built with the network: network.info["tree"])."""
    from ...constants import ROUTING_MODES

    return {"mode": ROUTING_MODES["anca"], "arrays": network.info["tree"]}
