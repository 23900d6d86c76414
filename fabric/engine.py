"""Run a spec on the compiled core: build the network, step warm-up, measurement and drain, and turn
the core's counters into a `Result`. The only module that imports `fabric._core`.

Measurement follows the open-loop method of Dally & Towles ch. 23 (and BookSim): packets created
during the measurement window [warmup, warmup + measure) are labelled; after the window the network
keeps running (traffic included) until every labelled packet has arrived or ``sim.drain_cycles`` pass.
Latency is over labelled packets; accepted throughput counts every flit ejected during the window.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
import warnings
from pathlib import Path

# fabric makes no BLAS calls, yet OpenBLAS (loaded with numpy) starts a thread per core that
# busy-waits: perf showed it taking 5% of the samples, on the other core. One thread avoids that. This
# only takes effect if numpy is not loaded yet, and leaves a user's own setting alone.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from . import registry
from ._version import __version__
from .constants import DEST_MODES, PLANE_POLICIES, PROCESSES, TORUS_TIES
from .core_config import ROUTING_SETTINGS, CoreConfig, TrafficClass
from .errors import FabricError, FabricWarning
from .result import SCHEMA_VERSION, Result
from .spec import CLOSED_LOOP, MAX_THREADS, mean_packet_size

from ._find_core import find_core  # noqa: E402

_core = find_core()

# A run is saturated when the backlog (flits created in the window but not ejected in it) exceeds
# this share of the flits created, beyond one packet per endpoint of slack for what is in flight.
BACKLOG_SHARE = 0.02
# Live packets (queued or in flight) allowed per endpoint before a run stops as saturated.
PACKETS_PER_ENDPOINT = 2048
MAX_PACKETS = 1 << 26

_STATUS_NAMES = {
    _core.STATUS_OK: "ok",
    _core.STATUS_DRAINED: "drained",
    _core.STATUS_PACKET_LIMIT: "packet_limit",
    _core.STATUS_NO_MEMORY: "no_memory",
    _core.STATUS_INVARIANT: "invariant",
    _core.STATUS_DEADLOCK: "deadlock",
}


class InvariantError(RuntimeError):
    """The simulation broke one of its own invariants (a bug in fabric, not in the spec)."""


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


def estimate_bytes(spec: dict) -> int:
    """The most memory the core can need for a resolved spec, from the network's size alone (nothing
    is built): per port its VC state, buffers and link slots; per endpoint its injection state; the
    arrays Python builds on the way; and what grows during the run, at its limits: the packet pool (at
    the packet limit) and the latency histograms (one bin per cycle the run can last)."""
    import fabric.topologies  # noqa: F401

    routers, ports, endpoints = registry.topologies.get(spec["topology"]["kind"]).extra["size"](spec["topology"])
    r = spec["router"]
    link = spec["link"]
    classes = link["classes"].values()
    longest = max([link["latency"], spec["topology"].get("global_latency", 1)]
                  + [c.get("latency", 1) for c in classes])
    longest += max([link["cycles_per_flit"]] + [c.get("cycles_per_flit", 1) for c in classes]) - 1
    slots = 1 << (longest + r["sw_alloc_delay"] + r["st_delay"] + 2).bit_length()
    vcs, depth = r["vcs"], r["vc_buffer"]
    per_port = vcs * (32 + 8 + 8 * depth) + slots * 10 + 64
    per_endpoint = vcs * 8 + slots + 64
    histograms = 2 * 8 * (run_cycles(spec) + 1) * (1 + len(spec["traffic"].get("classes", {})))
    return (ports * per_port + endpoints * per_endpoint + routers * 64 + max_packets(endpoints) * PACKET_BYTES
            + histograms)


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


def check_memory(spec: dict, max_bytes: int | None = None) -> None:
    """Refuse, before allocating anything, a network that would not fit in memory (or in max_bytes)."""
    need, have = estimate_bytes(spec), available_bytes()
    key = "topology.dims" if "dims" in spec["topology"] else "topology"
    if max_bytes is not None and need > max_bytes:
        raise FabricError(f"{key}: this {spec['topology']['kind']} needs about {need / 2**30:.2f} GiB, more than "
                          f"--max-memory ({max_bytes / 2**30:.2f} GiB)")
    if need > have:
        raise FabricError(
            f"{key}: this {spec['topology']['kind']} needs about {need / 2**30:.1f} GiB, "
            f"more than the {have / 2**30:.1f} GiB available"
        )


def parse_size(text: str) -> int:
    """Bytes of '512M', '2G', '1.5G' or a plain number of bytes."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise FabricError(f"--max-memory: a size like 512M or 2G, got {text!r}") from None
    if value <= 0:
        raise FabricError(f"--max-memory: must be above 0, got {text!r}")
    return int(value)


def build_network(spec, max_memory: int | None = None):
    """The `fabric.network.Network` of a spec (path or dict)."""
    spec = _resolve(spec)
    check_memory(spec, max_memory)
    entry = registry.topologies.get(spec["topology"]["kind"])
    return entry.func(spec["topology"], spec["link"])


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
                        on_share=inj["on_share"])


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


def link_settings(net, link: dict):
    """(latency, cycles per flit) of every port's outgoing link: the builder's latency and
    ``link.cycles_per_flit``, replaced per class by ``[link.classes.NAME]``."""
    from .network import PORT_LINK

    latency = net.port_latency.astype(np.int32)
    cycles_per_flit = np.full(net.n_ports, link["cycles_per_flit"], np.int16)
    for name, settings in link["classes"].items():
        if name not in net.link_classes:
            raise FabricError(f"link.classes.{name}: a {net.kind} has no link class {name!r} "
                              f"(its classes: {', '.join(net.link_classes)})")
        ports = (net.port_class == net.link_classes.index(name)) & (net.port_kind == PORT_LINK)
        if "latency" in settings:
            latency[ports] = settings["latency"]
        if "cycles_per_flit" in settings:
            cycles_per_flit[ports] = settings["cycles_per_flit"]
    return latency, cycles_per_flit


def vc_class_warning(spec: dict, routing: dict) -> str | None:
    """Why a routing's VC classes cost throughput, if one of them has a single VC: a packet in that
    class then waits behind every packet ahead of it (README, "Dragonfly", has the figures)."""
    classes = routing.get("vc_classes") or routing.get("settings", {}).get("hop_classes", 1)
    vcs = spec["router"]["vcs"]
    if classes < 2 or routing.get("settings", {}).get("ecmp_any_vc") or vcs // classes > 1:
        return None
    return (f"router.vcs: {spec['routing']['algorithm']} splits the {vcs} VCs into {classes} classes, so a class "
            f"has a single VC, which costs throughput; {2 * classes} or more VCs give every class two")


def prepare(spec: dict, network=None, max_memory: int | None = None, threads: int = 1,
            count_ports: bool = False):
    """Everything a run needs short of the core itself: (network, routing, pattern, arrays, settings),
    each checked. `fabric validate` stops here, so a spec it passes is one `run` will take."""
    import fabric.routing  # noqa: F401
    import fabric.traffic  # noqa: F401

    net = network if network is not None else build_network(spec, max_memory)
    routing = registry.routings.get(spec["routing"]["algorithm"]).func(net, spec["routing"])
    traffic = spec["traffic"]
    pattern = registry.traffic_patterns.get(traffic["pattern"]).func(net, traffic)
    classes = [(traffic, pattern)] + [(t, registry.traffic_patterns.get(t["pattern"]).func(net, t))
                                      for t in traffic.get("classes", {}).values()]
    check_core_limits(net, spec["router"]["vcs"])
    if not pattern.get("allow_self", True) and net.n_endpoints < 2:
        raise FabricError("traffic.allow_self: false needs at least 2 endpoints")
    r, s = spec["router"], spec["sim"]
    settings = routing.get("settings", {})
    unknown = set(settings) - set(ROUTING_SETTINGS)
    if unknown:
        raise RuntimeError(f"routing {spec['routing']['algorithm']} gives the core unknown settings {sorted(unknown)}")
    main = injection_settings(traffic, pattern)
    cfg = {
        "vcs": r["vcs"],
        "vc_buffer": r["vc_buffer"],
        "routing_delay": r["routing_delay"],
        "vc_alloc_delay": r["vc_alloc_delay"],
        "sw_alloc_delay": r["sw_alloc_delay"],
        "st_delay": r["st_delay"],
        "route_mode": routing["mode"],
        "torus_tie": routing.get("torus_tie", TORUS_TIES["random"]),
        "hop_classes": settings.get("hop_classes", 1),
        "dragonfly": tuple(settings.get("dragonfly", (1, 1, 1, 1))),
        "ugal_threshold": settings.get("ugal_threshold", 0),
        "ecmp_any_vc": settings.get("ecmp_any_vc", False),
        "planes": net.planes,
        "plane_policy": net.info.get("plane_policy", PLANE_POLICIES["hash"]),
        "classes": [traffic_class(t, p) for t, p in classes],
        "packet_size": main["packet_size"],
        "packet_rate": main["packet_rate"],
        "budget": 0,
        "seed": s["seed"],
        "threads": threads,
        "count_ports": count_ports,
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
        "dims": np.asarray(net.dims, np.int32),
        **routing.get("arrays", {}),
        **{k: v for k, v in pattern.items() if k in PATTERN_ARRAYS},
    }
    arrays["ep_packet_rate"] = cfg["packet_rate"] * np.asarray(pattern.get("rate_scale", 1.0), float)
    if len(classes) > 1:
        arrays.update(_class_arrays(classes, net.n_endpoints))
    if "messages" in pattern:           # closed loop: only the workload's messages, all measured
        arrays.update(pattern["messages"].arrays(net.n_endpoints))
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
              count_ports: bool = False):
    """The compiled `Core` for a resolved spec (and its network), stepping its routers on `threads`
    threads; with `count_ports`, it counts the flits sent out of every port (`Core.port_flit_counts`)."""
    net, routing, pattern, arrays, cfg = prepare(spec, network, max_memory, threads, count_ports)
    warning = vc_class_warning(spec, routing)
    if warning:
        warnings.warn(FabricWarning(warning), stacklevel=2)
    core = _core.Core(arrays, cfg)
    if "messages" in pattern or "budget" in pattern:       # closed loop: what the result reports about it
        core.workload = pattern["workload"]
        core.message_steps = pattern["messages"].step if "messages" in pattern else None
        core.message_dest = arrays.get("msg_dest")
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


def _progress_bar(progress, total):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="cycle", unit_scale=True, file=sys.stderr, leave=False)


# Python sees Ctrl-C only between calls into the core, so a run is stepped in slices of about this much
# wall time: it stops within half a second at any size.
SLICE_SECONDS = 0.05


def _run_phase(core, until, stop_when_drained, bar):
    """Advance the core to `until` in slices of about SLICE_SECONDS (for progress and Ctrl-C); returns
    the last status. A slice is at most twice the last, sized by the speed the last one ran at."""
    status = _core.STATUS_OK
    cycles = 1
    while core.now < until:
        before, started = core.now, time.perf_counter()
        status = core.run(min(until, core.now + cycles), stop_when_drained)
        spent = time.perf_counter() - started
        if bar is not None:
            bar.update(core.now - before)
        if status != _core.STATUS_OK:
            break
        cycles = max(1, min(2 * cycles, int((core.now - before) * SLICE_SECONDS / max(spent, 1e-6))))
    return status


def simulate(spec, progress=None, max_memory: int | None = None, partial: bool = False,
             threads: int = 1) -> Result:
    """Run one simulation; see the module docstring for the phases. ``max_memory`` (bytes) refuses a
    network whose estimated memory is larger, before anything is allocated. With ``partial``, Ctrl-C
    returns the statistics so far with status "interrupted" instead of raising KeyboardInterrupt.
    ``threads`` steps the routers of each cycle on that many threads; the result is the same for any
    number (only ``timing`` differs)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise FabricError(f"threads: must be a whole number from 1 to {MAX_THREADS}, got {threads!r}")
    spec = _resolve(spec)
    s = spec["sim"]
    started = time.perf_counter()
    core, net = make_core(spec, max_memory=max_memory, threads=threads)
    window_end = s["warmup_cycles"] + s["measure_cycles"]
    closed_loop = core.workload is not None
    # a workload's length is unknown (the bar counts cycles); a run's is its window and drain budget,
    # and a run that drains early fills the bar before it goes
    bar = _progress_bar(progress, None if closed_loop else window_end + s["drain_cycles"])
    interrupted = False
    try:
        if closed_loop:                 # until every message has arrived
            status = _run_phase(core, s["max_cycles"], True, bar)
        else:
            status = _run_phase(core, window_end, False, bar)
            if status == _core.STATUS_OK and s["drain_cycles"] > 0:
                status = _run_phase(core, window_end + s["drain_cycles"], True, bar)
            if bar is not None and status == _core.STATUS_DRAINED:
                bar.update(bar.total - bar.n)
    except KeyboardInterrupt:
        if not partial:
            raise
        status, interrupted = _core.STATUS_OK, True
    finally:
        if bar is not None:
            bar.close()
    wall = time.perf_counter() - started
    if status == _core.STATUS_INVARIANT:
        raise InvariantError(f"invariant broken at cycle {core.now}: "
                             f"{core.violation() or 'a flit arrived at a full buffer'}")
    if status == _core.STATUS_NO_MEMORY:
        raise RuntimeError(f"fabric core stopped at cycle {core.now}: {_STATUS_NAMES[status]}")
    if closed_loop:
        result = _summarize_workload(spec, net, core, status, wall)
    else:
        result = _summarize(spec, net, core, status, wall)
    if status != _core.STATUS_DEADLOCK:
        from .bounds import bounds_and_warnings

        latency, cycles_per_flit = link_settings(net, spec["link"])
        result["bounds"], result["warnings"] = bounds_and_warnings(spec, core, net, result, latency, cycles_per_flit,
                                                                   closed_loop)
    if "timing" in result:
        result["timing"]["threads"] = threads
    if interrupted:         # its rates are over the cycles that ran; its drain never ended
        result.update(status="interrupted", interrupted_at=int(core.now))
    if status == _core.STATUS_DEADLOCK:
        cycle = wait_cycle(core, net)
        if not cycle:       # nothing moved, yet no VC waits for another: the core's own bug, not a deadlock
            raise InvariantError(f"no flit moved for {s['deadlock_cycles']} cycles up to cycle {core.now}, "
                                 f"but no cycle of waiting VCs holds them")
        result.update(status="deadlock", saturated=False, saturation_reasons=[],
                      deadlock={"detected_at": int(core.now), "no_flit_moved_for": s["deadlock_cycles"],
                                "cycle": cycle})
    return Result(result)


def wait_cycle(core, net) -> list:
    """A cycle of input VCs each waiting for the next (a deadlock's witness), as {router, port, vc}:
    a VC holding an output VC waits for the buffer behind it (no credits), one waiting for VC
    allocation waits for the input VCs holding the output VCs it may take."""
    from .network import PORT_LINK

    count, state, out, sel = core.vc_states()
    owner = net.port_router
    first = net.port_indptr[owner]
    V = count.shape[1]
    holders = {}                                  # (output port, output VC) -> input VC holding it
    for p, v in zip(*np.nonzero(state >= 2)):
        holders[(int(first[p] + out[p, v]), int(sel[p, v]))] = (int(p), int(v))
    waits = {}
    for p, v in zip(*np.nonzero(count > 0)):
        p, v = int(p), int(v)
        o = int(first[p] + out[p, v])
        if state[p, v] >= 2 and net.port_kind[o] == PORT_LINK:
            waits[(p, v)] = [(int(net.port_peer[o]), int(sel[p, v]))]
        elif state[p, v] == 1:
            allowed = core.class_vcs(int(sel[p, v]))
            waits[(p, v)] = [holders[(o, ov)] for ov in range(V) if allowed >> ov & 1 and (o, ov) in holders]
    # depth-first search for a cycle among the waiting VCs
    colour, parent = {}, {}
    for start in waits:
        if colour.get(start):
            continue
        stack = [(start, iter(waits.get(start, ())))]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(child) == 1:
                cycle = [child] + [n for n, _ in stack[[n for n, _ in stack].index(child) + 1:]]
                return [{"router": int(owner[p]), "port": int(p - first[p]), "vc": v} for p, v in cycle]
            elif not colour.get(child) and child in waits:
                colour[child] = 1
                stack.append((child, iter(waits[child])))
    return []


def _percentile(hist: np.ndarray, n: int, q: float):
    """Nearest-rank percentile: the smallest latency with at least q*n samples at or below it."""
    if n == 0:
        return None
    rank = max(1, int(np.ceil(q * n)))
    return int(np.searchsorted(np.cumsum(hist), rank))


def _latency(hist, total_sum, n, maximum):
    return {
        "mean": round(total_sum / n, 6) if n else None,
        "p50": _percentile(hist, n, 0.50),
        "p99": _percentile(hist, n, 0.99),
        "max": int(maximum) if n else None,
    }


def _summarize_workload(spec, net, core, status, wall) -> dict:
    """A closed-loop run: the usual keys over the whole run (every packet is measured, throughput is
    over the completion time), plus ``workload``: completion, per-message latency and, for a collective,
    per-step finish, bandwidths and the straggler."""
    from .traffic._messages import latency_summary

    c = core.counters()
    if core.message_dest is None:       # a budget workload: no per-message record
        finished = c["budget_left"] == 0 and c["measured_outstanding"] == 0
        return _summarize_budget(spec, net, core, status, wall, c, finished)
    release, done = core.messages()
    finished = bool((done >= 0).all())
    total = int(c["now"])
    elapsed = int(done.max()) if finished else total
    result = _summarize(spec, net, core, status, wall)
    n_ep = net.n_endpoints
    span = max(elapsed, 1) * n_ep
    # a workload sets its own pace: it has no offered load, and one that did not finish is unfinished,
    # not saturated
    result.update(
        status="ok" if finished else "unfinished",
        saturated=False,
        saturation_reasons=[],
        cycles={"warmup": 0, "measure": elapsed, "drain": 0, "total": max(total, elapsed)},
        throughput={"offered": None,
                    "created": round(c["created_flits"] / span, 6),
                    "injected": round(c["injected_flits"] / span, 6),
                    "accepted": round(c["delivered_flits"] / span, 6)},
    )
    workload = dict(core.workload)
    if not finished:
        left = int((done < 0).sum())
        workload["unfinished"] = f"{_unfinished(status, total)}: {left} of {len(done)} messages outstanding"
    workload.update(completion_cycles=elapsed if finished else None, messages={
        "count": len(done), "done": int((done >= 0).sum()),
        "latency": latency_summary((done - release)[done >= 0])})
    if "collective" in workload:
        steps = np.asarray(core.message_steps)
        ranks = workload.pop("rank_endpoints")
        phases = workload.pop("phases")
        if finished:
            ends = [int(done[steps == k].max()) for k in range(len(phases))]
            workload["steps"] = [{"step": k, "phase": phase, "finish": end, "cycles": end - (ends[k - 1] if k else 0)}
                                 for k, (phase, end) in enumerate(zip(phases, ends))]
            algbw = workload["size_flits"] / max(elapsed, 1)
            workload["algorithm_bandwidth"] = round(algbw, 6)
            workload["bus_bandwidth"] = round(algbw * workload.pop("bus_factor"), 6)
            dest = core.message_dest
            last = int(np.argmax(done))
            workload["straggler"] = {"rank": ranks.index(int(dest[last])), "endpoint": int(dest[last]),
                                     "finish": int(done[last])}
        else:
            workload.pop("bus_factor")
    result["workload"] = workload
    return result


def _unfinished(status, total) -> str:
    """Why a closed-loop workload stopped before it finished."""
    if status == _core.STATUS_PACKET_LIMIT:
        return (f"the workload stopped at cycle {total}: the packets queued at its sources reached the packet "
                f"limit")
    return f"the workload did not finish within sim.max_cycles ({total} cycles)"


def _summarize_budget(spec, net, core, status, wall, c, finished) -> dict:
    """An all-to-all run as per-source packet budgets: completion is the last arrival, the straggler the
    endpoint whose last packet arrived last, and message latency is packet latency."""
    result = _summarize(spec, net, core, status, wall)
    total = int(c["now"])
    elapsed = int(c["last_arrival"]) if finished else total
    n_ep = net.n_endpoints
    span = max(elapsed, 1) * n_ep
    result.update(
        status="ok" if finished else "unfinished", saturated=False, saturation_reasons=[],
        cycles={"warmup": 0, "measure": elapsed, "drain": 0, "total": max(total, elapsed)},
        throughput={"offered": None, "created": round(c["created_flits"] / span, 6),
                    "injected": round(c["injected_flits"] / span, 6),
                    "accepted": round(c["delivered_flits"] / span, 6)})
    workload = dict(core.workload)
    if not finished:
        workload["unfinished"] = _unfinished(status, total)
    workload.pop("rank_endpoints")
    phases = workload.pop("phases")
    factor = workload.pop("bus_factor")
    count = n_ep * (n_ep - 1)
    workload.update(completion_cycles=elapsed if finished else None,
                    messages={"count": count, "done": int(c["delivered_packets"]),
                              "latency": result["latency"]["packet"]})
    if finished:
        last = core.last_arrivals()
        algbw = workload["size_flits"] / max(elapsed, 1)
        workload.update(steps=[{"step": 0, "phase": phases[0], "finish": elapsed, "cycles": elapsed}],
                        algorithm_bandwidth=round(algbw, 6), bus_bandwidth=round(algbw * factor, 6),
                        straggler={"rank": int(np.argmax(last)), "endpoint": int(np.argmax(last)),
                                   "finish": int(last.max())})
    result["workload"] = workload
    return result


def _rate(flits, window, has_measurement):
    """Flits per endpoint per cycle over the window that ran, or None without a measurement."""
    return round(flits / window, 6) if has_measurement else None


def _class_results(spec, net, core) -> dict:
    """Per traffic class: throughput, latency, hops and packets, as the run's own keys."""
    t, s = spec["traffic"], spec["sim"]
    names = ["main"] + list(t["classes"])
    rates = [t["injection_rate"]] + [c["injection_rate"] for c in t["classes"].values()]
    measure, has = measured_window(s, int(core.now))
    window = net.n_endpoints * measure
    out = {}
    for name, rate, (c, hist) in zip(names, rates, core.class_stats()):
        n = int(c["delivered"])
        out[name] = {
            "throughput": {"offered": rate, "created": _rate(c["created_flits"], window, has),
                           "injected": _rate(c["injected_flits"], window, has),
                           "accepted": _rate(c["ejected_flits"], window, has)},
            "latency": {"packet": _latency(hist, c["sum_packet_latency"], n, c["max_packet_latency"]),
                        "network": {"mean": round(c["sum_network_latency"] / n, 6) if n else None,
                                    "max": int(c["max_network_latency"]) if n else None}},
            "hops": {"mean": round(c["sum_hops"] / n, 6) if n else None},
            "packets": {"measured": int(c["measured"]), "delivered": n},
        }
    return out


# A run that stopped early (at the packet limit, or interrupted) reports rates over the part of its
# measurement window that ran, if at least this many cycles of it did (or the whole window, if shorter).
MIN_MEASURED_CYCLES = 1000


def measured_window(sim: dict, total: int) -> tuple[int, bool]:
    """The cycles of the measurement window that ran in a run of `total` cycles, and whether they are
    enough to report rates over."""
    ran = max(0, min(sim["measure_cycles"], total - sim["warmup_cycles"]))
    return ran, ran > 0 and ran >= min(MIN_MEASURED_CYCLES, sim["measure_cycles"])


def _summarize(spec, net, core, status, wall) -> dict:
    c = core.counters()
    s, t = spec["sim"], spec["traffic"]
    warmup = s["warmup_cycles"]
    total = int(c["now"])
    measure, has_measurement = measured_window(s, total)
    n_ep = net.n_endpoints
    window = n_ep * measure
    hist_p, hist_n = core.histograms()
    n = int(c["measured_delivered"])

    backlog = c["window_created_flits"] - c["window_ejected_flits"]
    reasons = []
    if status == _core.STATUS_PACKET_LIMIT:
        reasons.append(f"source queues exceeded the packet limit ({max_packets(n_ep)} live packets); run "
                       f"stopped early at cycle {total}")
    if status == _core.STATUS_PACKET_LIMIT and not has_measurement:
        reasons.append(f"stopped after {measure} cycles of the measurement window, fewer than "
                       f"{min(MIN_MEASURED_CYCLES, s['measure_cycles'])}: no measurement")
    drain_ended = total >= warmup + s["measure_cycles"] + s["drain_cycles"]
    if s["drain_cycles"] > 0 and drain_ended and c["measured_outstanding"] > 0:
        reasons.append("measured packets did not drain within sim.drain_cycles")
    if backlog > BACKLOG_SHARE * c["window_created_flits"] + n_ep * mean_packet_size(t["packet_size"]):
        reasons.append("source queues grew during the measurement window")
    saturated = bool(reasons)
    in_network = core.flits_in_network()
    return {
        "schema_version": SCHEMA_VERSION,
        "fabric_version": __version__,
        "status": "saturated" if saturated else "ok",
        "saturated": saturated,
        "saturation_reasons": reasons,
        "spec": spec,
        "topology": {
            "kind": net.kind,
            "routers": net.n_routers,
            "endpoints": n_ep,
            "links": net.n_links,
        },
        "cycles": {
            "warmup": min(warmup, total),
            "measure": measure,
            "drain": max(0, total - warmup - s["measure_cycles"]),
            "total": total,
        },
        "throughput": {
            "offered": round(t["injection_rate"] + sum(c["injection_rate"] for c in t.get("classes", {}).values()), 6),
            "created": _rate(c["window_created_flits"], window, has_measurement),
            "injected": _rate(c["window_injected_flits"], window, has_measurement),
            "accepted": _rate(c["window_ejected_flits"], window, has_measurement),
        },
        "latency": {
            "packet": _latency(hist_p, c["sum_packet_latency"], n, c["max_packet_latency"]),
            "network": _latency(hist_n, c["sum_network_latency"], n, c["max_network_latency"]),
        },
        "hops": {"mean": round(c["sum_hops"] / n, 6) if n else None},
        "packets": {"measured": int(c["measured_created"]), "delivered": n},
        "flits": {
            "created": int(c["created_flits"]),
            "injected": int(c["injected_flits"]),
            "delivered": int(c["delivered_flits"]),
            "in_network": int(in_network),
            "in_source_queues": int(c["source_flits"]),
        },
        **({"classes": _class_results(spec, net, core)} if spec["traffic"].get("classes") else {}),
        "timing": {
            "wall_seconds": round(wall, 4),
            "router_cycles_per_second": round(net.n_routers * total / wall, 1) if wall > 0 else None,
            "flit_hops_per_second": round(c["flit_hops"] / wall, 1) if wall > 0 else None,
        },
    }
