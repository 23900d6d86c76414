"""The arrays of meshes, tori and HyperX networks (numpy: imported when a network is built)."""
from __future__ import annotations

import numpy as np

from ...errors import FabricError
from ...network import Network, Ports


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

    arrays = Ports(n_ports)
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
    arrays = Ports(n_ports)
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
