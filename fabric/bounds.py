"""Bounds beside every result, and the warnings a result that breaks one gets.

* Zero-load latency T0, from the pipeline and link settings and the run's own mean hop count h (links):
  T0 = 2 (injection) + P (h + 1) + L h + 1 (ejection) + (S - 1), with P = routing + VC allocation +
  switch allocation + switch traversal delays, L the shortest link's latency (plus its cycles per flit
  - 1) and S the mean packet size. Every packet takes at least its own zero-load time and T0 is linear
  in h, so the mean packet latency can never be below it.
* Saturation bound Θ* (flits per endpoint per cycle) for the run's pattern under its routing. Uniform
  traffic takes the channel-load bound of ``fabric describe``. For other patterns whose pairs are known
  in advance (permutations, all_to_all, hotspot, matrix), Θ* = 1 / the busiest channel's expected load
  when every source injects 1 flit per cycle:
  - oblivious routings (dimension order, nca, dragonfly min, updown, ecmp; planes picked by hash or at
    random): every pair's flow follows the core's own route computation, split evenly where the routing
    draws at random. Exact (Dally & Towles, sec. 3.3.1).
  - adaptive and non-minimal routings (anca, hyperx adaptive, valiant, ugal, least_loaded planes): an
    upper bound that holds for any routing, from the loads no routing can avoid: each injection and
    ejection channel, the links out of and into each router, and all links together when every flow
    takes a shortest path.
  A run that keeps up with its load (not saturated) cannot accept more, beyond a small allowance for
  the window's edges. Traffic classes mix at their shares of the total rate, and Θ* is then the total.
  On a network too large for a router-by-router demand (a dense pattern, over 2,100 routers), the
  bound for any routing keeps the injection, ejection and router-cut terms, which need no pairs; a
  matrix pattern with many rows there, or several classes, gives no Θ*, with the reason.
"""
from __future__ import annotations

import numpy as np

from .constants import DEST_MODES, PLANE_POLICIES
from .description import channel_loads  # noqa: F401 (tests and callers import it from here)
from .network import PORT_LINK

THROUGHPUT_ALLOWANCE = 0.03     # accepted may pass Θ* by this share: flits queued before the window


def zero_load_latency(spec: dict, net, link_latency, cycles_per_flit, hops: float, mean_size: float) -> float:
    r = spec["router"]
    # the fastest router class's cycles per router: its stages, internal_speedup of them a cycle at most
    per_router = min((s["routing_delay"] + s["vc_alloc_delay"] + s["sw_alloc_delay"] + s["st_delay"])
                     / (s["internal_speedup"] if s["kind"] == "iq" else 1)
                     for s in [r] + [{**r, **c} for c in r.get("classes", {}).values()])
    links = net.port_kind == PORT_LINK
    shortest = int((link_latency + cycles_per_flit - 1)[links].min()) if links.any() else 0
    return 2 + per_router * (hops + 1) + shortest * hops + 1 + (mean_size - 1)


MAX_DENSE_ROUTERS = 2100        # dense router-by-router demand (all_to_all, hotspot, matrix, uniform)
MAX_DISTANCE_ROUTERS = 1024     # the capacity term needs every router pair's distance
MAX_WALK = 50_000_000           # port visits x ports per router in the exact walk (about a second)


def saturation_bound(spec: dict, core, net):
    """Θ* and how it was found, or (None, reason). With traffic classes, Θ* is the total offered load
    (all classes' rates scaled together) at which the mix reaches the bound."""
    t = spec["traffic"]
    kind, algorithm = spec["topology"]["kind"], spec["routing"]["algorithm"]
    mix = [t] + list(t.get("classes", {}).values())
    faulty = "faults" in net.info
    if faulty and net.info["faults"].get("at_cycle"):
        return None, "a fault during the run: the network changes at faults.at_cycle (describe gives the bound after it)"
    if faulty and net.planes > 1:
        return None, "faults in a network of planes: each pair's flow splits over the planes that join it (not summed)"
    if len(mix) == 1 and t["pattern"] == "uniform" and not faulty \
            and not (kind in ("graph", "composite") and net.n_routers > 256):
        from .description import describe

        return describe(spec)["uniform"]["saturation_bound"], "channel-load bound under uniform traffic"
    from .registry import routings, traffic_patterns

    patterns = [{"uniform": True} if c["pattern"] == "uniform" else traffic_patterns.get(c["pattern"]).func(net, c)
                for c in mix]
    demands = [Demand.of(pattern, net) for pattern in patterns]
    if len(mix) == 1 and isinstance(demands[0], str) and net.n_routers > MAX_DENSE_ROUTERS:
        load = large_network_load(patterns[0], net, spec)
        if load is not None:
            return _theta(load), "upper bound for any routing: injection, ejection and each router's links"
    for demand in demands:
        if isinstance(demand, str):
            return None, demand
    if faulty:          # flows between routers the faults cut apart are dropped at their sources
        from .faults import router_components

        label = router_components(net)
        for demand in demands:
            keep = label[demand.src] == label[demand.dst]
            demand.src, demand.dst, demand.weight = demand.src[keep], demand.dst[keep], demand.weight[keep]
    total = sum(c["injection_rate"] for c in mix)
    demand = Demand.mix(demands, [c["injection_rate"] / total if total > 0 else 1 / len(mix) for c in mix], net)
    _, cpf = _link_capacity(spec, net)
    policy = net.info.get("plane_policy", PLANE_POLICIES["hash"])
    # a routing registered oblivious=True: its paths do not depend on the network's state, and the walk of
    # its route computation, split evenly where it draws at random, gives its exact loads
    oblivious = routings.get(algorithm).extra.get("oblivious", False) and policy != PLANE_POLICIES["least_loaded"]
    if oblivious and demand.walk_cost(net) <= MAX_WALK:
        load = channel_loads(core, net, demand)
        busiest = max((load * cpf).max(initial=0.0), demand.endpoint_load(net))
        return _theta(busiest), "exact: channel and ejection loads of the pattern under this oblivious routing"
    return _theta(upper_bound_load(spec, net, demand)), (
        "upper bound for any routing: injection, ejection, each router's links and all links at minimal hops")


def _theta(busiest: float) -> float:
    return float(f"{min(1.0, 1.0 / busiest):.6g}") if busiest > 0 else 1.0     # 6 significant digits


class Demand:
    """A pattern's traffic when every source injects 1 flit per cycle, summed per (source router,
    destination router) of plane 0 (every route depends on the destination's router only, until the
    last hop), with each endpoint's total sent and received."""

    def __init__(self, src, dst, weight, sent, received):
        self.src, self.dst, self.weight = src, dst, weight          # router pairs, flits per cycle
        self.sent, self.received = sent, received                   # per endpoint

    @classmethod
    def of(cls, pattern: dict, net):
        """The demand of a pattern whose pairs are known in advance, or the reason it has none."""
        n = net.n_endpoints
        router = net.endpoint_router
        n_r = net.n_routers
        scale = np.broadcast_to(np.asarray(pattern.get("rate_scale", 1.0), float), (n,)).copy()
        if "dest_table" in pattern:
            dest = np.asarray(pattern["dest_table"], np.int64)
            ok = (dest >= 0) & (scale > 0)
            sent = np.where(ok, scale, 0.0)
            received = np.bincount(dest[ok], sent[ok], minlength=n)
            return cls._sparse(router[ok], router[dest[ok]], sent[ok], n_r, sent, received)
        if n_r > MAX_DENSE_ROUTERS:
            return f"more than {MAX_DENSE_ROUTERS} routers: the pattern's pairs were not summed"
        per_router = np.bincount(router, minlength=n_r).astype(float)
        out = np.bincount(router, scale, minlength=n_r)
        if pattern.get("uniform"):                                   # BookSim's uniform: self included
            return cls._dense(np.outer(out, per_router) / n, scale, np.full(n, scale.sum() / n))
        if pattern.get("dest_mode") == DEST_MODES["rotate"]:         # all_to_all: each other endpoint
            w = np.outer(out, per_router) / (n - 1)
            w[np.diag_indices(n_r)] -= out / (n - 1)
            return cls._dense(w, scale, (scale.sum() - scale) / (n - 1))
        if "alias_lo" in pattern:                                    # hotspot, matrix: a table per row
            to_router, row_of, received = alias_rows(pattern, router, scale, n_r)
            by_router_row = np.zeros((n_r, len(to_router)))
            np.add.at(by_router_row, (router, row_of), scale)
            return cls._dense(by_router_row @ to_router, scale, received)
        return "this pattern's pairs are not known in advance"

    @classmethod
    def mix(cls, demands: list, shares: list, net):
        """Traffic classes together, each at its share of the total rate."""
        if len(demands) == 1:
            return demands[0]
        return cls._sparse(np.concatenate([d.src for d in demands]), np.concatenate([d.dst for d in demands]),
                           np.concatenate([d.weight * f for d, f in zip(demands, shares)]), net.n_routers,
                           sum(d.sent * f for d, f in zip(demands, shares)),
                           sum(d.received * f for d, f in zip(demands, shares)))

    @classmethod
    def _dense(cls, w, sent, received):
        src, dst = np.nonzero(w > 1e-15)
        return cls(src, dst, w[src, dst], sent, received)

    @classmethod
    def _sparse(cls, src, dst, weight, n_r, sent, received):
        key, inverse = np.unique(src.astype(np.int64) * n_r + dst, return_inverse=True)
        return cls(key // n_r, key % n_r, np.bincount(inverse, weight), sent, received)

    def endpoint_load(self, net) -> float:
        """The busiest injection or ejection channel's load (an endpoint has a port in each plane)."""
        return max(self.sent.max(initial=0.0), self.received.max(initial=0.0)) / net.planes

    def walk_cost(self, net) -> int:
        """About how much work the exact walk does: the ports it visits (per destination router at most
        every port) times the ports per router (a routing with several ways probes each)."""
        per_dest = np.bincount(self.dst, minlength=net.n_routers)
        return int(np.minimum(per_dest * 64, net.n_ports).sum()) * net.planes * net.n_ports // net.n_routers


def upper_bound_load(spec: dict, net, demand: Demand) -> float:
    """The busiest load any routing must put somewhere: on an injection or ejection channel, on the
    links leaving or entering one router (the flow between its endpoints and the rest), or on all
    links on average, with every flow on a shortest path."""
    leaves = demand.src != demand.dst
    busiest = max(demand.endpoint_load(net), _router_cut_load(
        spec, net, *(np.bincount(side[leaves], demand.weight[leaves], minlength=net.n_routers)
                     for side in (demand.src, demand.dst))))
    if net.n_routers <= MAX_DISTANCE_ROUTERS:
        from .topologies.graph._tables import links, shortest

        _, a, b = links(net)
        hops = shortest(net.n_routers, a, b)[demand.src, demand.dst].astype(float)
        busiest = max(busiest, float(demand.weight @ hops) / _link_capacity(spec, net)[0].sum())
    return busiest


def alias_rows(pattern: dict, router, scale, n_r: int):
    """A hotspot or matrix pattern's alias tables (one per row, Walker's method: each entry picks its
    destination with probability prob, else its alias) as each row's share per destination router,
    each source's row, and each endpoint's received flits when every source injects `scale`."""
    lo = np.asarray(pattern["alias_lo"], np.int64)
    n_rows = len(lo) - 1
    rows = np.repeat(np.arange(n_rows), np.diff(lo))
    m = np.diff(lo)[rows].astype(float)
    prob = np.asarray(pattern["alias_prob"], float)
    dest = np.asarray(pattern["alias_dest"], np.int64)
    alias_dest = dest[np.asarray(pattern["alias_idx"], np.int64)]
    row_of = np.asarray(pattern["alias_row"], np.int64)
    to_router = np.zeros((n_rows, n_r))
    np.add.at(to_router, (rows, router[dest]), prob / m)
    np.add.at(to_router, (rows, router[alias_dest]), (1 - prob) / m)
    row_weight = np.bincount(row_of, scale, minlength=n_rows)
    received = np.zeros(len(router))
    np.add.at(received, dest, row_weight[rows] * prob / m)
    np.add.at(received, alias_dest, row_weight[rows] * (1 - prob) / m)
    return to_router, row_of, received


def large_network_load(pattern: dict, net, spec: dict):
    """The injection, ejection and router-cut loads of a dense pattern on a network too large for a
    router-by-router demand (None for a matrix pattern of many rows): each source's traffic that stays
    on its own router is all that a router's links do not carry."""
    n = net.n_endpoints
    router = net.endpoint_router
    per_router = np.bincount(router, minlength=net.n_routers).astype(float)
    scale = np.broadcast_to(np.asarray(pattern.get("rate_scale", 1.0), float), (n,))
    if pattern.get("uniform"):
        received, stays = np.full(n, scale.sum() / n), per_router[router] / n
    elif pattern.get("dest_mode") == DEST_MODES["rotate"]:
        received, stays = (scale.sum() - scale) / (n - 1), (per_router[router] - 1) / (n - 1)
    elif "alias_lo" in pattern and (len(pattern["alias_lo"]) - 1) * net.n_routers <= 4_000_000:
        to_router, row_of, received = alias_rows(pattern, router, scale, net.n_routers)
        stays = to_router[row_of, router]
    else:
        return None
    leaving = np.bincount(router, scale * (1 - stays), minlength=net.n_routers)
    arriving = np.bincount(router, received, minlength=net.n_routers) - np.bincount(router, scale * stays,
                                                                                   minlength=net.n_routers)
    return max(max(scale.max(initial=0.0), received.max(initial=0.0)) / net.planes,
               _router_cut_load(spec, net, leaving, arriving))


def _router_cut_load(spec: dict, net, *flows) -> float:
    """The busiest router's links under flows per router (flits per cycle leaving, or entering, its
    endpoints' router): each over the capacity of that router's links, in every plane (planes are
    identical copies)."""
    capacity, _ = _link_capacity(spec, net)
    router_capacity = np.bincount(net.port_router, capacity, minlength=net.n_routers) * net.planes
    busiest = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for flow in flows:
            busiest = max(busiest, float(np.where(flow > 1e-12, flow / router_capacity, 0).max(initial=0.0)))
    return busiest


def _link_capacity(spec: dict, net):
    """Each port's link capacity in flits per cycle (0 off links) and its cycles per flit."""
    from .build import link_settings

    _, cpf = link_settings(net, spec["link"])
    cpf = np.maximum(cpf.astype(float), 1.0)
    return np.where(net.port_kind == PORT_LINK, 1.0 / cpf, 0.0), cpf


def bounds_and_warnings(spec: dict, core, net, result: dict, link_latency, cycles_per_flit,
                        closed_loop: bool = False) -> tuple:
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
    theta, how = (None, "closed loop: the workload sets its own pace") if closed_loop else (
        saturation_bound(spec, core, net))
    out["saturation_bound"] = theta
    out["saturation_bound_from"] = how
    # a network that keeps up with its load carries at most Θ* per endpoint (past saturation, flows that
    # avoid the busiest channel may still deliver more than Θ* on average, which is no violation)
    accepted = result["throughput"]["accepted"]
    if theta is not None and not result["saturated"] and accepted > theta * (1 + THROUGHPUT_ALLOWANCE):
        warnings.append(f"accepted throughput {accepted} is above the saturation bound {theta} in a run that "
                        f"kept up with its load: a simulator bug")
    return out, warnings
