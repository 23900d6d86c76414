"""What mesh and torus share: both are grids of routers, one with and one without wrap-around links."""
import math


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    routers = math.prod(topo["dims"])
    return routers, routers * (2 * len(topo["dims"]) + topo["concentration"]), routers * topo["concentration"]


def build(kind: str, topo: dict, link: dict, wrap: bool):
    from ..network import regular_network  # numpy, loaded only when a network is built

    return regular_network(kind, topo["dims"], topo["concentration"], link["latency"], wrap=wrap)
