"""Build a run: the network, its routing and traffic, the arrays and typed settings the compiled core
takes, and the core itself; with the checks that refuse, before anything is allocated, what would not
fit in memory or in the core's field widths. The only module that imports `fabric._core` (through
`fabric._find_core`; `fabric.constants` reads its tables)."""
from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path

# fabric makes no BLAS calls, yet OpenBLAS (loaded with numpy) starts a thread per core that
# busy-waits: perf showed it taking 5% of the samples, on the other core. One thread avoids that. This
# only takes effect if numpy is not loaded yet, and leaves a user's own setting alone.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from . import faults, registry  # noqa: E402
from ._find_core import find_core  # noqa: E402
from .constants import ALLOCATORS, DEST_MODES, PLANE_POLICIES, PROCESSES, ROUTER_KINDS, TORUS_TIES  # noqa: E402
from .core_config import ROUTING_SETTINGS, CoreConfig, RouterSetup, TrafficClass  # noqa: E402
from .errors import FabricError, FabricWarning  # noqa: E402
from .spec import CLOSED_LOOP, mean_packet_size  # noqa: E402

_core = find_core()

# Live packets (queued or in flight) allowed per endpoint before a run stops as saturated.
PACKETS_PER_ENDPOINT = 2048
MAX_PACKETS = 1 << 26


def _resolve(spec) -> dict:
    from .spec import load_spec, resolve_spec

    if isinstance(spec, (str, Path)):
        return load_spec(spec)
    return resolve_spec(spec)


# bytes per packet of the pool: its record (32), its message (4) and its random key (4)
PACKET_BYTES = 40


def max_packets(n_endpoints: int) -> int:
    """The packet pool's limit: PACKETS_PER_ENDPOINT live packets per endpoint (at least 2^20)."""
    return int(min(MAX_PACKETS, max(1 << 20, PACKETS_PER_ENDPOINT * n_endpoints)))


def run_cycles(spec: dict) -> int:
    """The most cycles a run can take (a packet's latency is at most this)."""
    s = spec["sim"]
    if spec["traffic"]["pattern"] in CLOSED_LOOP:
        return s["max_cycles"]
    return s["warmup_cycles"] + s["measure_cycles"] + s["drain_cycles"]


ITERATED_ALLOCATORS = ("islip", "pim")     # the allocators router.alloc_iters applies to (BookSim's islip(N), pim(N))


def speedup_fraction(speedup: float) -> tuple[int, int]:
    """internal_speedup as (num, den): the core counts each cycle's internal steps exactly. BookSim adds the
    speedup to a double each cycle, which is the same for a speedup a binary fraction holds (1.5, 1.25)."""
    from fractions import Fraction

    f = Fraction(speedup).limit_denominator(1000)
    return f.numerator, f.denominator


def estimate_bytes(spec: dict, stats: bool = False) -> int:
    """The most memory the core can need for a resolved spec, from the network's size alone (nothing
    is built): per port its VC state, buffers and link slots; per endpoint its injection state; the
    arrays Python builds on the way; and what grows during the run, at its limits: the packet pool (at
    the packet limit) and the latency histograms (one bin per cycle the run can last). With `stats`, the
    activity counters, the two read-outs and the tables made of them, and the time series."""
    import fabric.topologies  # noqa: F401

    routers, ports, endpoints = registry.topologies.get(spec["topology"]["kind"]).extra["size"](spec["topology"])
    r = spec["router"]
    link = spec["link"]
    classes = link["classes"].values()
    longest = max([link["latency"], spec["topology"].get("global_latency", 1)]
                  + [c.get("latency", 1) for c in classes])
    longest += max([link["cycles_per_flit"]] + [c.get("cycles_per_flit", 1) for c in classes]) - 1
    setups = [r] + [{**r, **c} for c in r.get("classes", {}).values()]
    queued = any(s["kind"] == "oq" or s["internal_speedup"] > 1 for s in setups)
    vcs, depth = max(s["vcs"] for s in setups), max(s["vc_buffer"] for s in setups)
    stages = max(s["sw_alloc_delay"] + s["st_delay"] for s in setups)
    slots = 1 << (longest + stages + 2 + (vcs * depth if queued else 0)).bit_length()
    per_port = vcs * (32 + 8 + 8 * depth) + slots * 10 + 64
    if queued:
        # output queues: a record and a ring of vc_buffer entries per output VC (rings that grow are the
        # queues' own length, which the run decides)
        per_port += vcs * (40 + 16 * depth) + 32
    per_endpoint = vcs * 8 + slots + 64
    histograms = 2 * 8 * (run_cycles(spec) + 1) * (1 + len(spec["traffic"].get("classes", {})))
    total = (ports * per_port + endpoints * per_endpoint + routers * 64 + max_packets(endpoints) * PACKET_BYTES
             + histograms)
    if stats:
        # the core's counters, two read-outs of them, and the tables (a port's row holds two strings, about
        # 60 bytes each): measured 15.5 MB on a 16^3 torus (28,672 ports, 4 VCs), where this gives 17.5 MB
        tables = ports * (400 + 32 * vcs) + routers * 200 + endpoints * 400
        series = (run_cycles(spec) // spec["stats"]["interval"] + 3) * 6 * 8 * (1 + len(spec["traffic"].get("classes", {})))
        total += tables + 4 * series
    return total


def available_bytes() -> int:
    """Memory the system can give without swapping (MemAvailable), or physical memory if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(spec: dict, max_bytes: int | None = None, stats: bool = False) -> None:
    """Refuse, before allocating anything, a network that would not fit in memory (or in max_bytes)."""
    need, have = estimate_bytes(spec, stats), available_bytes()
    key = "topology.dims" if "dims" in spec["topology"] else "topology"
    if max_bytes is not None and need > max_bytes:
        raise FabricError(f"{key}: this {spec['topology']['kind']} needs about {need / 2**30:.2f} GiB, more than "
                          f"--max-memory ({max_bytes / 2**30:.2f} GiB)")
    if need > have:
        raise FabricError(
            f"{key}: this {spec['topology']['kind']} needs about {need / 2**30:.1f} GiB, "
            f"more than the {have / 2**30:.1f} GiB available"
        )


def build_network(spec, max_memory: int | None = None, stats: bool = False):
    """The `fabric.network.Network` of a spec (path or dict); `stats`: the run will count activity."""
    spec = _resolve(spec)
    check_memory(spec, max_memory, stats)
    entry = registry.topologies.get(spec["topology"]["kind"])
    net = entry.func(spec["topology"], spec["link"])
    return faults.apply(net, spec["faults"]) if faults.active(spec["faults"]) else net


def compile_routing(net, spec: dict) -> dict:
    """The routing's core settings for the network; on a network with failed links or switches, tables over
    the links that survive (fabric/faults.py)."""
    algorithm = spec["routing"]["algorithm"]
    if not faults.reroutes(net):
        return registry.routings.get(algorithm).func(net, spec["routing"])
    return faults.compile_routing(net, spec, registry.routings)


PATTERN_ARRAYS = ("dest_table", "alias_row", "alias_lo", "alias_prob", "alias_idx", "alias_dest")


def injection_settings(traffic: dict, pattern: dict) -> dict:
    """The core's settings for a traffic section: destinations, creation process and packet sizes.

    ``packet_rate`` is packets per cycle per endpoint: during a burst for on_off, else on average.
    on_off (as BookSim's, with its burst_alpha, burst_beta and burst_r1): a burst (ON) lasts
    ``burst_length`` cycles on average (beta = 1 / burst_length), creates ``peak_rate`` flits per cycle
    (r1 = peak_rate / mean size), and the source is ON a share f = injection_rate / peak_rate of the
    time (alpha = beta * f / (1 - f)).
    """

    size = traffic["packet_size"]
    mean = mean_packet_size(size)
    out = {
        "dest_mode": pattern.get("dest_mode", DEST_MODES["table" if "dest_table" in pattern else "uniform"]),
        "process": PROCESSES[traffic["process"]],
        "packet_size": size if isinstance(size, int) else int(size[0][0]),
        "sizes": [size] if isinstance(size, int) else [s for s, _ in size],
        "size_weights": [1.0] if isinstance(size, int) else [w for _, w in size],
        "packet_rate": traffic["injection_rate"] / mean,
        "on_alpha": 0.5, "on_beta": 0.5, "on_share": 1.0,          # (used by on_off only)
    }
    if traffic["process"] == "on_off":
        share = traffic["injection_rate"] / traffic["peak_rate"]
        beta = 1.0 / traffic["burst_length"]
        out.update(packet_rate=min(1.0, traffic["peak_rate"] / mean), on_share=share,
                   on_alpha=min(1.0, beta * share / (1.0 - share)) if share < 1.0 else 1.0,
                   on_beta=beta if share < 1.0 else 0.0)
    return out


def traffic_class(traffic: dict, pattern: dict) -> TrafficClass:
    """The core's record of one traffic section."""
    inj = injection_settings(traffic, pattern)
    return TrafficClass(dest_mode=inj["dest_mode"], process=inj["process"],
                        allow_self=bool(pattern.get("allow_self", True)), sizes=tuple(inj["sizes"]),
                        size_weights=tuple(inj["size_weights"]), on_alpha=inj["on_alpha"], on_beta=inj["on_beta"],
                        on_share=inj["on_share"], start=int(pattern.get("start", 0)))


def _class_arrays(classes, n: int) -> dict:
    """The core's per-(class, endpoint) arrays, class by class: destination tables, alias rows (each
    class's rows after the previous class's) and packet rates."""
    tables, rows, lo, prob, idx, dest, rates = [], [], [0], [], [], [], []
    for t, pattern in classes:
        inj = injection_settings(t, pattern)
        tables.append(np.broadcast_to(np.asarray(pattern.get("dest_table", -1)), (n,)))
        if "alias_lo" in pattern:
            first_row, first_entry = len(lo) - 1, lo[-1]
            rows.append(np.asarray(pattern["alias_row"]) + first_row)
            lo.extend((np.asarray(pattern["alias_lo"][1:]) + first_entry).tolist())
            prob.append(pattern["alias_prob"])
            idx.append(np.asarray(pattern["alias_idx"]) + first_entry)
            dest.append(pattern["alias_dest"])
        else:
            rows.append(np.zeros(n, np.int64))
        rates.append(inj["packet_rate"] * np.broadcast_to(np.asarray(pattern.get("rate_scale", 1.0), float), (n,)))
    arrays = {"dest_table": np.concatenate(tables), "alias_row": np.concatenate(rows),
              "ep_packet_rate": np.concatenate(rates)}
    if prob:
        arrays.update(alias_lo=np.asarray(lo), alias_prob=np.concatenate(prob), alias_idx=np.concatenate(idx),
                      alias_dest=np.concatenate(dest))
    return arrays


def check_class_names(spec: dict, net) -> None:
    """energy.links and cost.links name link classes of this network, and prices are numbers."""
    for key in ("energy.links", "cost.links"):
        section, sub = key.split(".")
        for name, value in spec[section][sub].items():
            if name not in net.link_classes:
                raise FabricError(f"{key}.{name}: a {net.kind} has no link class {name!r} "
                                  f"(its classes: {', '.join(net.link_classes)})")
            if section == "cost" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise FabricError(f"{key}.{name}: a price must be a number of at least 0, got {value!r}")


def link_settings(net, link: dict):
    """(latency, cycles per flit) of every port's outgoing link: the builder's latency and
    ``link.cycles_per_flit``, replaced per class by ``[link.classes.NAME]``."""
    from .network import PORT_LINK

    latency = net.port_latency.astype(np.int32)
    cycles_per_flit = np.full(net.n_ports, link["cycles_per_flit"], np.int16)
    if net.port_cpf is not None:        # a graph file's own bandwidths, under [link.classes]
        cycles_per_flit = np.where(net.port_cpf > 0, net.port_cpf, cycles_per_flit).astype(np.int16)
    for name, settings in link["classes"].items():
        if name not in net.link_classes:
            raise FabricError(f"link.classes.{name}: a {net.kind} has no link class {name!r} "
                              f"(its classes: {', '.join(net.link_classes)})")
        ports = (net.port_class == net.link_classes.index(name)) & (net.port_kind == PORT_LINK)
        if "latency" in settings:
            latency[ports] = settings["latency"]
        if "cycles_per_flit" in settings:
            cycles_per_flit[ports] = settings["cycles_per_flit"]
    degraded = net.info.get("faults", {}).get("degraded_ports")
    if degraded is not None and len(degraded):          # faults.degraded, over the classes' settings
        latency[degraded] = net.info["faults"]["degraded_latency"]
        cycles_per_flit[degraded] = net.info["faults"]["degraded_cycles"]
    return latency, cycles_per_flit


def router_setups(router: dict, net, routing=None, algorithm="") -> tuple:
    """A RouterSetup per router class of the network: ``router``, with ``router.classes.NAME`` over it."""
    for name in router["classes"]:
        if name not in net.router_classes:
            raise FabricError(f"router.classes.{name}: a {net.kind} has no router class {name!r} "
                              f"(its classes: {', '.join(net.router_classes)})")
    uses_classes = routing is not None and (routing.get("vc_classes") or routing.get("settings", {}).get("hop_classes", 1)) > 1
    for name, table in router["classes"].items():
        if uses_classes and table.get("vcs", router["vcs"]) != router["vcs"]:
            raise FabricError(f"router.classes.{name}.vcs: {algorithm} splits the VCs into classes (a dateline or a "
                              f"class per hop), which needs every router's VCs alike; set router.vcs")
    out = []
    for name in net.router_classes:
        r = {**router, **router["classes"].get(name, {})}
        out.append(RouterSetup(
            kind=ROUTER_KINDS[r["kind"]], vcs=r["vcs"], vc_buffer=r["vc_buffer"], routing_delay=r["routing_delay"],
            vc_alloc_delay=r["vc_alloc_delay"], sw_alloc_delay=r["sw_alloc_delay"], st_delay=r["st_delay"],
            sw_allocator=ALLOCATORS[r["sw_allocator"]], vc_allocator=ALLOCATORS[r["vc_allocator"]],
            sw_iters=r["alloc_iters"] if r["sw_allocator"] in ITERATED_ALLOCATORS else 1,
            vc_iters=r["alloc_iters"] if r["vc_allocator"] in ITERATED_ALLOCATORS else 1,
            internal_speedup=speedup_fraction(r["internal_speedup"]), output_buffer=r["output_buffer"]))
    return tuple(out)


def vc_class_warning(spec: dict, routing: dict) -> str | None:
    """Why a routing's VC classes cost throughput, if one of them has a single VC: a packet in that
    class then waits behind every packet ahead of it (README, "Dragonfly", has the figures)."""
    classes = routing.get("vc_classes") or routing.get("settings", {}).get("hop_classes", 1)
    vcs = spec["router"]["vcs"]
    if classes < 2 or routing.get("settings", {}).get("ecmp_any_vc") or vcs // classes > 1:
        return None
    return (f"router.vcs: {spec['routing']['algorithm']} splits the {vcs} VCs into {classes} classes, so a class "
            f"has a single VC, which costs throughput; {2 * classes} or more VCs give every class two")


def make_pattern(net, traffic: dict, spec: dict) -> dict:
    """A traffic table's pattern on the network; a pattern that reads bytes and times (a trace) is
    given the spec's units too."""
    entry = registry.traffic_patterns.get(traffic["pattern"])
    if entry.extra.get("units"):
        return entry.func(net, traffic, {"flit_bytes": spec["link"]["flit_bytes"], "clock_ghz": spec["sim"]["clock_ghz"]})
    return entry.func(net, traffic)


def prepare(spec: dict, network=None, max_memory: int | None = None, threads: int = 1,
            count_ports: bool = False, stats: bool = False):
    """Everything a run needs short of the core itself: (network, routing, pattern, arrays, settings),
    each checked. `fabric validate` stops here, so a spec it passes is one `run` will take."""
    import fabric.traffic  # noqa: F401

    net = network if network is not None else build_network(spec, max_memory, stats)
    routing = compile_routing(net, spec)
    if spec.get("jobs"):
        from .jobs import combine

        pattern, classes = combine(net, spec, make_pattern)
        traffic = classes[0][0]
    else:
        traffic = spec["traffic"]
        pattern = make_pattern(net, traffic, spec)
        classes = [(traffic, pattern)] + [(t, make_pattern(net, t, spec))
                                          for t in traffic.get("classes", {}).values()]
    check_core_limits(net, spec["router"]["vcs"])
    check_class_names(spec, net)
    if not pattern.get("allow_self", True) and net.n_endpoints < 2:
        raise FabricError("traffic.allow_self: false needs at least 2 endpoints")
    r, s = spec["router"], spec["sim"]
    settings = routing.get("settings", {})
    unknown = set(settings) - set(ROUTING_SETTINGS)
    if unknown:
        raise RuntimeError(f"routing {spec['routing']['algorithm']} gives the core unknown settings {sorted(unknown)}")
    main = injection_settings(traffic, pattern)
    setups = router_setups(r, net, routing, spec["routing"]["algorithm"])
    cfg = {
        "vcs": max(s.vcs for s in setups),
        "routers": setups,
        "route_mode": routing["mode"],
        "torus_tie": routing.get("torus_tie", TORUS_TIES["random"]),
        "hop_classes": settings.get("hop_classes", 1),
        "dragonfly": tuple(settings.get("dragonfly", (1, 1, 1, 1))),
        "ugal_threshold": settings.get("ugal_threshold", 0),
        "ecmp_any_vc": settings.get("ecmp_any_vc", False),
        "packet_keys": settings.get("packet_keys", False),
        "planes": net.planes,
        "plane_policy": net.info.get("plane_policy", PLANE_POLICIES["hash"]),
        "classes": [traffic_class(t, p) for t, p in classes],
        "packet_size": main["packet_size"],
        "packet_rate": main["packet_rate"],
        "budget": 0,
        "seed": s["seed"],
        "threads": threads,
        "count_ports": count_ports,
        "stats": stats,
        "stats_interval": spec["stats"]["interval"] if stats else 0,
        "deadlock_cycles": s["deadlock_cycles"],
        "check": s["check"],
        "window_start": s["warmup_cycles"],
        "window_end": s["warmup_cycles"] + s["measure_cycles"],
        "max_packets": max_packets(net.n_endpoints),
        "hist_limit": run_cycles(spec) + 1,
    }
    latency, cycles_per_flit = link_settings(net, spec["link"])
    arrays = {
        "port_indptr": net.port_indptr,
        "port_kind": net.port_kind,
        "port_peer": net.port_peer,
        "port_latency": latency,
        "port_cpf": cycles_per_flit,
        "endpoint_port": net.endpoint_port if net.endpoint_planes is None else net.endpoint_planes.ravel(),
        "router_coords": net.router_coords,
        "router_class": net.router_class,
        "dims": np.asarray(net.dims, np.int32),
        **(faults.core_arrays(net) if "faults" in net.info else {}),
        **routing.get("arrays", {}),
        **{k: v for k, v in pattern.items() if k in PATTERN_ARRAYS},
    }
    arrays["ep_packet_rate"] = cfg["packet_rate"] * np.asarray(pattern.get("rate_scale", 1.0), float)
    if len(classes) > 1:
        arrays.update(_class_arrays(classes, net.n_endpoints))
    if "messages" in pattern:           # closed loop: only the workload's messages, all measured
        arrays.update(pattern["messages"].arrays(net.n_endpoints))
        if len(classes) == 1:           # (jobs: the open-loop jobs' classes send beside them)
            arrays["ep_packet_rate"] = 0.0
        cfg.update(window_start=0, window_end=s["max_cycles"])
    if "budget" in pattern:             # closed loop: a fixed number of packets per source, back to back
        budget_class = dataclasses.replace(cfg["classes"][0], process=PROCESSES["budget"], sizes=(pattern["chunk"],),
                                           size_weights=(1.0,))
        cfg.update(window_start=0, window_end=s["max_cycles"], budget=pattern["budget"], packet_size=pattern["chunk"],
                   classes=[budget_class])
    return net, routing, pattern, arrays, CoreConfig(**{**cfg, "classes": tuple(cfg["classes"])})


def validate(spec, max_memory: int | None = None) -> list[str]:
    """Check a spec (path or dict) as far as running it would, without allocating the core; returns its
    warnings. Raises FabricError for anything `run` would refuse."""
    spec = _resolve(spec)
    _, routing, *_ = prepare(spec, max_memory=max_memory)
    warning = vc_class_warning(spec, routing)
    return [warning] if warning else []


def make_core(spec: dict, network=None, max_memory: int | None = None, threads: int = 1,
              count_ports: bool = False, stats: bool = False):
    """The compiled `Core` for a resolved spec (and its network), stepping its routers on `threads`
    threads; with `count_ports`, it counts the flits sent out of every port (`Core.port_flit_counts`)."""
    net, routing, pattern, arrays, cfg = prepare(spec, network, max_memory, threads, count_ports, stats)
    warning = vc_class_warning(spec, routing)
    if warning:
        warnings.warn(FabricWarning(warning), stacklevel=2)
    core = _core.Core(arrays, cfg)
    if "messages" in pattern or "budget" in pattern:       # closed loop: what the result reports about it
        core.workload = pattern["workload"]
        core.message_steps = pattern["messages"].step if "messages" in pattern else None
        core.message_dest = arrays.get("msg_dest")
        core.message_sends = np.asarray(pattern["messages"].sends) if "messages" in pattern else None
        core.workload_summary = pattern.get("summarize")
    return core, net


def check_core_limits(net, vcs: int) -> None:
    """Refuse a network beyond the widths of the core's fields (FabricError naming the keys)."""
    if net.n_endpoints > _core.MAX_ENDPOINTS:
        raise FabricError(f"topology: {net.n_endpoints} endpoints, more than the core's {_core.MAX_ENDPOINTS}")
    ports = int(np.diff(net.port_indptr).max(initial=0))
    if ports > _core.MAX_ROUTER_PORTS:
        raise FabricError(f"topology: a router of {ports} ports, more than the core's {_core.MAX_ROUTER_PORTS}")
    if ports * vcs > _core.MAX_ROUTER_VCS:
        raise FabricError(f"router.vcs: {vcs} VCs on a router of {ports} ports (topology) make {ports * vcs} "
                          f"input VCs, more than the core's {_core.MAX_ROUTER_VCS}")
    bits = sum(max(int(k) - 1, 0).bit_length() for k in net.dims)
    if bits > _core.MAX_COORD_BITS or len(net.dims) > 32:
        raise FabricError(f"topology.dims: {net.dims} needs {bits} bits of router coordinates, more than the "
                          f"core's {_core.MAX_COORD_BITS}")
