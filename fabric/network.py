"""The built network as flat arrays: what a topology builder returns and the core consumes.

Ports are numbered globally; router ``r`` owns ports ``port_indptr[r]:port_indptr[r+1]``. Every port has
an input side (a set of VC buffers) and an output side (a set of output VCs with credit counters).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .constants import PORT_ENDPOINT, PORT_LINK, PORT_NONE  # noqa: F401 (the builders import them from here)
from .errors import FabricError


@dataclass(frozen=True)
class Network:
    """A topology's routers, ports, links and endpoints.

    Attributes
    ----------
    kind : str
    n_routers, n_endpoints : int
    port_indptr : ndarray of shape (n_routers + 1,), dtype=int32
    port_kind : ndarray of shape (n_ports,), dtype=int8         PORT_NONE / PORT_LINK / PORT_ENDPOINT
    port_peer : ndarray of shape (n_ports,), dtype=int32        link: far-end port; endpoint: endpoint id
    port_latency : ndarray of shape (n_ports,), dtype=int32     cycles on the link leaving this port
    endpoint_port : ndarray of shape (n_endpoints,), dtype=int32  the router port the endpoint attaches to
    router_coords : ndarray of shape (n_routers, n_dims), dtype=int32  (regular topologies)
    dims : tuple of int
    port_class : ndarray of shape (n_ports,), dtype=int8        link class of the link leaving the port,
                                                                an index into link_classes
    link_classes : tuple of str                                 the class names (``[link.classes.NAME]``)
    endpoint_planes : ndarray of shape (n_endpoints, planes), dtype=int32, or None  an endpoint's port in
                                                                each plane, when it has more than one
    """

    kind: str
    n_routers: int
    n_endpoints: int
    port_indptr: np.ndarray
    port_kind: np.ndarray
    port_peer: np.ndarray
    port_latency: np.ndarray
    endpoint_port: np.ndarray
    router_coords: np.ndarray
    dims: tuple = ()
    info: dict = field(default_factory=dict)
    port_class: np.ndarray | None = None
    link_classes: tuple = ("link",)
    endpoint_planes: np.ndarray | None = None     # (n_endpoints, planes): each endpoint's port per plane

    def __post_init__(self):
        if self.port_class is None:
            object.__setattr__(self, "port_class", np.zeros(len(self.port_kind), np.int8))

    def links_by_class(self) -> dict:
        """Unidirectional router-to-router channels per link class."""
        links = self.port_kind == PORT_LINK
        return {name: int(np.count_nonzero(links & (self.port_class == i)))
                for i, name in enumerate(self.link_classes)}

    @property
    def planes(self) -> int:
        """Ports per endpoint, one in each plane."""
        return 1 if self.endpoint_planes is None else self.endpoint_planes.shape[1]

    @property
    def port_router(self) -> np.ndarray:
        """The router that owns each port."""
        return np.repeat(np.arange(self.n_routers), np.diff(self.port_indptr))

    @property
    def endpoint_router(self) -> np.ndarray:
        """The router of each endpoint (in plane 0)."""
        return self.port_router[self.endpoint_port]

    @property
    def n_ports(self) -> int:
        return int(self.port_indptr[-1])

    @property
    def n_links(self) -> int:
        """Unidirectional router-to-router channels."""
        return int(np.count_nonzero(self.port_kind == PORT_LINK))

    def check(self) -> None:
        """Verify shapes and that links pair up (each link port's peer's peer is itself)."""
        n = self.n_ports
        assert self.port_indptr.shape == (self.n_routers + 1,)
        assert np.all(np.diff(self.port_indptr) >= 0)
        for a in (self.port_kind, self.port_peer, self.port_latency):
            assert a.shape == (n,)
        links = np.flatnonzero(self.port_kind == PORT_LINK)
        assert np.all(self.port_kind[self.port_peer[links]] == PORT_LINK)
        assert np.all(self.port_peer[self.port_peer[links]] == links), "link ports must pair up"
        eps = np.flatnonzero(self.port_kind == PORT_ENDPOINT)
        planes = self.planes
        assert np.array_equal(np.sort(self.port_peer[eps]), np.repeat(np.arange(self.n_endpoints), planes))
        assert np.all(self.port_peer[self.endpoint_port] == np.arange(self.n_endpoints))
        if self.endpoint_planes is not None:
            assert np.array_equal(self.endpoint_planes[:, 0], self.endpoint_port)


class _Ports:
    """The three per-port arrays a builder fills: every port starts unconnected."""

    def __init__(self, n_ports: int):
        self.kind = np.zeros(n_ports, np.int8)
        self.peer = np.full(n_ports, -1, np.int32)
        self.latency = np.ones(n_ports, np.int32)
        self.cls = np.zeros(n_ports, np.int8)

    def link(self, out, back, latency, cls=0) -> None:
        """Output ports `out` feed the input side of ports `back` (the reverse direction is set by the
        builder's own call for `back`), over links of class index `cls`."""
        self.kind[out] = PORT_LINK
        self.peer[out] = back
        self.latency[out] = latency
        self.cls[out] = cls

    def attach(self, endpoint_port) -> None:
        """Endpoint e on port endpoint_port[e], over a 1-cycle channel."""
        self.kind[endpoint_port] = PORT_ENDPOINT
        self.peer[endpoint_port] = np.arange(len(endpoint_port))
        self.latency[endpoint_port] = 1

    def network(self, kind: str, indptr, endpoint_port, info: dict, coords=None, dims=(), **extra) -> Network:
        """The finished `Network` of these ports: routers by `indptr`, endpoint e on endpoint_port[e]
        (routers without coordinates unless `coords` are given)."""
        n_routers = len(indptr) - 1
        return Network(kind=kind, n_routers=n_routers, n_endpoints=len(endpoint_port),
                       port_indptr=np.asarray(indptr).astype(np.int32), port_kind=self.kind, port_peer=self.peer,
                       port_latency=self.latency, endpoint_port=np.asarray(endpoint_port).astype(np.int32),
                       router_coords=(np.zeros((n_routers, 0), np.int32) if coords is None
                                      else np.asarray(coords).astype(np.int32)),
                       dims=dims, info=info, port_class=self.cls, **extra)


def regular_network(kind: str, dims, concentration: int, latency: int, wrap: bool) -> Network:
    """Mesh (wrap=False) or torus (wrap=True) of ``dims`` routers per dimension.

    Router r has ports 2d (+ direction of dimension d), 2d+1 (- direction), then ``concentration``
    endpoint ports. Router ids are mixed-radix with dimension 0 varying fastest (as BookSim).
    """
    dims = tuple(int(k) for k in dims)
    n_dims = len(dims)
    n_routers = int(np.prod(dims, dtype=np.int64))
    ports = 2 * n_dims + concentration
    n_ports = n_routers * ports
    if n_ports >= 2**31 - 1:
        raise FabricError(f"{kind} with {n_routers} routers has too many ports for this build")
    r = np.arange(n_routers, dtype=np.int64)
    strides = np.cumprod((1,) + dims[:-1]).astype(np.int64)
    coords = (r[:, None] // strides[None, :]) % np.asarray(dims)[None, :]

    arrays = _Ports(n_ports)
    base = r * ports
    for d, k in enumerate(dims):
        c = coords[:, d]
        for direction, step in ((0, 1), (1, -1)):
            nxt = c + step
            ok = np.ones(n_routers, bool) if wrap else (nxt >= 0) & (nxt < k)
            if k == 1:
                ok[:] = False  # a dimension of size 1 has no links
            nbr = r + ((nxt % k) - c) * strides[d]
            p = base + 2 * d + direction
            # our + output feeds the neighbour's input on the port facing back (its - port)
            peer = nbr * ports + 2 * d + (1 - direction)
            arrays.link(p[ok], peer[ok], latency)
    e = np.arange(n_routers * concentration, dtype=np.int64)
    endpoint_port = (e // concentration) * ports + 2 * n_dims + e % concentration
    arrays.attach(endpoint_port)
    return arrays.network(kind, np.arange(n_routers + 1, dtype=np.int64) * ports, endpoint_port,
                          {"concentration": concentration, "wrap": wrap}, coords=coords, dims=dims)


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
    arrays = _Ports(n_ports)
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
    return arrays.network("fat_tree", indptr, endpoint_port, {"k": k, "n": n, "level": level, "tree": tree})


def hyperx_network(dims, concentration: int, latency: int) -> Network:
    """HyperX (nD full mesh): routers on a grid, every two routers that differ in one coordinate linked.

    Router ids are mixed-radix, dimension 0 fastest. Router r has, for each dimension d in turn, k_d - 1
    ports to the other routers of its row in d, in increasing order of their coordinate, then
    ``concentration`` endpoint ports. Endpoint ``e`` sits on router ``e // concentration``.
    """
    dims = tuple(int(k) for k in dims)
    n_routers = int(np.prod(dims, dtype=np.int64))
    row_ports = [k - 1 for k in dims]
    offsets = np.concatenate(([0], np.cumsum(row_ports)))
    ports = int(offsets[-1]) + concentration
    n_ports = n_routers * ports
    if n_ports >= 2**31 - 1:
        raise FabricError(f"hyperx with {n_routers} routers has too many ports for this build")
    r = np.arange(n_routers, dtype=np.int64)
    strides = np.cumprod((1,) + dims[:-1]).astype(np.int64)
    coords = (r[:, None] // strides[None, :]) % np.asarray(dims)[None, :]
    arrays = _Ports(n_ports)
    for d, k in enumerate(dims):
        c = coords[:, d]
        for t in range(k):
            here = c != t                                  # routers whose row in d has t as a neighbour
            src = r[here]
            dst = src + (t - c[here]) * strides[d]
            p = src * ports + offsets[d] + np.where(t < c[here], t, t - 1)
            back = dst * ports + offsets[d] + np.where(c[here] < t, c[here], c[here] - 1)
            arrays.link(p, back, latency)
    e = np.arange(n_routers * concentration, dtype=np.int64)
    endpoint_port = (e // concentration) * ports + offsets[-1] + e % concentration
    arrays.attach(endpoint_port)
    return arrays.network("hyperx", np.arange(n_routers + 1, dtype=np.int64) * ports, endpoint_port,
                          {"concentration": concentration, "row_offsets": offsets[:-1].astype(np.int32)},
                          coords=coords, dims=dims)


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
    arrays = _Ports(int(indptr[-1]))
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
                          endpoint_planes=slots.astype(np.int32) if planes > 1 else None)


def dragonfly_network(p: int, a: int, h: int, latency: int, global_latency: int) -> Network:
    """Dragonfly of g = a*h + 1 groups of a routers, each router with p endpoints, a - 1 local links (one
    to every other router of its group) and h global links; each pair of groups is joined by exactly one
    global link.

    Router ``group * a + i``; its ports are p endpoint ports, then local ports to routers j != i of the
    group in increasing order, then h global ports. Global link x (0 <= x < a*h) of group G leaves from
    router x // h, global port x % h, to group (G + x + 1) mod g, where it is that group's link
    (G - peer - 1) mod g (Kim, Dally, Scott & Abts, ISCA 2008, "consecutive" arrangement).
    Endpoint ``e`` sits on router ``e // p``.
    """
    g = a * h + 1
    n_routers = g * a
    ports = p + (a - 1) + h
    n_ports = n_routers * ports
    r = np.arange(n_routers, dtype=np.int64)
    group, index = r // a, r % a
    arrays = _Ports(n_ports)
    for j in range(a):                                   # local: router i -> router j of the group
        here = index != j
        src = r[here]
        dst = group[here] * a + j
        out = src * ports + p + np.where(j < index[here], j, j - 1)
        back = dst * ports + p + np.where(index[here] < j, index[here], index[here] - 1)
        arrays.link(out, back, latency, cls=0)
    G = np.repeat(np.arange(g), a * h)
    x = np.tile(np.arange(a * h), g)
    peer_group = (G + x + 1) % g
    peer_x = (G - peer_group - 1) % g
    out = (G * a + x // h) * ports + p + (a - 1) + x % h
    back = (peer_group * a + peer_x // h) * ports + p + (a - 1) + peer_x % h
    arrays.link(out, back, global_latency, cls=1)
    e = np.arange(n_routers * p, dtype=np.int64)
    endpoint_port = (e // p) * ports + e % p
    arrays.attach(endpoint_port)
    return arrays.network("dragonfly", np.arange(n_routers + 1, dtype=np.int64) * ports, endpoint_port,
                          {"p": p, "a": a, "h": h, "groups": g}, link_classes=("local", "global"))


def graph_network(n_routers: int, edges, class_names, concentration, latency: int, kind: str = "graph",
                  info=None) -> Network:
    """Routers joined by ``edges`` ((a, b, class name), ...), each edge a link each way.

    Router r's ports: one per edge end at r, in edge order, then its endpoint ports: ``concentration``
    of them (an int, or one count per router). Endpoints are numbered router by router.
    """
    a = np.array([e[0] for e in edges], np.int64)
    b = np.array([e[1] for e in edges], np.int64)
    index = {name: i for i, name in enumerate(class_names)}
    cls = np.array([index[e[2]] for e in edges], np.int8)
    ends = np.concatenate([a, b])                            # edge i's end at a is entry i, at b i + m
    degree = np.bincount(ends, minlength=n_routers)
    endpoints = np.broadcast_to(np.asarray(concentration, np.int64), (n_routers,))
    ports = degree + endpoints
    indptr = np.concatenate(([0], np.cumsum(ports))).astype(np.int64)
    # the local port of each edge end: its rank among the ends at the same router, in edge order
    m = len(edges)
    order = np.lexsort((np.tile(np.arange(m), 2) * 2 + np.repeat([0, 1], m), ends))
    rank = np.empty(2 * m, np.int64)
    sorted_ends = ends[order]
    first = np.searchsorted(sorted_ends, sorted_ends, side="left")
    rank[order] = np.arange(2 * m) - first
    port = indptr[ends] + rank
    arrays = _Ports(int(indptr[-1]))
    arrays.link(port[:m], port[m:], latency, cls)
    arrays.link(port[m:], port[:m], latency, cls)
    router = np.repeat(np.arange(n_routers), endpoints)
    first = np.concatenate(([0], np.cumsum(endpoints)))
    endpoint_port = indptr[router] + degree[router] + np.arange(len(router)) - first[router]
    arrays.attach(endpoint_port)
    return arrays.network(kind, indptr, endpoint_port, {"edges": m, **(info or {})},
                          link_classes=tuple(class_names))


def edges_of(net: Network):
    """(a, b, class name) for every router pair joined by a link pair of ``net``, each pair once, and
    the endpoints per router: a built network as the inputs of `graph_network`."""
    owner = net.port_router
    links = np.flatnonzero((net.port_kind == PORT_LINK) & (np.arange(net.n_ports) < net.port_peer))
    names = net.link_classes
    edges = [(int(a), int(b), names[c]) for a, b, c in
             zip(owner[links], owner[net.port_peer[links]], net.port_class[links])]
    endpoints = np.bincount(net.endpoint_router, minlength=net.n_routers)
    return edges, endpoints
