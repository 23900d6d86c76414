"""nca: nearest-common-ancestor routing on a fat tree, up through a random up port (BookSim fattree_nca).

A packet climbs until the destination lies below the router it is at, then descends along the only
down path. Each router a packet climbs through picks one of its k up ports at random, from the router's
seeded stream. Any VC may be used: paths go up and then down only (up*/down*), so the channel
dependency graph has no cycle and the routing cannot deadlock.

    [routing]
    algorithm = "nca"
"""
from ..registry import routings

ROUTE_NCA = 2


def tree_tables(network) -> dict:
    """Per router: the first endpoint below it, how many there are, and how many each down port leads to."""
    import numpy as np

    k, n = network.info["k"], network.info["n"]
    level = network.info["level"].astype(np.int64)
    pos = np.arange(network.n_routers) % (k ** (n - 1))
    below = k ** (n - level)                       # endpoints under a router of this level
    per_hood = k ** (n - 1 - level)                # routers of this level sharing those endpoints
    return {
        "tree_lo": ((pos // per_hood) * below).astype(np.int32),
        "tree_span": below.astype(np.int32),
        "tree_branch": (below // k).astype(np.int32),
    }


@routings.register("nca", topologies=("fat_tree",))
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and its tables for this network."""
    return {"mode": ROUTE_NCA, "tree_k": network.info["k"], "arrays": tree_tables(network)}
