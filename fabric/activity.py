"""Inside a run: the activity of every link, router and endpoint over the measurement window, the time
series, and the summary the result carries (`fabric run --stats`).

The core counts from cycle 0 (`Core.activity`); a window's figures are the difference of the read-outs
at its start and its end (`run.run_phases` takes them), so nothing in the cycle loop tests the window.
A flit is counted where it happens: on a link when it leaves its router's output port, at an endpoint
when it leaves the network through the ejection channel. Each table is a dict of equal-length columns
(numpy arrays), one row per link, router, endpoint or series bucket; README.md, "Inside a run", says
what every column means.
"""
from __future__ import annotations

import numpy as np

from .network import PORT_ENDPOINT, PORT_LINK

KINDS = ("links", "routers", "endpoints", "series")
BUSIEST = 10            # links in the summary
WORST = 5               # endpoints in the summary
HISTOGRAM_EDGES = tuple(round(0.1 * i, 1) for i in range(11))

# Core.activity's column order (cext/_statistics.pxd: SR_*, SE_*, SS_*)
ROUTER_COUNTS = ("va_requests", "va_grants", "sa_requests", "sa_grants")
ENDPOINT_COUNTS = ("created_packets", "created_flits", "injected_flits", "queue_flit_cycles", "accepted_flits",
                   "delivered_packets", "latency_sum", "latency_max")
SERIES_COUNTS = ("created_flits", "accepted_flits", "delivered_packets", "latency_sum", "in_network_flits",
                 "queued_flits")


def parse_kinds(text) -> tuple[str, ...]:
    """The tables asked for: a comma list of KINDS, or all (True, "all")."""
    if text is True or text == "all":
        return KINDS
    kinds = tuple(k.strip() for k in (text.split(",") if isinstance(text, str) else text) if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown statistics {', '.join(unknown)} (known: {', '.join(KINDS)})")
    return kinds


def window_activity(start: dict, end: dict) -> dict:
    """What happened between two read-outs of `Core.activity` (the latency counts are of measured packets
    only, so they are taken as they are at the end)."""
    out = {k: end[k] - start[k] for k in ("now", "port_flits", "credit_stall", "vc_cycles", "router")}
    endpoint = end["endpoint"] - start["endpoint"]
    latency = [ENDPOINT_COUNTS.index(k) for k in ("delivered_packets", "latency_sum", "latency_max")]
    endpoint[:, latency] = end["endpoint"][:, latency]
    out["endpoint"] = endpoint
    return out


def link_groups(net) -> np.ndarray:
    """A label per port that says what kind of link it is: "ejection"; the link class where a network has
    several (dragonfly local and global); on trees "up a-b" and "down b-a" between tiers (0: the routers
    nearest the endpoints); on grids the dimension and way ("dim 0 +"); else "link"."""
    labels = np.full(len(net.port_kind), "link", dtype=object)
    labels[net.port_kind == PORT_ENDPOINT] = "ejection"
    labels[net.port_kind == 0] = "none"
    links = np.flatnonzero(net.port_kind == PORT_LINK)
    owner = net.port_router
    far = owner[net.port_peer[links]]
    local = links - net.port_indptr[owner[links]]
    if len(net.link_classes) > 1:
        labels[links] = np.asarray(net.link_classes, dtype=object)[net.port_class[links]]
    elif "tree" in net.info:
        span = np.asarray(net.info["tree"]["tree_span"])
        tier = np.searchsorted(np.unique(span), span)
        a, b = tier[owner[links]], tier[far]
        labels[links] = [f"up {x}-{y}" if y > x else f"down {x}-{y}" for x, y in zip(a.tolist(), b.tolist())]
    elif net.kind in ("mesh", "torus"):
        labels[links] = [f"dim {d} {'+' if w == 0 else '-'}" for d, w in zip((local // 2).tolist(), (local % 2).tolist())]
    elif net.kind == "hyperx":
        offsets = np.asarray(net.info["row_offsets"])
        labels[links] = [f"dim {d}" for d in (np.searchsorted(offsets, local, side="right") - 1).tolist()]
    return labels


def tables(net, window: dict, cycles: int, cycles_per_flit: np.ndarray, series=None, interval: int = 0,
           spec: dict | None = None, class_names=("main",), now: int | None = None) -> dict:
    """The tables of one run: links, routers and endpoints over `cycles` window cycles, and the series."""
    owner = net.port_router
    V = window["vc_cycles"].shape[1]
    cycles = max(int(cycles), 1)
    ports = np.flatnonzero(net.port_kind != 0)
    kind = net.port_kind[ports]
    is_link = kind == PORT_LINK
    peer = net.port_peer[ports]
    busy = window["port_flits"][ports] * np.where(is_link, cycles_per_flit[ports], 1)
    downstream = window["vc_cycles"][np.where(is_link, peer, 0)] * is_link[:, None]   # the far end's input VCs
    links = {
        "port": ports,
        "router": owner[ports],
        "local_port": ports - net.port_indptr[owner[ports]],
        "kind": np.where(is_link, "link", "ejection").astype(object),
        "group": link_groups(net)[ports],
        "to_router": np.where(is_link, owner[np.where(is_link, peer, 0)], -1),
        "to_endpoint": np.where(is_link, -1, peer),
        "flits": window["port_flits"][ports],
        "busy_cycles": busy,
        "utilisation": busy / cycles,
        "credit_stall_cycles": window["credit_stall"][ports],
        "buffered_flits_mean": downstream.sum(axis=1) / cycles,
        **{f"vc{v}_flit_cycles": downstream[:, v] for v in range(V)},
    }
    counts = window["router"]
    per_router = np.zeros(net.n_routers)
    np.add.at(per_router, owner, window["vc_cycles"].sum(axis=1))
    routers = {
        "router": np.arange(net.n_routers),
        "flits_switched": counts[:, 3],
        **{name: counts[:, i] for i, name in enumerate(ROUTER_COUNTS)},
        "sa_conflicts": counts[:, 2] - counts[:, 3],
        "buffered_flits_mean": per_router / cycles,
    }
    if net.router_coords.shape[1]:
        for d in range(net.router_coords.shape[1]):
            routers[f"coord{d}"] = net.router_coords[:, d]
    e = window["endpoint"]
    col = {name: e[:, i] for i, name in enumerate(ENDPOINT_COUNTS)}
    delivered = col["delivered_packets"]
    endpoints = {
        "endpoint": np.arange(net.n_endpoints),
        "router": owner[net.endpoint_port],
        **{k: col[k] for k in ("created_packets", "created_flits", "injected_flits", "accepted_flits")},
        "offered": col["created_flits"] / cycles,
        "accepted": col["accepted_flits"] / cycles,
        "delivered_packets": delivered,
        "latency_mean": np.where(delivered > 0, col["latency_sum"] / np.maximum(delivered, 1), np.nan),
        "latency_max": np.where(delivered > 0, col["latency_max"], -1),
        "queued_flits_mean": col["queue_flit_cycles"] / cycles,
    }
    out = {"links": links, "routers": routers, "endpoints": endpoints}
    if series is not None:
        out["series"] = series_table(series, interval, spec, net.n_endpoints, now, class_names)
    return out


def series_edges(spec: dict, interval: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The first and last+1 cycle of each bucket, by the core's rule (cext/_statistics.pxd, series_bucket):
    `interval` cycles each, with edges at the window's start and end."""
    n, start = interval, spec["sim"]["warmup_cycles"]
    end = start + spec["sim"]["measure_cycles"]
    before, inside = -(-start // n), -(-(end - start) // n)
    b = np.arange(buckets + 1)
    first = np.where(b < before, np.maximum(0, start - (before - b) * n),
                     np.where(b < before + inside, np.minimum(start + (b - before) * n, end),
                              end + (b - before - inside) * n))
    return first[:-1], first[1:]


def series_table(series, interval: int, spec: dict, n_endpoints: int, now=None, class_names=("main",)) -> dict:
    """One row per bucket and traffic class (and one for all of them when there are several): rates per
    endpoint per cycle, mean packet latency, and the flits in the network and queued as the bucket
    started (NaN for a bucket the run had not reached)."""
    counts, _ = series
    buckets, classes, _ = counts.shape
    start, end = series_edges(spec, interval, buckets)
    rows = [("all", counts.sum(axis=1))] if classes > 1 else []
    rows += [(class_names[c] if c < len(class_names) else str(c), counts[:, c]) for c in range(classes)]
    out = {k: [] for k in ("start", "end", "class", "created", "accepted", "delivered_packets", "latency_mean",
                           "in_network_flits", "queued_flits")}
    length = np.maximum(end - start, 1)
    reached = start <= (now if now is not None else end[-1])
    for name, c in rows:
        col = {k: c[:, i].astype(float) for i, k in enumerate(SERIES_COUNTS)}
        out["start"].append(start)
        out["end"].append(end)
        out["class"].append(np.full(buckets, name, dtype=object))
        out["created"].append(col["created_flits"] / length / max(n_endpoints, 1))
        out["accepted"].append(col["accepted_flits"] / length / max(n_endpoints, 1))
        out["delivered_packets"].append(c[:, 2])
        out["latency_mean"].append(np.where(col["delivered_packets"] > 0,
                                            col["latency_sum"] / np.maximum(col["delivered_packets"], 1), np.nan))
        out["in_network_flits"].append(np.where(reached, col["in_network_flits"], np.nan))
        out["queued_flits"].append(np.where(reached, col["queued_flits"], np.nan))
    return {k: np.concatenate(v) for k, v in out.items()}


def jain(x) -> float | None:
    """Jain's fairness index (Σx)² / (n Σx²): 1 when all are equal, 1/n when one has everything."""
    x = np.asarray(x, float)
    square = float((x * x).sum())
    return float(x.sum() ** 2 / (len(x) * square)) if len(x) and square > 0 else None


def summary(t: dict, cycles: int, interval: int = 0) -> dict:
    """The result's `stats`: the busiest links, utilisation by kind of link, fairness, the worst endpoints."""
    links, endpoints = t["links"], t["endpoints"]
    order = np.lexsort((links["port"], -links["utilisation"]))[:BUSIEST]
    busiest = [{"port": int(links["port"][i]), "router": int(links["router"][i]),
                "local_port": int(links["local_port"][i]), "group": str(links["group"][i]),
                "to_router": int(links["to_router"][i]), "to_endpoint": int(links["to_endpoint"][i]),
                "utilisation": round(float(links["utilisation"][i]), 6), "flits": int(links["flits"][i])}
               for i in order]
    groups = {}
    for name in sorted(set(links["group"].tolist())):
        u = links["utilisation"][links["group"] == name]
        hist, _ = np.histogram(np.minimum(u, 1.0), bins=HISTOGRAM_EDGES)
        groups[name] = {"links": int(len(u)), "mean": round(float(u.mean()), 6), "max": round(float(u.max()), 6),
                        "histogram": hist.tolist()}
    latency = endpoints["latency_mean"]
    known = np.flatnonzero(~np.isnan(latency))
    worst = known[np.lexsort((known, -latency[known]))][:WORST]
    return {
        "window_cycles": int(cycles),
        "busiest_links": busiest,
        "link_utilisation": {"histogram_edges": list(HISTOGRAM_EDGES), "groups": groups},
        "fairness": {"jain_accepted": None if (j := jain(endpoints["accepted"])) is None else round(j, 6),
                     "endpoints": int(len(endpoints["accepted"]))},
        "worst_endpoints": [{"endpoint": int(i), "router": int(endpoints["router"][i]),
                             "latency_mean": round(float(latency[i]), 4), "latency_max": int(endpoints["latency_max"][i]),
                             "accepted": round(float(endpoints["accepted"][i]), 6)} for i in worst],
        "series_interval": interval or None,
    }
