"""The built network as a graph file (``fabric describe --graph FILE``): GraphML for NetworkX and other
graph tools, DOT for Graphviz. Nodes are the routers (``r0``, ``r1``, ...: kind, router class) and the
endpoints (``e0``, ...: kind ``endpoint``); edges are the router-to-router links, each pair of channels once
(link class, latency in cycles, bandwidth in flits per cycle), and each endpoint's channel to its router
(in a network of planes, one per plane). A GraphML file written here reads back as a ``graph`` topology
(``topology.file``), endpoints and link settings included."""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .errors import FabricError


def network_graph(spec: dict):
    """(routers: [(id, class)], endpoints: [id], links: [(a, b, class, latency, bandwidth)], attachments:
    [(endpoint, router)]) of the spec's built network (after its faults, if any)."""
    import numpy as np

    from .build import _resolve, build_network, link_settings
    from .faults import after
    from .network import PORT_LINK

    spec = _resolve(spec)
    net = after(build_network(spec))
    latency, cpf = link_settings(net, spec["link"])
    owner = net.port_router
    ports = np.flatnonzero((net.port_kind == PORT_LINK) & (np.arange(net.n_ports) < net.port_peer))
    links = [(int(owner[p]), int(owner[net.port_peer[p]]), net.link_classes[net.port_class[p]], int(latency[p]),
              1.0 / float(cpf[p])) for p in ports]
    routers = [(r, net.router_classes[net.router_class[r]]) for r in range(net.n_routers)]
    slots = net.endpoint_port[:, None] if net.endpoint_planes is None else net.endpoint_planes
    attachments = [(e, int(owner[p])) for e in range(net.n_endpoints) for p in slots[e]]
    return routers, list(range(net.n_endpoints)), links, attachments


def write(spec: dict, path: str) -> None:
    """Write the spec's network to `path`: GraphML (.graphml) or DOT (.dot, .gv)."""
    kind = str(path).rsplit(".", 1)[-1].lower()
    if kind not in ("graphml", "dot", "gv"):
        raise FabricError(f"--graph: {path}: the file must end in .graphml, .dot or .gv")
    routers, endpoints, links, attachments = network_graph(spec)
    text = _graphml(routers, endpoints, links, attachments) if kind == "graphml" else \
        _dot(routers, endpoints, links, attachments)
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise FabricError(f"--graph: {path}: cannot write ({error.strerror or error})") from None


def _graphml(routers, endpoints, links, attachments) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
           '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
           '  <key id="rclass" for="node" attr.name="router_class" attr.type="string"/>',
           '  <key id="class" for="edge" attr.name="class" attr.type="string"/>',
           '  <key id="latency" for="edge" attr.name="latency" attr.type="int"/>',
           '  <key id="bandwidth" for="edge" attr.name="bandwidth" attr.type="double"/>',
           '  <graph id="fabric" edgedefault="undirected">']
    for r, cls in routers:
        out.append(f'    <node id="r{r}"><data key="kind">router</data>'
                   f'<data key="rclass">{_text(cls)}</data></node>')
    for e in endpoints:
        out.append(f'    <node id="e{e}"><data key="kind">endpoint</data></node>')
    for a, b, cls, latency, bandwidth in links:
        out.append(f'    <edge source="r{a}" target="r{b}"><data key="class">{_text(cls)}</data>'
                   f'<data key="latency">{latency}</data><data key="bandwidth">{bandwidth!r}</data></edge>')
    for e, r in attachments:
        out.append(f'    <edge source="e{e}" target="r{r}"><data key="class">endpoint</data></edge>')
    out += ["  </graph>", "</graphml>", ""]
    return "\n".join(out)


def _dot(routers, endpoints, links, attachments) -> str:
    out = ["graph fabric {", "  node [shape=box];"]
    for r, cls in routers:
        out.append(f'  r{r} [label="r{r}", kind="router", router_class={quoteattr(cls)}];')
    for e in endpoints:
        out.append(f'  e{e} [shape=ellipse, label="e{e}", kind="endpoint"];')
    for a, b, cls, latency, bandwidth in links:
        out.append(f'  r{a} -- r{b} [class={quoteattr(cls)}, latency={latency}, bandwidth={bandwidth!r}];')
    for e, r in attachments:
        out.append(f'  e{e} -- r{r} [class="endpoint"];')
    out += ["}", ""]
    return "\n".join(out)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
