"""Bounds beside every result, and the warnings a result that breaks one gets.

* Zero-load latency T0, from the pipeline and link settings and the run's own mean hop count h (links):
  T0 = 2 (injection) + P (h + 1) + L h + 1 (ejection) + (S - 1), with P = routing + VC allocation +
  switch allocation + switch traversal delays, L the shortest link's latency (plus its cycles per flit
  - 1) and S the mean packet size. Every packet takes at least its own zero-load time and T0 is linear
  in h, so the mean packet latency can never be below it.
* Saturation bound Θ* (flits per endpoint per cycle) for the run's pattern under its routing: for
  uniform traffic the channel-load bound of ``fabric describe``; for a fixed permutation under a
  deterministic routing, 1 / the most packets any channel carries when every source sends one (the
  routes walked through the core's own route computation). A run that keeps up with its load (not
  saturated) cannot accept more (beyond a small allowance for the window's edges). Other cases give no
  Θ*.
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
    routing = spec["routing"]
    deterministic = (spec["topology"]["kind"] in ("mesh", "hyperx") and routing["algorithm"] == "dor") or (
        spec["topology"]["kind"] == "torus" and routing.get("torus_tie") == "positive")
    if not deterministic or net.endpoint_planes is not None:
        return None, "no closed form for this pattern and routing"
    from .registry import traffic_patterns

    pattern = traffic_patterns.get(t["pattern"]).func(net, t)
    if "dest_table" not in pattern:
        return None, "no closed form for this pattern"
    load = channel_loads(core, net, pattern["dest_table"])
    return (round(min(1.0, 1.0 / load.max()), 6) if load.max() > 0 else 1.0), "channel load of the permutation"


def channel_loads(core, net, dest_table) -> np.ndarray:
    """Packets per channel when every source sends one to its destination (-1: none)."""
    owner = np.repeat(np.arange(net.n_routers), np.diff(net.port_indptr))
    local = np.arange(net.n_ports) - net.port_indptr[owner]
    load = np.zeros(net.n_ports)
    for source, dest in enumerate(np.asarray(dest_table)):
        if dest < 0:
            continue
        port, hops = int(net.endpoint_port[source]), 0
        while hops < 10_000:
            router = int(owner[port])
            out, _ = core.probe_route(router, int(local[port]), 0, int(dest), 0, hops, 0)
            nxt = int(net.port_indptr[router]) + out
            if net.port_kind[nxt] == PORT_ENDPOINT:
                break
            load[nxt] += 1
            port, hops = int(net.port_peer[nxt]), hops + 1
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
