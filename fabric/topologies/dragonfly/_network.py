"""The arrays of a dragonfly (numpy: imported when a network is built)."""
from __future__ import annotations

import numpy as np

from ...network import Network, Ports


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
    arrays = Ports(n_ports)
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
