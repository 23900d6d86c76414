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
    router_class : ndarray of shape (n_routers,), dtype=int8     each router's class, an index into
                                                                router_classes
    router_classes : tuple of str                               the class names (``[router.classes.NAME]``:
                                                                leaf and spine switches, pods, ...)
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
    router_class: np.ndarray | None = None
    router_classes: tuple = ("router",)
    port_cpf: np.ndarray | None = None            # (n_ports,) a link's own cycles per flit from its file (0: none)

    def __post_init__(self):
        if self.port_class is None:
            object.__setattr__(self, "port_class", np.zeros(len(self.port_kind), np.int8))
        if self.router_class is None:
            object.__setattr__(self, "router_class", np.zeros(self.n_routers, np.int8))

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


class Ports:
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


def graph_network(n_routers: int, edges, class_names, concentration, latency: int, kind: str = "graph",
                  info=None, edge_latency=None, edge_cpf=None, **extra) -> Network:
    """Routers joined by ``edges`` ((a, b, class name), ...), each edge a link each way.

    Router r's ports: one per edge end at r, in edge order, then its endpoint ports: ``concentration``
    of them (an int, or one count per router). Endpoints are numbered router by router. ``edge_latency``
    and ``edge_cpf`` (one per edge, 0: the default) give an edge's own latency and cycles per flit.
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
    arrays = Ports(int(indptr[-1]))
    arrays.link(port[:m], port[m:], latency, cls)
    arrays.link(port[m:], port[:m], latency, cls)
    router = np.repeat(np.arange(n_routers), endpoints)
    first = np.concatenate(([0], np.cumsum(endpoints)))
    endpoint_port = indptr[router] + degree[router] + np.arange(len(router)) - first[router]
    arrays.attach(endpoint_port)
    net = arrays.network(kind, indptr, endpoint_port, {"edges": m, **(info or {})},
                         link_classes=tuple(class_names), **extra)
    if edge_latency is not None and np.any(edge_latency):
        own = np.asarray(edge_latency, np.int64)
        for ports in (port[:m], port[m:]):
            net.port_latency[ports] = np.where(own > 0, own, net.port_latency[ports])
    if edge_cpf is not None and np.any(np.asarray(edge_cpf) > 0):
        cpf = np.zeros(int(indptr[-1]), np.int16)
        cpf[port[:m]] = cpf[port[m:]] = np.asarray(edge_cpf, np.int16)
        object.__setattr__(net, "port_cpf", cpf)
    return net


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
