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

    from . import faults
    from .topologies.graph import _tables

    net = faults.after(build_network(spec))       # (a fault during the run: the network after it)
    connected = np.concatenate(([0], np.cumsum(net.port_kind != 0)))
    radix = connected[net.port_indptr[1:]] - connected[net.port_indptr[:-1]]   # ports in use
    values, counts = np.unique(radix, return_counts=True)
    entry = topologies.get(spec["topology"]["kind"])
    algorithm = spec["routing"]["algorithm"]
    if faults.reroutes(net) or (algorithm in faults.TABLE_ROUTINGS and spec["topology"]["kind"] not in
                                ("graph", "composite")):
        # over the links that survive (or a table routing on a kind whose closed forms assume its own):
        # the tables' distances and loads, pairs the faults cut apart left out
        table = algorithm if algorithm in faults.TABLE_ROUTINGS else "ecmp"
        from .topologies.graph.updown import root_of

        analysis = _tables.analyze(net, table, root_of(net, spec["routing"]) if table == "updown" else 0)
    else:
        analysis = entry.extra["analyze"](spec["topology"], spec["routing"])
    gamma = analysis.pop("max_channel_load")
    exact = None
    if "faults" in net.info:
        from .build import link_settings as _settings

        exact = faulty_uniform_load(spec, net, _settings(net, spec["link"])[1])
    # slower links: a channel of c cycles per flit carries 1/c flit per cycle. The closed forms name the
    # busiest channel's load, not its class, so with mixed bandwidths the bound takes the fastest class
    # (still an upper bound on throughput, no longer tight)
    from .build import link_settings

    links = net.port_kind == PORT_LINK
    _, cycles_per_flit = link_settings(net, spec["link"])
    speeds = set(cycles_per_flit[links].tolist()) or {1}
    gamma *= min(speeds)
    if exact is not None:       # faults: the walk over what is left, each channel at its own bandwidth
        gamma, speeds = exact, {1}
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
        **({"faults": faults.summary(net)} if "faults" in net.info else {}),
    }


def channel_loads(core, net, demand):
    """Expected flits per cycle on each channel: the demand between routers walked through the core's
    own route computation (``_core.Core.expected_loads``), from the first endpoint of the source router
    to the first endpoint of the destination router, split evenly over the planes."""
    import numpy as np

    from .network import PORT_LINK

    router = net.endpoint_router
    first = np.full(net.n_routers, -1, np.int64)
    first[router[::-1]] = np.arange(net.n_endpoints)[::-1]
    slots = net.endpoint_port[:, None] if net.endpoint_planes is None else net.endpoint_planes
    planes = slots.shape[1]
    order = np.argsort(demand.dst, kind="stable")
    src, dst, weight = demand.src[order], demand.dst[order], demand.weight[order]
    start = slots[first[src]].ravel()                        # each flow once per plane
    load, stuck = core.expected_loads(start, np.repeat(first[dst], planes), np.repeat(weight / planes, planes),
                                      net.port_router, net.port_kind == PORT_LINK, net.port_peer)
    if load is None:
        raise RuntimeError(f"a route was still going after {stuck} hops: the routing loops")
    return load


def faulty_uniform_load(spec: dict, net, cycles_per_flit) -> float | None:
    """The busiest channel's load (times its cycles per flit) under uniform traffic on a network with faults,
    every endpoint injecting 1 flit per cycle: the flows between joined routers walked through the core's
    own route computation (as bounds.saturation_bound does), those the faults cut apart dropped. None on a
    network too large for router-by-router flows, or of several planes."""
    import numpy as np
    from types import SimpleNamespace

    from .build import make_core
    from .faults import router_components

    if net.n_routers > 2100 or net.planes > 1:
        return None
    n_r = net.n_routers
    router = net.endpoint_router
    per_router = np.bincount(router, minlength=n_r).astype(float)
    w = np.outer(per_router, per_router) / net.n_endpoints
    label = router_components(net)
    w[label[:, None] != label[None, :]] = 0.0
    src, dst = np.nonzero(w > 1e-15)
    core, _ = make_core({**spec, "traffic": {**spec["traffic"], "pattern": "uniform", "classes": {}}}, network=net)
    load = channel_loads(core, net, SimpleNamespace(src=src, dst=dst, weight=w[src, dst]))
    return float((load * cycles_per_flit).max(initial=0.0))


__all__ = ["describe", "routings"]
