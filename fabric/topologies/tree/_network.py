"""The arrays of fat trees and folded Clos networks (numpy: imported when a network is built)."""
from __future__ import annotations

import numpy as np

from ...network import Network, Ports


def fat_tree_network(k: int, n: int, latency: int) -> Network:
    """k-ary n-tree as BookSim's ``fattree`` builds it: n levels of k^(n-1) routers, level 0 at the top.

    Router ``level * k^(n-1) + pos``. Ports 0..k-1 lead down (on the bottom level they are the endpoints'
    ports: endpoint e on router (n-1, e // k), port e % k), ports k..2k-1 lead up (none on level 0). Which
    down port of a parent meets which up port of a child follows BookSim's channel numbering in
    FatTree::_BuildNet: each channel gets an id from its sender's side and from its receiver's side, and
    the two sides of a channel meet (the result pairs every output with the input of the same port).
    """
    per_level = k ** (n - 1)
    per_direction = k * per_level
    per_level_links = 2 * per_direction
    n_routers = n * per_level
    ports = np.full(n_routers, 2 * k, np.int64)
    ports[:per_level] = k
    indptr = np.concatenate(([0], np.cumsum(ports)))
    sender, receiver = {}, {}        # channel id -> global port
    for level in range(n):
        for pos in range(per_level):
            r = level * per_level + pos
            for port in range(k):
                if level < n - 1:   # down output `port`, and the down input of the same index
                    sender[level * per_level_links + pos * k + port] = indptr[r] + port
                    nbhd = k ** (n - 1 - level)
                    branch = k ** (n - 2 - level)
                    hood, hood_pos = divmod(pos, nbhd)
                    receiver[((level + 1) * per_level_links - per_direction) + hood * nbhd * k
                             + port * branch * k + (hood_pos % branch) * k + hood_pos // branch] = indptr[r] + port
                if level > 0:       # up output k + port, and the up input of the same index
                    sender[level * per_level_links - per_direction + pos * k + port] = indptr[r] + k + port
                    nbhd = k ** (n - level)
                    branch = k ** (n - 1 - level)
                    hood, hood_pos = divmod(pos, nbhd)
                    receiver[(level - 1) * per_level_links + hood * nbhd * k
                             + port * branch * k + (hood_pos % branch) * k + hood_pos // branch] = indptr[r] + k + port
    n_ports = int(indptr[-1])
    arrays = Ports(n_ports)
    channels = list(sender)
    arrays.link([sender[c] for c in channels], [receiver[c] for c in channels], latency)
    n_endpoints = k ** n
    e = np.arange(n_endpoints, dtype=np.int64)
    endpoint_port = indptr[(n - 1) * per_level + e // k] + e % k
    arrays.attach(endpoint_port)
    level = np.arange(n_routers) // per_level
    pos = np.arange(n_routers) % per_level
    below = k ** (n - level)                       # endpoints under a router of this level
    per_hood = k ** (n - 1 - level)                # routers of this level sharing those endpoints
    tree = {
        "tree_lo": ((pos // per_hood) * below).astype(np.int32),
        "tree_span": below.astype(np.int32),
        "tree_branch": (below // k).astype(np.int32),
        "tree_up0": np.full(n_routers, k, np.int32),
        "tree_nup": np.where(level > 0, k, 0).astype(np.int32),
    }
    # router classes by level (BookSim's numbering, 0 at the top): spine at the top, leaf at the bottom
    names = tuple("spine" if i == 0 else "leaf" if i == n - 1 else f"level{i}" for i in range(n)) if n > 1 else ("leaf",)
    return arrays.network("fat_tree", indptr, endpoint_port, {"k": k, "n": n, "level": level, "tree": tree},
                          router_class=np.minimum(level, len(names) - 1).astype(np.int8), router_classes=names)


def clos_network(radix: int, endpoints: int, latency: int, levels: int = 2, leaf_down: int | None = None,
                 planes: int = 1) -> Network:
    """Folded Clos of radix-R switches, in ``planes`` identical copies; every endpoint has one port in
    each plane.

    levels 1: one switch with the endpoints. levels 2: leaves with ``leaf_down`` endpoint ports (default
    R/2) and one link to each of the R - leaf_down spines. levels 3: pods of R/2 leaves and R - leaf_down
    aggregation switches (a leaf links to every aggregation switch of its pod; an aggregation switch has
    R/2 ports down and R/2 up); aggregation switch j of every pod links to each of the R/2 spines of
    spine group j. With fewer endpoints than the maximum, only the leaves (and pods) needed are built.

    Per plane: leaves first (ports 0..leaf_down-1 their endpoints, then the uplinks), then the
    aggregation switches pod by pod (ports 0..R/2-1 down, R/2.. up), then the spines (port i down to
    leaf or pod i). Endpoint ``e`` sits on leaf ``e // leaf_down`` of every plane.
    """
    half = radix // 2
    down = half if leaf_down is None else leaf_down
    up = radix - down
    if levels == 1:
        down, up = endpoints, 0
    leaves = -(-endpoints // down)
    pods = -(-leaves // half) if levels == 3 else 0
    aggs = pods * up
    spines = up * half if levels == 3 else (up if levels == 2 else 0)
    per_plane = leaves + aggs + spines
    n_routers = per_plane * planes
    leaf_ports = down + (up if levels > 1 else 0)
    spine_ports = pods if levels == 3 else leaves
    one = np.array([leaf_ports] * leaves + [radix] * aggs + [spine_ports] * spines, np.int64)
    ports = np.tile(one, planes)
    indptr = np.concatenate(([0], np.cumsum(ports)))
    arrays = Ports(int(indptr[-1]))
    base = np.arange(planes)[:, None] * per_plane           # first router of each plane
    if levels == 2:
        leaf = np.repeat(np.arange(leaves), up)
        spine = np.tile(np.arange(up), leaves)
        lo = indptr[(base + leaf).ravel()] + down + np.tile(spine, planes)
        hi = indptr[(base + leaves + spine).ravel()] + np.tile(leaf, planes)
        arrays.link(lo, hi, latency)
        arrays.link(hi, lo, latency)
    elif levels == 3:
        leaf = np.repeat(np.arange(leaves), up)
        j = np.tile(np.arange(up), leaves)
        pod, i = leaf // half, leaf % half
        lo = indptr[(base + leaf).ravel()] + down + np.tile(j, planes)
        hi = indptr[(base + leaves + pod * up + j).ravel()] + np.tile(i, planes)
        arrays.link(lo, hi, latency)
        arrays.link(hi, lo, latency)
        agg = np.repeat(np.arange(aggs), half)
        s_ = np.tile(np.arange(half), aggs)
        pod, j = agg // up, agg % up
        lo = indptr[(base + leaves + agg).ravel()] + half + np.tile(s_, planes)
        hi = indptr[(base + leaves + aggs + j * half + s_).ravel()] + np.tile(pod, planes)
        arrays.link(lo, hi, latency)
        arrays.link(hi, lo, latency)
    e = np.arange(endpoints, dtype=np.int64)
    slots = indptr[(base + e // down).T] + (e % down)[:, None]        # (endpoints, planes)
    arrays.attach(slots.ravel())
    arrays.peer[slots.ravel()] = np.repeat(e, planes)
    kind = np.repeat(np.array([0] * leaves + [1] * aggs + [2] * spines), 1)
    r = np.arange(per_plane)
    pod_endpoints = half * down
    lo_ = np.select([kind == 0, kind == 1], [r * down, ((r - leaves) // max(up, 1)) * pod_endpoints], 0)
    span = np.select([kind == 0, kind == 1], [down, pod_endpoints], leaves * down)
    branch = np.select([kind == 0, kind == 1], [1, down], pod_endpoints if levels == 3 else down)
    tree = {
        "tree_lo": np.tile(lo_, planes).astype(np.int32),
        "tree_span": np.tile(span, planes).astype(np.int32),
        "tree_branch": np.tile(branch, planes).astype(np.int32),
        "tree_up0": np.tile(np.where(kind == 0, down, half), planes).astype(np.int32),
        "tree_nup": np.tile(np.select([kind == 0, kind == 1], [up if levels > 1 else 0, half], 0),
                            planes).astype(np.int32),
    }
    return arrays.network("clos", indptr, slots[:, 0],
                          {"radix": radix, "leaves": leaves, "spines": spines, "aggregation": aggs,
                           "levels": levels, "planes": planes, "tree": tree},
                          endpoint_planes=slots.astype(np.int32) if planes > 1 else None,
                          router_class=np.tile(kind, planes).astype(np.int8),
                          router_classes=("leaf", "aggregation", "spine"))
