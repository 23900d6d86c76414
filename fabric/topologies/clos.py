"""clos: a two-level folded Clos (leaf-spine) of switches of one radix R.

R/2 spines; each leaf has R/2 endpoint ports and one link to every spine, so the network is
non-blocking: R^2/2 endpoints at full size (R = 128: 8,192, as Huawei's Atlas 950 SuperPoD; R = 176:
15,488, as the Atlas 960). ``endpoints`` populates fewer: ceil(endpoints / (R/2)) leaves, the last one
partly filled. Leaf ``l`` is router ``l`` (ports 0..R/2-1 its endpoints, then one per spine); spine
``s`` is router ``leaves + s`` (port ``l`` to leaf ``l``). Endpoint ``e`` sits on leaf ``e // (R/2)``.

    [topology]
    kind = "clos"
    radix = 128
    endpoints = 8192

Routing: ``nca`` (a random spine) or ``anca`` (the less loaded of two random spines), as on the fat tree;
paths go up once and down once, so neither can deadlock.

Reference: Clos, "A study of non-blocking switching networks", Bell System Technical Journal 1953;
Al-Fares, Loukissas & Vahdat, "A scalable, commodity data center network architecture", SIGCOMM 2008.
"""
from ..params import Param
from ..registry import topologies

PARAMS = (
    Param("radix", "int", 16, "ports per switch (even)", min=2, max=4096),
    Param("endpoints", "int", 0, "endpoints to attach; 0: all radix^2/2", min=0),
)


def _endpoints(topo: dict) -> int:
    return topo["endpoints"] or topo["radix"] ** 2 // 2


def check(topo: dict):
    if topo["radix"] % 2:
        yield "radix", f"must be even (half the ports go down, half up), got {topo['radix']}"
    elif _endpoints(topo) > topo["radix"] ** 2 // 2:
        yield "endpoints", (f"a two-level Clos of radix {topo['radix']} holds at most {topo['radix'] ** 2 // 2}, "
                            f"got {topo['endpoints']}")


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    half = max(topo["radix"] // 2, 1)
    leaves = -(-_endpoints(topo) // half)
    return leaves + half, leaves * 2 * half * 2, _endpoints(topo)


def analyze(topo: dict, routing: dict) -> dict:
    """Each leaf sends the share of its traffic bound for other leaves over its R/2 uplinks, evenly
    (random or balanced spine choice): below one flit per endpoint, so the endpoint channels bound it."""
    half = topo["radix"] // 2
    n = _endpoints(topo)
    leaves = -(-n // half)
    leaving = 1 - half / n if leaves > 1 else 0.0          # per endpoint on a full leaf
    return {
        "diameter": 2 if leaves > 1 else 0,
        "mean_minimal_hops": round(2 * leaving, 6),
        "bisection_links": {"count": 2 * half * (leaves // 2) if leaves > 1 else 0, "exact": leaves % 2 == 0},
        "max_channel_load": leaving,
    }


@topologies.register("clos", params=PARAMS, default_routing="nca", size=size, analyze=analyze, check=check)
def build(topo: dict, link: dict):
    from ..network import clos_network  # numpy, loaded only when a network is built

    return clos_network(topo["radix"], _endpoints(topo), link["latency"])
