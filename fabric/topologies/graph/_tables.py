"""Distance tables for routing on an arbitrary graph (updown.py, ecmp.py), and the
channel loads those routings put on a graph under uniform traffic (for ``fabric describe``).

Tables hold, for every (router v, destination router t), the hops from v to t: int16, n x n, row v.
A router forwards a packet through any port whose far router is exactly one hop nearer, so every
candidate leads on and the tables alone decide the paths.

up*/down* (Schroeder et al., "Autonet", IEEE JSAC 1991): routers are ordered by (BFS level from the root,
id); a link goes *up* when it leads to a router earlier in that order. A legal path takes up links, then
down links only, so no cycle of channel dependencies can form.
"""
from __future__ import annotations

import numpy as np

from ...errors import FabricError
from ...network import PORT_ENDPOINT, PORT_LINK

UNREACHABLE = np.iinfo(np.int16).max


def links(net):
    """(port, its router, the far router) of every link port."""
    owner = net.port_router
    ports = np.flatnonzero(net.port_kind == PORT_LINK)
    return ports, owner[ports], owner[net.port_peer[ports]]


def shortest(n: int, src, dst, mask=None) -> np.ndarray:
    """Hops from every router to every router over links src -> dst (those selected by mask):
    Bellman-Ford rounds D[v] = min(D[v], min over links v -> w of D[w] + 1), a column block at a time."""
    if mask is not None:
        src, dst = src[mask], dst[mask]
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]]) if len(src) else np.zeros(0, np.int64)
    heads = src[starts]
    dist = np.full((n, n), UNREACHABLE, np.int16)
    np.fill_diagonal(dist, 0)
    if not len(src):
        return dist
    block = max(1, (1 << 24) // max(len(dst), 1))
    for lo in range(0, n, block):
        columns = dist[:, lo:lo + block]
        while True:
            best = np.minimum.reduceat(columns[dst], starts, axis=0)
            best = np.where(best == UNREACHABLE, UNREACHABLE, best + 1).astype(np.int16)
            improved = np.minimum(columns[heads], best)
            if np.array_equal(improved, columns[heads]):
                break
            columns[heads] = improved
    return dist


def updown_order(n: int, src, dst, root: int = 0) -> np.ndarray:
    """Each router's rank in the up*/down* order: by BFS level from ``root``, then id."""
    level = _bfs_levels(n, src, dst, root)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((np.arange(n), level))] = np.arange(n)
    return rank


def _levels_from(n, src, dst, root):
    """BFS levels from root (-1: not reached)."""
    level = np.full(n, -1, np.int64)
    level[root] = 0
    frontier = np.array([root])
    k = 0
    while len(frontier):
        k += 1
        nxt = np.unique(dst[np.isin(src, frontier)])
        nxt = nxt[level[nxt] < 0]
        level[nxt] = k
        frontier = nxt
    return level


def _bfs_levels(n, src, dst, root):
    """BFS levels from root; a router root cannot reach (faults split the network) takes its level from the
    lowest router of its own part, so each part is ordered from a root of its own."""
    level = _levels_from(n, src, dst, root)
    while (level < 0).any():
        part = _levels_from(n, src, dst, int(np.flatnonzero(level < 0)[0]))
        level[part >= 0] = part[part >= 0]
    return level


def tables(net, algorithm: str, root: int = 0, rank=None) -> dict:
    """The core's arrays for table routing ("updown" or "ecmp") on ``net``; up*/down* by the order `rank`
    when given (each router's place: a fault during a run orders the network before and after alike)."""
    n = net.n_routers
    ports, src, dst = links(net)
    port_far = np.full(net.n_ports, -1, np.int32)
    port_far[ports] = dst
    port_up = np.zeros(net.n_ports, np.int8)
    if algorithm == "ecmp":
        dist_any = shortest(n, src, dst)
        dist_down = np.zeros((1, 1), np.int16)
    else:
        if rank is None:
            rank = updown_order(n, src, dst, root)
        up = rank[dst] < rank[src]
        port_up[ports] = up
        dist_down = shortest(n, src, dst, ~up)
        # up* then down*: in order of rank, a router's distance is its down-only one or one more than
        # that of a router an up link leads to (earlier in the order, so already final)
        dist_any = dist_down.copy()
        by_rank = np.argsort(rank)
        order = np.argsort(src[up], kind="stable")
        up_src, up_dst = src[up][order], dst[up][order]
        bounds = np.searchsorted(up_src, np.arange(n + 1))
        for v in by_rank:
            targets = up_dst[bounds[v]:bounds[v + 1]]
            if len(targets):
                via = dist_any[targets].min(axis=0)
                via = np.where(via == UNREACHABLE, UNREACHABLE, via + 1).astype(np.int16)
                np.minimum(dist_any[v], via, out=dist_any[v])
    if "faults" not in net.info and (dist_any == UNREACHABLE).any():
        raise FabricError("topology: some router cannot reach another (the graph is not connected)")
    # (with faults, routers the failures cut apart stay UNREACHABLE: no packet goes between them)
    owner = net.port_router
    eports = np.flatnonzero(net.port_kind == PORT_ENDPOINT)
    return {
        "dist_any": np.ascontiguousarray(dist_any.ravel()),
        "dist_down": np.ascontiguousarray(dist_down.ravel()),
        "port_far": port_far,
        "port_up": port_up,
        # the longest route a packet takes: between routers with endpoints (which, with faults, may be
        # nearer each other than some routers in between are to one another)
        "diameter": _route_diameter(dist_any, np.unique(owner[eports])),
        "_routers_with_endpoints": np.unique(owner[eports]),
    }


def _route_diameter(dist, routers) -> int:
    """The most hops between two routers with endpoints that can reach each other."""
    sub = dist[np.ix_(routers, routers)]
    return int(sub[sub < UNREACHABLE].max(initial=0))


def analyze(net, algorithm: str, root: int = 0) -> dict:
    """Diameter and mean hops of the routing, and the busiest channel's load under uniform traffic with
    every endpoint injecting 1 flit/cycle, traffic split evenly over the candidate ports at every router
    (what the per-packet draws give on average)."""
    t_arrays = tables(net, algorithm, root)
    n = net.n_routers
    ports, src, dst = links(net)
    shortest_dist = shortest(n, src, dst)
    owner = net.port_router
    per_router = np.bincount(owner[net.port_kind == PORT_ENDPOINT], minlength=n).astype(float)
    n_ep = per_router.sum()
    d_any = t_arrays["dist_any"].reshape(n, n)
    up = t_arrays["port_up"][ports].astype(bool)
    d_down = t_arrays["dist_down"].reshape(n, n) if algorithm != "ecmp" else d_any
    load = np.zeros(len(ports))
    hops_sum = 0.0
    weights = np.outer(per_router, per_router) / n_ep if n_ep else np.zeros((n, n))
    d_any_full = t_arrays["dist_any"].reshape(n, n)
    weights[d_any_full == UNREACHABLE] = 0.0        # (pairs the faults cut apart: dropped at the source)
    for t in range(n):
        if per_router[t] == 0:
            continue
        hops_sum += float(weights[:, t] @ d_any[:, t])
        # flow at (router, phase): phase 0 may still go up, phase 1 came down (up*/down* only)
        flow = np.zeros((2, n))
        flow[0] = weights[:, t]
        flow[0, t] = 0.0
        remaining = np.stack([d_any[:, t], d_down[:, t]]).astype(np.int64)
        legs = []
        for phase in (0, 1) if algorithm != "ecmp" else (0,):
            if algorithm == "ecmp":
                ok = d_any[dst, t] == d_any[src, t] - 1
                to_phase = np.zeros(len(ports), np.int64)
            elif phase == 0:
                ok = np.where(up, d_any[dst, t], d_down[dst, t]) == d_any[src, t] - 1
                to_phase = np.where(up, 0, 1)
            else:
                ok = ~up & (d_down[dst, t] == d_down[src, t] - 1)
                to_phase = np.ones(len(ports), np.int64)
            legs.append((phase, ok, to_phase))
        counts = {phase: np.bincount(src[ok], minlength=n) for phase, ok, _ in legs}
        top = int(remaining[remaining < UNREACHABLE].max(initial=0))
        for k in range(top, 0, -1):
            for phase, ok, to_phase in legs:
                here = ok & (remaining[phase, src] == k)
                if not here.any():
                    continue
                share = flow[phase, src[here]] / counts[phase][src[here]]
                load[here] += share
                np.add.at(flow, (to_phase[here], dst[here]), share)
    finite = shortest_dist < UNREACHABLE
    return {
        "diameter": int(shortest_dist[finite].max()),
        "mean_minimal_hops": round(float((weights * np.where(finite, shortest_dist, 0)).sum() / n_ep)
                                   if n_ep else 0.0, 6),
        "mean_route_hops": round(hops_sum / n_ep if n_ep else 0.0, 6),
        "bisection_links": _bisection_estimate(net, src, dst),
        "max_channel_load": float(load.max(initial=0.0)),
    }


def _bisection_estimate(net, src, dst) -> dict:
    """Links crossing the cut of routers [0, n/2) from [n/2, n), both ways: an estimate (an upper
    bound on the bisection; numbering that follows the structure makes it tight)."""
    half = net.n_routers // 2
    crossing = (src < half) != (dst < half)
    return {"count": int(np.count_nonzero(crossing)), "exact": False}
