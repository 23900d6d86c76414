"""What mesh and torus share: both are grids of routers, one with and one without wrap-around links."""
import math


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = math.prod(topo["dims"])
    return routers, routers * (2 * len(topo["dims"]) + topo["concentration"]), routers * topo["concentration"]


def build(kind: str, topo: dict, link: dict, wrap: bool):
    from ._network import regular_network  # numpy, loaded only when a network is built

    return regular_network(kind, topo["dims"], topo["concentration"], link["latency"], wrap=wrap)


def analyze(kind: str, topo: dict, routing: dict) -> dict:
    """Diameter, mean minimal hops and the busiest channel under uniform traffic with dimension-order
    routing (see fabric/description.py). Per dimension, a row of k routers carries the traffic of the
    sources in its row: concentration * (loads of one row) for each router-to-router channel."""

    dims, c = topo["dims"], topo["concentration"]
    if kind == "torus":
        hops = [sum(min(d, k - d) for d in range(k)) / k for k in dims]
        diameter = sum(k // 2 for k in dims)
        gamma = max(ring_loads(k, routing.get("torus_tie") == "positive") for k in dims)
        cut = max(dims)
        bisection = 4 * math.prod(dims) // cut if cut > 1 else 0
    else:
        hops = [(k * k - 1) / (3 * k) for k in dims]
        diameter = sum(k - 1 for k in dims)
        gamma = max(row_loads(k) for k in dims)
        cut = max(dims)
        bisection = 2 * math.prod(dims) // cut if cut > 1 else 0
    return {
        "diameter": diameter,
        "mean_minimal_hops": round(sum(hops), 6),
        "bisection_links": {"count": bisection, "exact": cut % 2 == 0},
        "max_channel_load": c * gamma,
    }


def row_loads(k: int) -> float:
    """Busiest channel of a mesh row of k routers, one unit of traffic from each to each (self
    included), divided by k: max over cuts of i * (k - i) / k."""
    return max((i * (k - i) for i in range(k)), default=0) / k


def ring_loads(k: int, tie_positive: bool) -> float:
    """Busiest directional channel of a ring of k routers under minimal routing, per unit of traffic
    from each router to each (self included), divided by k: the hops each source sends one way."""
    plus = minus = 0.0
    for delta in range(1, k):
        if 2 * delta < k:
            plus += delta
        elif 2 * delta > k:
            minus += k - delta
        elif tie_positive:
            plus += delta
        else:
            plus += delta / 2
            minus += delta / 2
    return max(plus, minus) / k
