"""Energy from a run's activity counts (`--stats`), and the static side of a network for `fabric describe`.

A run's energy over its measurement window is the sum of

* each router's events: per flit a buffer write (a flit arriving from a link or an injection channel), a
  buffer read and a crossbar traversal (a flit granted the switch); per grant of VC and of switch
  allocation; and its clock, every cycle;
* each link's traversals: flits x ``link.flit_bytes`` x 8 bits x the pJ per bit of its class (on-chip
  wire: pJ/bit/mm x its length; electrical SerDes or optics: pJ/bit), the injection and ejection
  channels at ``energy.endpoint_pj_per_bit``;
* static power: every router, every port in use and every router-to-router channel, for the window's
  time (cycles / ``sim.clock_ghz``).

The defaults and their sources are in `DEFAULTS` and README.md ("Energy and cost"); every one can be set
in the spec's ``[energy]`` table, and a link class's medium and figures in ``[energy.links.CLASS]``.
"""
from __future__ import annotations

import numpy as np

PJ = 1e-12


def _g(x):
    """6 significant digits (None stays None), recursively through dicts."""
    if isinstance(x, dict):
        return {k: _g(v) for k, v in x.items()}
    return None if x is None else float(f"{x:.6g}")

# medium -> pJ per bit (SerDes and optics) or per bit per mm (wire)
MEDIA = ("wire", "serdes", "optics")


def link_pj_per_bit(settings: dict, energy: dict) -> float:
    """pJ per bit per traversal of a link class, from its [energy.links.CLASS] table (or the default)."""
    medium = settings.get("medium", energy["link_medium"])
    if "pj_per_bit" in settings:
        return float(settings["pj_per_bit"])
    if medium == "wire":
        return float(settings.get("pj_per_bit_mm", energy["wire_pj_per_bit_mm"])) * float(
            settings.get("length_mm", energy["wire_length_mm"]))
    return float(energy["serdes_pj_per_bit"] if medium == "serdes" else energy["optics_pj_per_bit"])


def class_pj_per_bit(net, energy: dict) -> dict:
    return {name: link_pj_per_bit(energy["links"].get(name, {}), energy) for name in net.link_classes}


def run_energy(spec: dict, net, tables: dict, cycles: int, delivered_flits: int) -> dict:
    """The result's `energy`: joules over the window, average watts, pJ per delivered bit, by part and by
    link class."""
    e, bits = spec["energy"], 8 * spec["link"]["flit_bytes"]
    seconds = cycles / (spec["sim"]["clock_ghz"] * 1e9)
    links, routers, endpoints = tables["links"], tables["routers"], tables["endpoints"]
    is_link = links["kind"] == "link"
    writes = int(links["flits"][is_link].sum() + endpoints["injected_flits"].sum())
    switched = int(routers["flits_switched"].sum())
    vc_grants, sw_grants = int(routers["va_grants"].sum()), int(routers["sa_grants"].sum())
    per_class = class_pj_per_bit(net, e)
    names = np.asarray(net.link_classes, dtype=object)[net.port_class[links["port"][is_link]]]
    link_pj = {name: float(links["flits"][is_link][names == name].sum()) * bits * pj for name, pj in per_class.items()}
    endpoint_flits = int(endpoints["injected_flits"].sum() + links["flits"][~is_link].sum())
    link_pj["endpoint"] = endpoint_flits * bits * e["endpoint_pj_per_bit"]
    parts = {
        "buffers": (writes * e["buffer_write_pj"] + switched * e["buffer_read_pj"]) * PJ,
        "crossbar": switched * e["crossbar_pj"] * PJ,
        "allocation": (vc_grants * e["vc_allocation_pj"] + sw_grants * e["sw_allocation_pj"]) * PJ,
        "clock": net.n_routers * cycles * e["clock_pj"] * PJ,
        "links": sum(link_pj.values()) * PJ,
        "static": static_watts(net, e) * seconds,
    }
    total = sum(parts.values())
    delivered_bits = delivered_flits * bits
    return _g({
        "joules": total,
        "watts": total / seconds if seconds > 0 else None,
        "pj_per_bit": total / PJ / delivered_bits if delivered_bits else None,
        "seconds": seconds,
        "by_part": parts,
        "links_by_class": {name: pj * PJ for name, pj in link_pj.items()},
    }) | {
        "events": {"buffer_writes": writes, "buffer_reads": switched, "crossbar": switched,
                   "vc_allocations": vc_grants, "sw_allocations": sw_grants,
                   "link_bits": {name: int(links["flits"][is_link][names == name].sum()) * bits for name in per_class},
                   "endpoint_bits": endpoint_flits * bits},
    }


def static_watts(net, e: dict) -> float:
    """Leakage of every router, port in use and router-to-router channel."""
    from .network import PORT_LINK

    ports = int(np.count_nonzero(net.port_kind != 0))
    channels = int(np.count_nonzero(net.port_kind == PORT_LINK))
    return (net.n_routers * e["router_static_mw"] + ports * e["port_static_mw"] + channels * e["link_static_mw"]) * 1e-3


def static_side(spec: dict, net, bisection_links: int | None) -> dict:
    """`fabric describe`'s inventory, static power and (with [cost] prices) cost per endpoint and the
    bisection bandwidth per unit of cost."""
    e = spec["energy"]
    ports = int(np.count_nonzero(net.port_kind != 0))
    links = net.links_by_class()
    gbps = 8 * spec["link"]["flit_bytes"] * spec["sim"]["clock_ghz"]       # one channel, one way, Gb/s
    out = {
        "switches": net.n_routers,
        "ports": ports,
        "links_by_class": links,
        "channel_gbps": _g(gbps),
        "static_watts": _g(static_watts(net, e)),
    }
    if bisection_links is not None:      # the channels across the cut, both ways: the bandwidth one way
        out["bisection_gbps"] = _g(bisection_links / 2 * gbps)
    prices = spec["cost"]
    if prices["switch"] or prices["port"] or prices["links"]:
        # a price per link is per cable (both directions); links_by_class counts one-way channels
        total = (net.n_routers * prices["switch"] + ports * prices["port"]
                 + sum(links.get(name, 0) / 2 * float(price) for name, price in prices["links"].items()))
        out["cost"] = _g({"total": total, "per_endpoint": total / max(net.n_endpoints, 1)})
        if bisection_links is not None and total > 0:
            out["cost"]["bisection_gbps_per_unit"] = _g(bisection_links / 2 * gbps / total)
    return out
