"""clos: a folded Clos of switches of one radix R, of 1, 2 or 3 levels, in one or more planes.

levels = 2 (leaf-spine): each leaf has ``leaf_down`` endpoint ports and one link to each of the
R - leaf_down spines. Non-blocking (the default, oversubscription 1): leaf_down = R/2, R^2/2 endpoints at
full size (R = 128: 8,192, as Huawei's Atlas 950 SuperPoD; R = 176: 15,488, as the Atlas 960).
``oversubscription`` = down:up at the leaf, e.g. 3 for 3:1 (leaf_down = 3R/4).
levels = 3: pods of R/2 leaves and R - leaf_down aggregation switches, joined by (R - leaf_down) * R/2
spines; R^3/4 endpoints at full size, non-blocking (Al-Fares et al.'s k-ary fat tree with k = R).
levels = 1: one switch with all endpoints (at most R).
``endpoints`` populates fewer than the maximum: only the leaves (and pods) needed are built.

``planes`` = P builds P identical copies; each endpoint has one port in every plane, and each packet
takes one plane, picked by ``plane_policy``: ``hash`` (uniform, by the packet's random key), ``random`` (the endpoint's
seeded stream) or ``least_loaded`` (the plane whose injection channel has the most free credits).

Per plane, routers are numbered leaves first (ports 0..leaf_down-1 their endpoints, then one uplink per
spine or aggregation switch of the pod), then aggregation switches pod by pod (ports 0..R/2-1 down,
then up), then spines (port i down to leaf or pod i). Endpoint ``e`` sits on leaf ``e // leaf_down``.

    [topology]
    kind = "clos"
    radix = 128
    endpoints = 8192

Routing: ``nca`` (a random up port at each level) or ``anca`` (the less loaded of two random up ports),
as on the fat tree; paths go up, then down, so neither can deadlock.

Reference: Clos, "A study of non-blocking switching networks", Bell System Technical Journal 1953;
Al-Fares, Loukissas & Vahdat, "A scalable, commodity data center network architecture", SIGCOMM 2008.
"""
from fractions import Fraction

from ...params import Param
from ...registry import topologies

PARAMS = (
    Param("radix", "int", 16, "ports per switch (even)", min=2, max=4096),
    Param("endpoints", "int", 0, "endpoints to attach; 0: the most the levels and radix allow", min=0),
    Param("levels", "int", 2, "switch levels: 1, 2 or 3", min=1, max=3),
    Param("oversubscription", "float", 1.0, "leaf ports down : up (1 = non-blocking, 3 = 3:1)", min=1, max=1000),
    Param("planes", "int", 1, "identical copies; every endpoint has a port in each", min=1, max=256),
    Param("plane_policy", "str", "hash", "how a packet picks its plane",
          choices=("hash", "random", "least_loaded")),
)


def leaf_down(topo: dict):
    """Endpoint ports per leaf, or None when the oversubscription does not split the radix evenly."""
    if topo["levels"] == 1:
        return topo["radix"]
    ratio = Fraction(topo["oversubscription"]).limit_denominator(1000)
    down = Fraction(topo["radix"]) * ratio / (ratio + 1)
    return int(down) if down.denominator == 1 and down < topo["radix"] else None


def capacity(topo: dict) -> int:
    r, down = topo["radix"], leaf_down(topo)
    return {1: r, 2: r * down, 3: r * (r // 2) * down}[topo["levels"]]


def _endpoints(topo: dict) -> int:
    return topo["endpoints"] or capacity(topo)


def check(topo: dict):
    if topo["radix"] % 2:
        yield "radix", f"must be even (half the ports go down, half up), got {topo['radix']}"
    elif leaf_down(topo) is None:
        yield "oversubscription", (f"{topo['oversubscription']:g}:1 does not split {topo['radix']} leaf ports "
                                   f"into whole numbers down and up (at least one up)")
    elif _endpoints(topo) > capacity(topo):
        yield "endpoints", (f"a {topo['levels']}-level Clos of radix {topo['radix']} holds at most "
                            f"{capacity(topo)}, got {topo['endpoints']}")


def _shape(topo: dict):
    """(endpoints, leaf_down, up, leaves, pods, aggregation switches, spines) of one plane."""
    r, n, levels = topo["radix"], _endpoints(topo), topo["levels"]
    down = leaf_down(topo) if levels > 1 else n
    up = r - down if levels > 1 else 0
    leaves = -(-n // down)
    pods = -(-leaves // (r // 2)) if levels == 3 else 0
    spines = up * (r // 2) if levels == 3 else up
    return n, down, up, leaves, pods, pods * up, spines


def size(topo: dict):
    """(routers, ports, endpoints) without building anything, for the memory estimate."""
    n, down, up, leaves, pods, aggs, spines = _shape(topo)
    routers = leaves + aggs + spines
    ports = leaves * (down + up) + aggs * topo["radix"] + spines * max(pods, leaves)
    return routers * topo["planes"], ports * topo["planes"], n


def analyze(topo: dict, routing: dict) -> dict:
    """Each leaf sends the share of its traffic bound for other leaves evenly over its uplinks (random or
    balanced choice), each pod the share bound for other pods over its aggregation uplinks; the planes
    share the traffic evenly. Below one flit per endpoint unless oversubscribed."""
    n, down, up, leaves, pods, aggs, spines = _shape(topo)
    half = topo["radix"] // 2
    pod = half * down
    other_leaf = 1 - down / n if leaves > 1 else 0.0
    other_pod = 1 - pod / n if pods > 1 else 0.0
    loads = [down / up * other_leaf] if up else [0.0]
    if topo["levels"] == 3:
        loads.append(pod * other_pod / (up * half))
        hops = 2 * (other_leaf - other_pod) + 4 * other_pod
        diameter = 4 if pods > 1 else (2 if leaves > 1 else 0)
        cut = 2 * (pods // 2) * up * half
    else:
        hops = 2 * other_leaf
        diameter = 2 if leaves > 1 else 0
        cut = 2 * up * (leaves // 2) if leaves > 1 else 0
    return {
        "diameter": diameter,
        "mean_minimal_hops": round(hops, 6),
        "bisection_links": {"count": cut * topo["planes"],
                            "exact": (pods if topo["levels"] == 3 else leaves) % 2 == 0},
        "max_channel_load": max(loads) / topo["planes"],
    }


@topologies.register("clos", params=PARAMS, default_routing="nca", size=size, analyze=analyze, check=check)
def build(topo: dict, link: dict):
    from ...constants import PLANE_POLICIES
    from ._network import clos_network  # numpy, loaded only when a network is built

    net = clos_network(topo["radix"], _endpoints(topo), link["latency"], topo["levels"], leaf_down(topo),
                       topo["planes"])
    net.info["plane_policy"] = PLANE_POLICIES[topo["plane_policy"]]
    return net
