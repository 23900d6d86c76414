"""Faults ([faults]): failed links, switches and planes, and degraded links, applied to a built network.

A failed link loses both directions: its two ports become unconnected (as a mesh's edge ports are). A
failed switch loses every port: its links, and the ports of the endpoints attached to it (in a network
of planes, the endpoint keeps its ports in the other planes). A failed plane is every switch of it. A
degraded link keeps working with its own cycles per flit and latency. The network that is left is routed
by tables over the links that survive (docs/faults.md), and endpoints it cannot join are reported, their
traffic dropped at the source.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .errors import FabricError
from .network import PORT_ENDPOINT, PORT_LINK, PORT_NONE


def active(faults: dict) -> bool:
    """The spec's [faults] change the network."""
    return bool(faults["links"] or faults["link_fraction"] > 0 or faults["switches"] or faults["planes"]
                or faults["degraded"])


def router_planes(net) -> np.ndarray:
    """Each router's plane (its block of n_routers / planes routers; 0 without planes)."""
    planes = net.planes
    return np.arange(net.n_routers) // (net.n_routers // planes) if planes > 1 else np.zeros(net.n_routers, int)


def link_ports(net, a: int, b: int, where: str) -> np.ndarray:
    """The ports of router a's links to router b (both directions), or a FabricError naming `where`."""
    for r in (a, b):
        if not 0 <= r < net.n_routers:
            raise FabricError(f"{where}: router {r} does not exist (the network has routers 0 to {net.n_routers - 1})")
    lo, hi = net.port_indptr[a], net.port_indptr[a + 1]
    ports = lo + np.flatnonzero((net.port_kind[lo:hi] == PORT_LINK) & (net.port_router[net.port_peer[lo:hi]] == b))
    if not len(ports):
        raise FabricError(f"{where}: routers {a} and {b} have no link between them")
    return np.concatenate([ports, net.port_peer[ports]])


def _level_links(net, name: str, ports: np.ndarray) -> np.ndarray:
    """The link ports of `ports` in link class `name`, or between router classes 'A-B' (either way)."""
    if name in net.link_classes:
        return ports[net.port_class[ports] == net.link_classes.index(name)]
    if "-" in name:
        a, b = name.split("-", 1)
        if a in net.router_classes and b in net.router_classes:
            ca, cb = net.router_class[net.port_router[ports]], net.router_class[net.port_router[net.port_peer[ports]]]
            ia, ib = net.router_classes.index(a), net.router_classes.index(b)
            return ports[((ca == ia) & (cb == ib)) | ((ca == ib) & (cb == ia))]
    pairs = [f"{a}-{b}" for i, a in enumerate(net.router_classes) for b in net.router_classes[i:]]
    raise FabricError(f"faults.link_class: a {net.kind} has link classes {', '.join(net.link_classes)} and router "
                      f"classes {', '.join(net.router_classes)} (links between two: {', '.join(pairs)}), not {name!r}")


def apply(net, faults: dict):
    """The network with the faults applied (a new Network; `net` is left as it was), its ``info["faults"]``
    describing them; FabricError for a fault that names nothing, or that leaves no two endpoints joined."""
    dead_switches = _failed_switches(net, faults)
    dead = _failed_ports(net, faults, dead_switches)
    kind = net.port_kind.copy()
    kind[dead] = PORT_NONE
    switch_ports = np.isin(net.port_router, np.asarray(sorted(dead_switches), np.int64))
    info = dict(net.info)
    info["faults"] = {"dead_ports": dead, "dead_endpoint_ports": np.flatnonzero(switch_ports & (kind == PORT_ENDPOINT)),
                      "dead_switches": sorted(dead_switches), "failed_links": len(dead) // 2,
                      **_degraded(net, faults, kind)}
    out = dataclasses.replace(net, port_kind=kind, info=info)
    info["faults"]["components"] = components = endpoint_components(out)
    if not _any_pair_joined(components):
        raise FabricError("faults: no two endpoints are joined any more: the faults disconnect everything")
    if not faults["at_cycle"]:
        return out
    # a fault during the run: the run starts on the whole network, which knows what comes
    if faults["degraded"]:
        raise FabricError("faults.degraded: a degraded link works so from the start; at_cycle is when links, "
                          "switches and planes fail (leave degraded out, or at_cycle at 0)")
    whole = dict(net.info)
    whole["faults"] = {**info["faults"], "at_cycle": faults["at_cycle"], "after": out,
                       "components_before": endpoint_components(net)}
    return dataclasses.replace(net, info=whole)


def _failed_switches(net, faults: dict) -> set:
    """The routers of faults.switches and of faults.planes."""
    dead = set()
    for r in faults["switches"]:
        if r >= net.n_routers:
            raise FabricError(f"faults.switches: router {r} does not exist (the network has routers 0 to "
                              f"{net.n_routers - 1})")
        dead.add(int(r))
    if faults["planes"]:
        if net.planes == 1:
            raise FabricError(f"faults.planes: this {net.kind} has one plane (a clos with topology.planes has more)")
        plane = router_planes(net)
        for q in faults["planes"]:
            if q >= net.planes:
                raise FabricError(f"faults.planes: plane {q} does not exist (planes 0 to {net.planes - 1})")
            dead.update(np.flatnonzero(plane == q).tolist())
    return dead


def _failed_ports(net, faults: dict, dead_switches: set) -> np.ndarray:
    """Both ports of every failed link: those listed, those drawn (link_fraction), those of failed switches."""
    dead = set()
    for i, (a, b) in enumerate(faults["links"]):
        dead.update(int(p) for p in link_ports(net, a, b, f"faults.links[{i}]"))
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    if faults["link_fraction"] > 0:
        pool = links[links < net.port_peer[links]]             # each link once, by its lower port
        if faults["link_class"]:
            pool = _level_links(net, faults["link_class"], pool)
        count = int(round(faults["link_fraction"] * len(pool)))
        drawn = np.random.default_rng(faults["seed"]).permutation(len(pool))[:count]
        for p in pool[np.sort(drawn)]:
            dead.update((int(p), int(net.port_peer[p])))
    for r in dead_switches:
        ports = np.arange(net.port_indptr[r], net.port_indptr[r + 1])
        for p in ports[net.port_kind[ports] == PORT_LINK]:
            dead.update((int(p), int(net.port_peer[p])))
    return np.asarray(sorted(dead), np.int64)


def _degraded(net, faults: dict, kind) -> dict:
    """faults.degraded: each link's ports, cycles per flit and latency (for build.link_settings)."""
    listed, ports_of, cycles, latencies = [], [], [], []
    for i, d in enumerate(faults["degraded"]):
        ports = link_ports(net, *d["link"], f"faults.degraded[{i}].link")
        if (kind[ports] != PORT_LINK).any():
            raise FabricError(f"faults.degraded[{i}].link: routers {d['link'][0]} and {d['link'][1]}'s link has "
                              f"failed (faults.links, link_fraction, switches or planes)")
        latency = np.broadcast_to(d["latency"] or net.port_latency[ports], (len(ports),))
        ports_of.append(ports)
        cycles.append(np.full(len(ports), d["cycles_per_flit"]))
        latencies.append(latency)
        listed.append({"link": list(d["link"]), "cycles_per_flit": d["cycles_per_flit"], "latency": int(latency[0])})
    empty = np.zeros(0, np.int64)
    return {"degraded": listed, "degraded_ports": np.concatenate(ports_of) if ports_of else empty,
            "degraded_cycles": np.concatenate(cycles) if cycles else empty,
            "degraded_latency": np.concatenate(latencies) if latencies else empty}


def after(net):
    """The network as the faults leave it (for a fault during the run, the one after it)."""
    f = net.info.get("faults")
    return f["after"] if f and f.get("at_cycle") else net


def endpoint_components(net) -> np.ndarray:
    """(planes, endpoints) labels: endpoints with the same label in a plane are joined by surviving links
    there; -1 for an endpoint whose port in that plane is on a failed switch."""
    label = router_components(net)
    owner = net.port_router
    slots = net.endpoint_port[:, None] if net.endpoint_planes is None else net.endpoint_planes
    dead = net.info.get("faults", {}).get("dead_endpoint_ports", np.zeros(0, np.int64))
    comp = label[owner[slots]].T.astype(np.int32)                  # (planes, endpoints)
    comp[np.isin(slots.T, dead)] = -1
    return comp


def _any_pair_joined(components: np.ndarray) -> bool:
    for c in components:
        live = c[c >= 0]
        if len(live) > len(np.unique(live)):
            return True
    return False


def unreachable(components: np.ndarray) -> tuple[int, list]:
    """(ordered pairs of distinct endpoints joined in no plane, a few of them)."""
    n = components.shape[1]
    if n > 4096:
        if len(components) > 1:
            return -1, []       # (not counted: pairs joined in some plane, over many endpoints)
        c = components[0]       # one plane: count by its labels
        _, counts = np.unique(c[c >= 0], return_counts=True)
        return n * (n - 1) - int((counts * (counts - 1)).sum()), []
    joined = np.zeros((n, n), bool)
    for c in components:
        joined |= (c[:, None] == c[None, :]) & (c[:, None] >= 0)
    np.fill_diagonal(joined, True)
    missing = np.argwhere(~joined)
    return int(len(missing)), [[int(a), int(b)] for a, b in missing[:10]]


def reroutes(net) -> bool:
    """Links or switches have failed: the routing must go around them (a degraded link needs no other route)."""
    f = net.info.get("faults")
    return bool(f and (f["failed_links"] or f["dead_switches"]))


# The routings that take a network with failed links or switches: tables recomputed over the surviving
# links. nca (clos, fat tree) becomes ecmp's shortest surviving paths.
TABLE_ROUTINGS = ("updown", "ecmp")


def compile_routing(net, spec: dict, routings) -> dict:
    """The core settings of spec's routing on the faulty network `net`."""
    algorithm = spec["routing"]["algorithm"]
    if net.info["faults"].get("at_cycle"):
        return _compile_during_run(net, spec)
    if algorithm in TABLE_ROUTINGS:
        routing = routings.get(algorithm).func(net, spec["routing"])
    elif algorithm == "nca":
        routing = routings.get("ecmp").func(net, {"hop_classes": True})
    else:
        raise FabricError(f"routing.algorithm: {algorithm} cannot route around failed links or switches; updown "
                          f"(up*/down*, deadlock-free on any graph) and ecmp (shortest paths, a VC class per hop) "
                          f"can, over tables of the links that survive, and nca on a clos or fat tree becomes ecmp")
    classes = routing.get("settings", {}).get("hop_classes", 1)
    if algorithm != "updown" and not routing["settings"].get("ecmp_any_vc") and spec["router"]["vcs"] < classes:
        raise FabricError(f"router.vcs: with these faults the longest shortest path is {classes} hops, and "
                          f"{algorithm} {'(as ecmp) ' if algorithm == 'nca' else ''}needs a VC class per hop: "
                          f"{classes} VCs or more, got {spec['router']['vcs']}")
    return routing


def router_components(net) -> np.ndarray:
    """Each router's label: routers with the same one are joined by surviving links."""
    ports = np.flatnonzero(net.port_kind == PORT_LINK)
    owner = net.port_router
    label = np.arange(net.n_routers)
    src, dst = owner[ports], owner[net.port_peer[ports]]
    while True:
        new = label.copy()
        np.minimum.at(new, src, label[dst])
        new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def summary(net, counters: dict | None = None) -> dict:
    """The result's (and describe's) ``faults``: what failed, what is left joined, and (a run's counters
    given) the traffic dropped at its sources for destinations cut off."""
    f = net.info["faults"]
    components = f["components"]
    count, examples = unreachable(components)
    out = {"failed_links": f["failed_links"], "failed_switches": f["dead_switches"][:64],
           "failed_switch_count": len(f["dead_switches"]), "degraded": f["degraded"],
           "endpoint_groups": int(max((len(np.unique(c[c >= 0])) for c in components), default=0)),
           "endpoints_cut_off": int((components < 0).all(axis=0).sum()),
           "unreachable_pairs": count if count >= 0 else None, "unreachable_examples": examples}
    if f.get("at_cycle"):
        out["at_cycle"] = f["at_cycle"]
    if counters is not None:
        out["dropped"] = {"packets": int(counters["dropped_packets"]), "flits": int(counters["dropped_flits"])}
        if f.get("at_cycle"):
            out["during_run"] = {"in_flight_flits": int(counters["in_flight_at_fault"]),
                                 "drained_flits": int(counters["drained_flits"]),
                                 "dropped_from_queues": int(counters["dropped_in_queue"])}
    return out


def _compile_during_run(net, spec: dict) -> dict:
    """up*/down* for a fault during the run: tables of the whole network and of what is left, both by the
    order of what is left (BFS levels from the root there, then id), so a path of either, or a packet
    begun on one, is up*/down* in the one order: no cycle of channel dependencies between the packets
    before and after the fault."""
    from .constants import ROUTING_MODES
    from .topologies.graph._tables import _levels_from, links, tables
    from .topologies.graph.updown import root_of

    algorithm = spec["routing"]["algorithm"]
    if algorithm != "updown":
        raise FabricError(f"routing.algorithm: with faults.at_cycle (a fault during the run) the routing must be "
                          f"updown (its tables before and after the fault share one order, which keeps the "
                          f"packets of both free of deadlock), not {algorithm}")
    post = net.info["faults"]["after"]
    _, src, dst = links(post)
    label = router_components(post)
    comps = net.info["faults"]["components"]
    live = np.unique(label[post.endpoint_router[(comps >= 0).any(axis=0)]]) if net.planes == 1 else None
    if live is None or len(live) != 1:
        raise FabricError("faults.at_cycle: these faults split the network into parts that each keep endpoints; a "
                          "fault during the run may cut off switches and their endpoints, not split what is left "
                          "(fail them from the start, at_cycle 0)")
    root = root_of(post, spec["routing"])
    if label[root] != live[0]:
        root = int(np.flatnonzero(label == live[0])[0])
    # the order: BFS levels from the root over what is left, then id; routers cut off from it come last, so
    # that in the whole network they go up into it and are reached going down (every pair keeps a way)
    level = _levels_from(post.n_routers, src, dst, root)
    level[level < 0] = level.max() + 1
    rank = np.empty(post.n_routers, np.int64)
    rank[np.lexsort((np.arange(post.n_routers), level))] = np.arange(post.n_routers)
    before, later = tables(net, "updown", rank=rank), tables(post, "updown", rank=rank)
    n = net.n_routers
    for name, t, routers in (("before", before, np.unique(net.endpoint_router)),
                             ("after", later, np.flatnonzero(label == live[0]))):
        d = t["dist_any"].reshape(n, n)[np.ix_(routers, routers)]
        if (d >= np.iinfo(np.int16).max).any():
            raise FabricError(f"faults.at_cycle: up*/down* finds no way between some routers {name} the fault, in "
                              f"the order of the network after it")
    keys = ("dist_any", "dist_down", "port_far", "port_up")
    arrays = {**{k: before[k] for k in keys}, **{f"{k}_after": later[k] for k in keys}}
    return {"mode": ROUTING_MODES["table_updown"], "arrays": arrays, "settings": {"packet_keys": True}}


def core_arrays(net) -> dict:
    """The core's arrays of a network with faults: the endpoints joined (plane by plane), and for a fault
    during the run, those before and after it, its cycle and the ports that fail then."""
    f = net.info["faults"]
    if not f.get("at_cycle"):
        return {"ep_component": f["components"].ravel()}
    failed = np.zeros(net.n_ports, np.uint8)
    failed[f["dead_ports"]] = 1
    return {"ep_component": f["components_before"].ravel(), "ep_component_after": f["components"].ravel(),
            "fault_at": int(f["at_cycle"]), "port_failed": failed}
