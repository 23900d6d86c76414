"""``fabric describe``: what a spec's network is, counted from the built network, and what it can carry
under uniform traffic, from closed forms per topology kind.

Counts (routers, endpoints, links, radix histogram) come from the built port arrays. Diameter, mean
minimal hops and the uniform-traffic channel-load bound come from each kind's ``analyze`` function
(registered with the kind), which works per dimension or level so that a 15,000-endpoint network costs
nothing to describe.

Channel-load bound (Dally & Towles, ch. 3): with every endpoint injecting 1 flit/cycle, uniformly to all
endpoints (itself included, as the simulator's default), the busiest channel carries gamma_max
flits/cycle; no routing of that traffic can accept more than Θ* = 1/gamma_max flits per endpoint per cycle,
and the injection and ejection channels cap it at 1. For oblivious routing the loads are exact.
"""
from __future__ import annotations

from .registry import routings, topologies


def describe(spec: dict) -> dict:
    """Description of a resolved spec's network."""
    import numpy as np

    from .build import build_network
    from .network import PORT_ENDPOINT, PORT_LINK

    net = build_network(spec)
    connected = np.concatenate(([0], np.cumsum(net.port_kind != 0)))
    radix = connected[net.port_indptr[1:]] - connected[net.port_indptr[:-1]]   # ports in use
    values, counts = np.unique(radix, return_counts=True)
    entry = topologies.get(spec["topology"]["kind"])
    analysis = entry.extra["analyze"](spec["topology"], spec["routing"])
    gamma = analysis.pop("max_channel_load")
    # slower links: a channel of c cycles per flit carries 1/c flit per cycle. The closed forms name the
    # busiest channel's load, not its class, so with mixed bandwidths the bound takes the fastest class
    # (still an upper bound on throughput, no longer tight)
    from .build import link_settings

    links = net.port_kind == PORT_LINK
    _, cycles_per_flit = link_settings(net, spec["link"])
    speeds = set(cycles_per_flit[links].tolist()) or {1}
    gamma *= min(speeds)
    from .build import check_class_names
    from .energy import static_side

    check_class_names(spec, net)
    bisection = analysis.get("bisection_links", {}).get("count")
    return {
        "kind": net.kind,
        "routing": spec["routing"]["algorithm"],
        "routers": net.n_routers,
        "endpoints": net.n_endpoints,
        "links": {"router_to_router": int(np.count_nonzero(net.port_kind == PORT_LINK)),
                  "endpoint": int(np.count_nonzero(net.port_kind == PORT_ENDPOINT)),
                  "by_class": net.links_by_class()},
        "radix_histogram": {str(int(v)): int(c) for v, c in zip(values, counts)},
        **analysis,
        "uniform": {
            "max_channel_load": round(gamma, 6),
            "saturation_bound": round(min(1.0, 1.0 / gamma) if gamma > 0 else 1.0, 6),
            **({"bound_note": "links differ in bandwidth: the bound assumes the fastest everywhere"}
               if len(speeds) > 1 else {}),
        },
        "static": static_side(spec, net, bisection),
    }


__all__ = ["describe", "routings"]
