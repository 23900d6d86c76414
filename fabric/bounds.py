"""Bounds beside every result, and the warnings a result that breaks one gets.

* Zero-load latency T0, from the pipeline and link settings and the run's own mean hop count h (links):
  T0 = 2 (injection) + P (h + 1) + L h + 1 (ejection) + (S - 1), with P = routing + VC allocation +
  switch allocation + switch traversal delays, L the shortest link's latency (plus its cycles per flit
  - 1) and S the mean packet size. Every packet takes at least its own zero-load time and T0 is linear
  in h, so the mean packet latency can never be below it.
* Saturation bound Θ* (flits per endpoint per cycle) for the run's pattern under its routing: for
  uniform traffic the channel-load bound of ``fabric describe``; for other patterns whose pairs are
  known in advance (permutations, all_to_all, hotspot, matrix) under dimension-order routing or nca,
  1 / the busiest channel's or ejection channel's expected load when every source injects 1 flit per
  cycle, each pair's flow routed through the core's own route computation and split evenly where the
  routing draws at random (exact: these routings are oblivious).
  A run that keeps up with its load (not saturated) cannot accept more, beyond a small allowance for
  the window's edges. Other cases give no Θ*, with the reason.
"""
from __future__ import annotations

import numpy as np

from .network import PORT_ENDPOINT, PORT_LINK

THROUGHPUT_ALLOWANCE = 0.03     # accepted may pass Θ* by this share: flits queued before the window


def zero_load_latency(spec: dict, net, link_latency, cycles_per_flit, hops: float, mean_size: float) -> float:
    r = spec["router"]
    per_router = r["routing_delay"] + r["vc_alloc_delay"] + r["sw_alloc_delay"] + r["st_delay"]
    links = net.port_kind == PORT_LINK
    shortest = int((link_latency + cycles_per_flit - 1)[links].min()) if links.any() else 0
    return 2 + per_router * (hops + 1) + shortest * hops + 1 + (mean_size - 1)


MAX_PAIR_ENDPOINTS = 1024      # beyond this many endpoints, walking every pair's route costs too much


def saturation_bound(spec: dict, core, net):
    """Θ* and how it was found, or (None, reason)."""
    t = spec["traffic"]
    if t.get("classes"):
        return None, "several traffic classes"
    if t["pattern"] == "uniform":
        if spec["topology"]["kind"] in ("graph", "composite") and net.n_routers > 256:
            return None, "uniform on a large graph: see fabric describe"
        from .describe import describe

        return describe(spec)["uniform"]["saturation_bound"], "channel-load bound under uniform traffic"
    kind, algorithm = spec["topology"]["kind"], spec["routing"]["algorithm"]
    oblivious = (kind in ("mesh", "hyperx", "torus") and algorithm == "dor") or (
        kind in ("fat_tree", "clos") and algorithm == "nca")
    if not oblivious or net.endpoint_planes is not None:
        return None, "no load analysis for this pattern under this routing"
    from .registry import traffic_patterns

    pattern = traffic_patterns.get(t["pattern"]).func(net, t)
    flows = pair_weights(pattern, net.n_endpoints)
    if flows is None:
        return None, "this pattern's pairs are not known in advance"
    if flows == "too many":
        return None, f"more than {MAX_PAIR_ENDPOINTS} endpoints: pairs not walked"
    load = channel_loads(core, net, flows, _choices(spec, net))
    ejected = np.zeros(net.n_endpoints)
    for (_, dest), w in flows.items():
        ejected[dest] += w
    busiest = max(load.max(initial=0.0), ejected.max(initial=0.0))
    return (round(min(1.0, 1.0 / busiest), 6) if busiest > 0 else 1.0), "channel and ejection loads of the pattern"


def pair_weights(pattern: dict, n: int):
    """{(source, destination): flits per cycle when every source injects 1} for the patterns whose
    pairs are known in advance, None otherwise, "too many" past MAX_PAIR_ENDPOINTS."""
    scale = np.broadcast_to(np.asarray(pattern.get("rate_scale", 1.0), float), (n,))
    if "dest_table" in pattern:
        return {(s, int(d)): float(scale[s]) for s, d in enumerate(pattern["dest_table"]) if d >= 0 and scale[s] > 0}
    if n > MAX_PAIR_ENDPOINTS:
        return "too many"
    if pattern.get("dest_mode") == 3:                                 # all_to_all: each other endpoint
        return {(s, d): 1.0 / (n - 1) for s in range(n) for d in range(n) if d != s}
    if "alias_lo" in pattern:                                         # hotspot, matrix
        lo, prob = np.asarray(pattern["alias_lo"]), np.asarray(pattern["alias_prob"])
        alias, dest = np.asarray(pattern["alias_idx"]), np.asarray(pattern["alias_dest"])
        flows = {}
        for s in range(n):
            if scale[s] <= 0:
                continue
            row = int(pattern["alias_row"][s])
            first, last = int(lo[row]), int(lo[row + 1])
            m = last - first
            for i in range(first, last):
                for entry, share in ((i, prob[i]), (int(alias[i]), 1.0 - prob[i])):
                    if share > 0:
                        key = (s, int(dest[entry]))
                        flows[key] = flows.get(key, 0.0) + float(scale[s]) * share / m
        return flows
    return None


def _choices(spec: dict, net):
    """A function (router, destination) -> how many equally likely ways the routing may go on there:
    a torus tie at distance k/2 goes either way, nca climbs through any of the router's up ports."""
    if spec["topology"]["kind"] == "torus" and spec["routing"].get("torus_tie") != "positive":
        return lambda router, dest: 2
    if spec["routing"]["algorithm"] == "nca":
        tree = net.info["tree"]
        lo, span, nup = tree["tree_lo"], tree["tree_span"], tree["tree_nup"]
        return lambda router, dest: 1 if lo[router] <= dest < lo[router] + span[router] else max(1, int(nup[router]))
    return lambda router, dest: 1


def channel_loads(core, net, flows, choices=lambda router, dest: 1) -> np.ndarray:
    """Expected flits per cycle on each channel for the pair flows: each flow follows the core's own
    route computation, split evenly over the ways the routing may take at each router (its random draws
    replaced by each possible value in turn)."""
    owner = np.repeat(np.arange(net.n_routers), np.diff(net.port_indptr))
    local = np.arange(net.n_ports) - net.port_indptr[owner]
    load = np.zeros(net.n_ports)
    for (source, dest), weight in flows.items():
        frontier, hops = {int(net.endpoint_port[source]): weight}, 0
        while frontier and hops < 10_000:
            following = {}
            for port, mass in frontier.items():
                router = int(owner[port])
                k = choices(router, int(dest))
                for choice in range(k):
                    out, _ = core.probe_route(router, int(local[port]), 0, int(dest), choice, hops, 0)
                    nxt = int(net.port_indptr[router]) + out
                    if net.port_kind[nxt] == PORT_ENDPOINT:
                        continue
                    load[nxt] += mass / k
                    peer = int(net.port_peer[nxt])
                    following[peer] = following.get(peer, 0.0) + mass / k
            frontier, hops = following, hops + 1
    return load


def bounds_and_warnings(spec: dict, core, net, result: dict, link_latency, cycles_per_flit) -> tuple:
    from .spec import mean_packet_size

    hops = result["hops"]["mean"]
    out, warnings = {}, []
    if hops is not None:
        t0 = zero_load_latency(spec, net, link_latency, cycles_per_flit, hops,
                               mean_packet_size(spec["traffic"]["packet_size"]))
        out["zero_load_latency"] = round(t0, 6)
        mean = result["latency"]["packet"]["mean"]
        if mean is not None and mean < t0 - 1e-6:
            warnings.append(f"mean packet latency {mean} is below the zero-load bound {t0:.3f}: a simulator bug")
    theta, how = saturation_bound(spec, core, net)
    out["saturation_bound"] = theta
    out["saturation_bound_from"] = how
    # a network that keeps up with its load carries at most Θ* per endpoint (past saturation, flows that
    # avoid the busiest channel may still deliver more than Θ* on average, which is no violation)
    accepted = result["throughput"]["accepted"]
    if theta is not None and not result["saturated"] and accepted > theta * (1 + THROUGHPUT_ALLOWANCE):
        warnings.append(f"accepted throughput {accepted} is above the saturation bound {theta} in a run that "
                        f"kept up with its load: a simulator bug")
    return out, warnings
