"""What a run measured, from the core's counters and histograms: throughput over the window's cycles that
ran, latency (nearest-rank percentiles of exact histograms), hops, packets, flits, per traffic class and
per workload; and a deadlock's witness, the cycle of waiting VCs.

Measurement follows the open-loop method of Dally & Towles ch. 23 (and BookSim): packets created
during the measurement window [warmup, warmup + measure) are labelled; after the window the network
keeps running (traffic included) until every labelled packet has arrived or ``sim.drain_cycles`` pass.
Latency is over labelled packets; accepted throughput counts every flit ejected during the window.
"""
from __future__ import annotations

import numpy as np

from ._version import __version__
from .build import _core, max_packets
from .result import SCHEMA_VERSION
from .spec import mean_packet_size

# A run is saturated when the backlog (flits created in the window but not ejected in it) exceeds
# this share of the flits created, beyond one packet per endpoint of slack for what is in flight.
BACKLOG_SHARE = 0.02


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


def _latency(hist, total_sum, n, maximum):
    from .traffic._messages import histogram_latency

    return histogram_latency(hist, total_sum, n, maximum)


def summarize_workload(spec, net, core, status, wall) -> dict:
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
    result = summarize(spec, net, core, status, wall)
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
    sends = core.message_sends
    seconds_per_cycle = 1e-9 / spec["sim"]["clock_ghz"]
    workload.update(completion_cycles=elapsed if finished else None,
                    completion_seconds=elapsed * seconds_per_cycle if finished else None, messages={
                        "count": int(sends.sum()), "done": int((done[sends] >= 0).sum()),
                        "latency": latency_summary((done - release)[sends & (done >= 0)])})
    if core.workload_summary is not None:
        extra = core.workload_summary(workload, core, release, done, seconds_per_cycle)
        if "jobs" in extra:
            result["jobs"] = extra.pop("jobs")
        workload.update(extra)
    if "collective" in workload:
        steps = np.asarray(core.message_steps)
        ranks = workload.pop("rank_endpoints")
        phases = workload.pop("phases")
        if finished:
            ends = [int(done[steps == k].max()) for k in range(len(phases))]
            workload["steps"] = [{"step": k, "phase": phase, "finish": end, "cycles": end - (ends[k - 1] if k else 0)}
                                 for k, (phase, end) in enumerate(zip(phases, ends))]
            algbw = workload["size_flits"] / max(elapsed, 1)
            factor = workload.pop("bus_factor")
            workload["algorithm_bandwidth"] = round(algbw, 6)
            workload["bus_bandwidth"] = round(algbw * factor, 6)
            gbps = algbw * spec["link"]["flit_bytes"] * spec["sim"]["clock_ghz"]    # flits/cycle -> GB/s
            workload["algorithm_bandwidth_gbps"] = round(gbps, 6)
            workload["bus_bandwidth_gbps"] = round(gbps * factor, 6)
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
    result = summarize(spec, net, core, status, wall)
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
                    completion_seconds=elapsed * 1e-9 / spec["sim"]["clock_ghz"] if finished else None,
                    messages={"count": count, "done": int(c["delivered_packets"]),
                              "latency": result["latency"]["packet"]})
    if finished:
        last = core.last_arrivals()
        algbw = workload["size_flits"] / max(elapsed, 1)
        gbps = algbw * spec["link"]["flit_bytes"] * spec["sim"]["clock_ghz"]
        workload.update(steps=[{"step": 0, "phase": phases[0], "finish": elapsed, "cycles": elapsed}],
                        algorithm_bandwidth=round(algbw, 6), bus_bandwidth=round(algbw * factor, 6),
                        algorithm_bandwidth_gbps=round(gbps, 6), bus_bandwidth_gbps=round(gbps * factor, 6),
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


def summarize(spec, net, core, status, wall) -> dict:
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
    extra = {}
    if "faults" in net.info:
        from .faults import summary

        extra["faults"] = summary(net, c)
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
        **extra,
        "timing": {
            "wall_seconds": round(wall, 4),
            "router_cycles_per_second": round(net.n_routers * total / wall, 1) if wall > 0 else None,
            "flit_hops_per_second": round(c["flit_hops"] / wall, 1) if wall > 0 else None,
        },
    }
