"""dragonfly: groups of ``a`` routers, each with ``p`` endpoints, a link to every other router of its
group and ``h`` global links; g = a*h + 1 groups, so every two groups are joined by one global link
(the balanced dragonfly when a = 2p = 2h).

Router ``group * a + i``: ports 0..p-1 its endpoints, then the local ports (to routers j != i of the
group, in increasing order), then the h global ports. Global link x of group G (0 <= x < a*h) leaves
router x // h and reaches group (G + x + 1) mod g. Endpoint ``e`` sits on router ``e // p``.
``link.latency`` is the local links' latency; ``topology.global_latency`` the global links'.

    [topology]
    kind = "dragonfly"
    p = 8
    a = 16
    h = 8

With p = h = 8 and a = 16: 129 groups, 2,064 routers of radix 31, 16,512 endpoints (the size of
BookSim's dragonflynew with k = 8). Reference: Kim, Dally, Scott & Abts, "Technology-driven, highly-
scalable dragonfly topology", ISCA 2008.
"""
from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("p", "int", 2, "endpoints per router", min=1),
    Param("a", "int", 4, "routers per group", min=1),
    Param("h", "int", 2, "global links per router", min=1),
    Param("global_latency", "int", 1, "cycles on a global link", min=1, max=100_000),
)


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = (topo["a"] * topo["h"] + 1) * topo["a"]
    return routers, routers * (topo["p"] + topo["a"] - 1 + topo["h"]), routers * topo["p"]


def analyze(topo: dict, routing: dict) -> dict:
    """Minimal routing under uniform traffic, every endpoint injecting 1 flit/cycle (N endpoints). The one
    global link from group G to group G' carries all of G's traffic to G': (a*p)^2 / N. A local link
    i -> j carries what i's endpoints send through j's h global links, what arrives on i's h global
    links for j's endpoints, and i's endpoints' traffic to j's: p^2 (2*a*h + 1) / N."""
    p, a, h = topo["p"], topo["a"], topo["h"]
    g = a * h + 1
    n = g * a * p
    local = p * p * (2 * a * h + 1) / n if a > 1 else 0.0
    glob = (a * p) ** 2 / n
    hops_local_src = (a - 1) / a       # not on the router owning the link
    other_group = (n - a * p) / n
    same_group_other_router = (a * p - p) / n
    return {
        "diameter": 3 if a > 1 else 1,
        "mean_minimal_hops": round(other_group * (2 * hops_local_src + 1) + same_group_other_router, 6),
        "bisection_links": {"count": 2 * (g // 2) * (g - g // 2), "exact": False},
        "max_channel_load": max(local, glob),
    }


@topologies.register("dragonfly", params=PARAMS, default_routing="min", size=size, analyze=analyze,
                     min_vcs=2)
def build(topo: dict, link: dict):
    from ._network import dragonfly_network  # numpy, loaded only when a network is built

    return dragonfly_network(topo["p"], topo["a"], topo["h"], link["latency"], topo["global_latency"])
