"""What mesh and torus share: both are grids of routers, one with and one without wrap-around links."""
import math


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = math.prod(topo["dims"])
    return routers, routers * (2 * len(topo["dims"]) + topo["concentration"]), routers * topo["concentration"]


def build(kind: str, topo: dict, link: dict, wrap: bool):
    from ..network import regular_network  # numpy, loaded only when a network is built

    return regular_network(kind, topo["dims"], topo["concentration"], link["latency"], wrap=wrap)


def analyze(kind: str, topo: dict, routing: dict) -> dict:
    """Diameter, mean minimal hops and the busiest channel under uniform traffic with dimension-order
    routing (see fabric/description.py). Per dimension, a row of k routers carries the traffic of the
    sources in its row: concentration * (loads of one row) for each router-to-router channel."""
    from ..description import ring_loads, row_loads

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
