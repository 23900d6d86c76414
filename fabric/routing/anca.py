"""anca: nearest-common-ancestor routing on a fat tree, up through the less loaded of two random up
ports (BookSim fattree_anca).

As ``nca``, except that a climbing packet draws two of the router's k up ports at random and takes the
one whose output VCs have more free credits in total (the first drawn on a tie), which spreads load
away from congested subtrees. Deadlock-free for the same reason as ``nca`` (up*/down* paths).

    [routing]
    algorithm = "anca"
"""
from ..registry import routings
from .nca import tree_tables

ROUTE_ANCA = 3


@routings.register("anca", topologies=("fat_tree",))
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and its tables for this network."""
    return {"mode": ROUTE_ANCA, "tree_k": network.info["k"], "arrays": tree_tables(network)}
