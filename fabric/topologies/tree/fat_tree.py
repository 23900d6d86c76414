"""fat_tree: a k-ary n-tree, numbered and wired exactly as BookSim's ``fattree`` network.

n levels of k^(n-1) routers each, level 0 at the top; k^n endpoints, k on each bottom router. Top routers
have k ports (down), the others 2k (k down, then k up). Router ``level * k^(n-1) + pos``; endpoint ``e``
sits on bottom router ``e // k``, port ``e % k``. Between levels the wiring follows BookSim's channel
numbering (FatTree::_BuildNet), so a packet's path is the one BookSim would take for the same choices.

    [topology]
    kind = "fat_tree"
    k = 4
    n = 3

Reference: Petrini & Vanneschi, "k-ary n-trees: high performance networks for massively parallel
architectures", IPPS 1997; BookSim 2 src/networks/fattree.cpp.
"""
from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("k", "int", 4, "down ports per router (and up ports below the top level)", min=2, max=256),
    Param("n", "int", 3, "levels of routers", min=1, max=16),
)


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    k, n = topo["k"], topo["n"]
    per_level = k ** (n - 1)
    return n * per_level, per_level * k * (2 * n - 1), k ** n


def analyze(topo: dict, routing: dict) -> dict:
    """A packet climbs to the lowest level whose subtree holds both ends, 2 links per level climbed. Under
    uniform traffic the k up (and down) links of a router of level l carry what leaves (enters) its
    subtree of k^(n-l) endpoints: (1 - k^(n-l) / k^n) per endpoint, below 1, so only the endpoint
    channels bound throughput (see fabric/description.py)."""
    k, n = topo["k"], topo["n"]
    N = k ** n
    return {
        "diameter": 2 * (n - 1),
        "mean_minimal_hops": round(2 * sum(1 - k ** j / N for j in range(1, n)), 6),
        "bisection_links": {"count": N if n > 1 else 0, "exact": True},
        "max_channel_load": max([1 - k ** j / N for j in range(1, n)], default=0.0),
    }


@topologies.register("fat_tree", params=PARAMS, default_routing="nca", size=size, analyze=analyze)
def build(topo: dict, link: dict):
    from ._network import fat_tree_network  # numpy, loaded only when a network is built

    return fat_tree_network(topo["k"], topo["n"], link["latency"])
