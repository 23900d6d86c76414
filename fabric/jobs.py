"""Several jobs on one fabric (``[jobs.NAME]``): each job gets its own endpoints (its placement), numbers its
ranks within them, and runs its own workload there: a closed-loop one (collective, trace, chakra) as
messages, or open-loop traffic as a traffic class of its own whose sources and destinations are the
job's endpoints. The run ends when every closed-loop job has finished; the result's ``jobs.NAME`` gives
each job's completion, bandwidth and latency (docs/workloads.md).
"""
from __future__ import annotations

import numpy as np

from .constants import DEST_MODES
from .errors import FabricError
from .spec import CLOSED_LOOP


class JobView:
    """The network as a job's pattern sees it: the job's endpoints, numbered 0..k-1, without coordinates."""

    def __init__(self, net, endpoints):
        self.endpoints = np.asarray(endpoints, np.int64)
        self.n_endpoints = len(endpoints)
        self.dims = ()
        self._net = net

    @property
    def endpoint_router(self):
        return self._net.endpoint_router[self.endpoints]


def place(jobs: dict, n_endpoints: int) -> dict:
    """Each job's endpoints, rank by rank: explicit lists first (two that share an endpoint are an error),
    then the others in spec order from the endpoints left: the first ones (contiguous), evenly spread
    (strided), or a seeded random draw (random)."""
    owner, out = {}, {}
    for name, job in jobs.items():
        listed = job["placement"]
        if not isinstance(listed, list):
            continue
        where = f"jobs.{name}.placement"
        if len(listed) != job["endpoints"]:
            raise FabricError(f"{where}: {len(listed)} endpoints listed, jobs.{name}.endpoints is {job['endpoints']}")
        for e in listed:
            if e >= n_endpoints:
                raise FabricError(f"{where}: endpoint {e} does not exist (there are {n_endpoints})")
            if e in owner:
                what = "listed twice" if owner[e] == name else f"also job {owner[e]}'s"
                raise FabricError(f"{where}: endpoint {e} is {what}: jobs may not share an endpoint")
            owner[e] = name
        out[name] = list(listed)
    free = [e for e in range(n_endpoints) if e not in owner]
    for name, job in jobs.items():
        if name in out:
            continue
        k = job["endpoints"]
        if k > len(free):
            raise FabricError(f"jobs.{name}.endpoints: {k} endpoints, and {len(free)} of the {n_endpoints} are left "
                              f"after the jobs placed before it")
        if job["placement"] == "contiguous":
            picked = free[:k]
        elif job["placement"] == "strided":
            picked = free[:(len(free) // k) * k:len(free) // k]
        else:
            order = np.random.default_rng(job["placement_seed"]).permutation(len(free))[:k]
            picked = [free[i] for i in order]
        out[name] = picked
        chosen = set(picked)
        free = [e for e in free if e not in chosen]
    return out


def combine(net, spec: dict, make_pattern) -> tuple[dict, list]:
    """(the closed-loop jobs' pattern, [(traffic table, pattern) per core traffic class]) for the run: class
    0 carries every closed-loop job's messages (it creates nothing itself), and each open-loop job is a
    class after it."""
    from .traffic._messages import Messages

    jobs = spec["jobs"]
    closed = [name for name, job in jobs.items() if job["pattern"] in CLOSED_LOOP]
    placement = place(jobs, net.n_endpoints)
    if not closed:      # open loop only: a run with its windows, a class per job
        classes = [(job, _named(name, _open_loop, JobView(net, placement[name]), job, spec, make_pattern,
                                net.n_endpoints)) for name, job in jobs.items()]
        return classes[0][1], classes
    sizes = {jobs[name]["packet_size"] for name in closed}
    if len(sizes) > 1:
        raise FabricError(f"jobs.{closed[1]}.packet_size: the closed-loop jobs share one packet size (messages "
                          f"are cut alike), and job {closed[0]} has {jobs[closed[0]]['packet_size']}")
    messages = Messages()
    info = {}
    classes = [(jobs[closed[0]], {"rate_scale": 0.0})]
    for name, job in jobs.items():
        view = JobView(net, placement[name])
        if name in closed:
            info[name] = _named(name, _add_closed_loop, messages, view, job, spec, make_pattern)
        else:
            classes.append((job, _named(name, _open_loop, view, job, spec, make_pattern, net.n_endpoints)))
            info[name] = {"kind": "open_loop", "class": len(classes) - 1, "offered": job["injection_rate"]}
        info[name].update(_describe_job(job, placement[name]))
    workload = {"jobs": list(jobs), "_jobs": info, "flit_bytes": spec["link"]["flit_bytes"]}
    return {"messages": messages, "workload": workload, "summarize": summarize}, classes


def _named(name: str, make, *args):
    """make(*args), its errors naming the job's keys (jobs.NAME.key) rather than the traffic table's."""
    try:
        return make(*args)
    except FabricError as error:
        raise FabricError(str(error).replace("traffic.", f"jobs.{name}.", 1)) from None


def _describe_job(job: dict, endpoints: list) -> dict:
    out = {"pattern": job["pattern"], "endpoints": job["endpoints"], "start": job["start"],
           "placement": job["placement"] if isinstance(job["placement"], str) else "list"}
    if len(endpoints) <= 64:
        out["endpoint_ids"] = [int(e) for e in endpoints]
    return out


def open_loop_results(spec: dict, core, n_endpoints: int, measure: int) -> dict:
    """``jobs.NAME`` of a run of open-loop jobs only (a class each, in spec order), over its `measure`
    cycles of window."""
    placement = place(spec["jobs"], n_endpoints)
    stats = core.class_stats()
    if len(stats) == 1:         # one class: the core counts it in the run's own counters
        t = core.counters()
        stats = [({"delivered": t["measured_delivered"], "ejected_flits": t["window_ejected_flits"],
                   "measured": t["measured_created"], "sum_packet_latency": t["sum_packet_latency"],
                   "max_packet_latency": t["max_packet_latency"]}, core.histograms()[0])]
    out = {}
    for (name, job), (c, hist) in zip(spec["jobs"].items(), stats):
        item = {"kind": "open_loop", "offered": job["injection_rate"], **_describe_job(job, placement[name])}
        item.update(_class_figures(c, hist, max(measure, 1) * job["endpoints"]))
        out[name] = item
    return out


def _class_figures(c: dict, hist, span: int) -> dict:
    """A class's accepted throughput (flits per endpoint per cycle over `span` endpoint-cycles), packets
    and packet latency."""
    from .traffic._messages import histogram_latency

    n = int(c["delivered"])
    return {"accepted": round(c["ejected_flits"] / span, 6),
            "packets": {"created": int(c["measured"]), "delivered": n},
            "latency": histogram_latency(hist, c["sum_packet_latency"], n, c["max_packet_latency"])}


def _add_closed_loop(m, view, job, spec, make_pattern) -> dict:
    """Add the job's messages, iteration after iteration, to m: its ranks on the job's endpoints, its first
    messages from the job's start, and each iteration's after a step that waits for all of the last."""
    from .traffic import collective

    if job["pattern"] == "collective":
        count = collective.message_count(job["collective"], job["algorithm"], view.n_endpoints, job["segments"])
        if count > collective.MAX_MESSAGES:
            raise FabricError(f"traffic.algorithm: {job['algorithm']} {job['collective']} over {view.n_endpoints} "
                              f"ranks makes {count:,} messages, too many to hold")
        own, described = collective.build(job, view)
    else:
        if job["pattern"] == "chakra" and job["ranks_list"]:
            raise FabricError("traffic.ranks_list: a job's ranks are placed by its placement")
        made = make_pattern(view, job, spec)
        own, described = made["messages"], made["workload"]
    eps = view.endpoints
    has_children = np.zeros(len(own), bool)
    for deps in own.deps:
        has_children[list(deps)] = True
    sinks = np.flatnonzero(~has_children).tolist()
    ranges, barrier = [], None
    for it in range(job["iterations"]):
        base = len(m)
        for i in range(len(own)):
            deps = tuple(base + d for d in own.deps[i])
            if not own.deps[i] and barrier is not None:
                deps = (barrier,)
            start = own.start[i] + job["start"] if it == 0 else 0
            e = m.add(eps[own.src[i]], eps[own.dest[i]], own.flits[i], start, deps, own.step[i])
            m.delay[e], m.sends[e] = own.delay[i], own.sends[i]
        ranges.append((base, base + len(own)))
        if it + 1 < job["iterations"]:
            barrier = m.add_step(eps[0], 0, [base + s for s in sinks])
    described = dict(described)
    described.pop("rank_endpoints", None)
    return {"kind": "closed_loop", "iterations": job["iterations"], "_ranges": ranges, "_describe": described,
            "_flits": sum(f for f, s in zip(own.flits, own.sends) if s)}


def _open_loop(view, job, spec, make_pattern, n: int) -> dict:
    """The job's open-loop pattern, made on the job's endpoints, as a class over the whole network: only the
    job's endpoints send (rate_scale), to the job's endpoints."""
    from .traffic._alias import alias_tables

    if view.n_endpoints < 2 and not job.get("allow_self", True):
        raise FabricError("traffic.allow_self: false needs a job of at least 2 endpoints")
    made = make_pattern(view, job, spec)
    eps = view.endpoints
    k = len(eps)
    scale = np.zeros(n)
    scale[eps] = np.broadcast_to(np.asarray(made.get("rate_scale", 1.0), float), (k,))
    out = {"rate_scale": scale, "allow_self": made.get("allow_self", True), "start": job["start"]}
    mode = made.get("dest_mode", DEST_MODES["table" if "dest_table" in made else "uniform"])
    if mode == DEST_MODES["uniform"]:           # uniform over the job: one row of its endpoints, shared
        out.update(alias_tables([eps], [np.ones(k)], np.zeros(n, np.int64)), dest_mode=DEST_MODES["alias"])
    elif mode == DEST_MODES["table"]:
        table = np.full(n, -1, np.int64)
        local = np.broadcast_to(np.asarray(made["dest_table"]), (k,))
        table[eps] = np.where(local >= 0, eps[np.maximum(local, 0)], -1)
        out.update(dest_table=table, dest_mode=mode)
    elif mode == DEST_MODES["alias"]:
        rows = np.zeros(n, np.int64)
        rows[eps] = np.broadcast_to(np.asarray(made["alias_row"]), (k,))
        out.update(alias_row=rows, alias_lo=made["alias_lo"], alias_prob=made["alias_prob"],
                   alias_idx=made["alias_idx"], alias_dest=eps[np.asarray(made["alias_dest"])], dest_mode=mode)
    else:
        raise FabricError(f"traffic.pattern: {job['pattern']} cannot run as a job")
    return out


def summarize(workload: dict, core, release, done, seconds_per_cycle: float) -> dict:
    """Each job's own result (``jobs.NAME``) from the messages' release and done cycles and the traffic
    classes' counters."""
    from .traffic._messages import latency_summary

    flit_bytes = workload.pop("flit_bytes")
    sends = core.message_sends
    classes = core.class_stats() if any(j["kind"] == "open_loop" for j in workload["_jobs"].values()) else None
    elapsed = int(done.max()) if len(done) and (done >= 0).all() else int(core.now)
    out = {}
    for name, job in workload.pop("_jobs").items():
        item = {k: v for k, v in job.items() if not k.startswith("_") and k != "class"}
        if job["kind"] == "closed_loop":
            lo, hi = job["_ranges"][0][0], job["_ranges"][-1][1]
            d, r, s = done[lo:hi], release[lo:hi], sends[lo:hi]
            finished = bool((d >= 0).all())
            if finished:
                end = int(d.max())
                cycles = end - job["start"]
                per = [int(done[a:b].max()) for a, b in job["_ranges"]]
                item.update(finish_cycles=end, completion_cycles=cycles, completion_seconds=cycles * seconds_per_cycle,
                            iteration_cycles=[b - a for a, b in zip([job["start"]] + per[:-1], per)])
                moved = job["_flits"] * flit_bytes * job["iterations"]
                item["network_bandwidth_gbps"] = round(moved / max(cycles * seconds_per_cycle, 1e-30) / 1e9, 6)
                described = job["_describe"]
                if "size_flits" in described and "bus_factor" in described:
                    per_iteration = [b - a for a, b in zip([job["start"]] + per[:-1], per)]
                    algbw = described["size_flits"] * flit_bytes / (np.mean(per_iteration) * seconds_per_cycle) / 1e9
                    item.update(algorithm_bandwidth_gbps=round(algbw, 6),
                                bus_bandwidth_gbps=round(algbw * described["bus_factor"], 6))
            else:
                item["unfinished"] = f"{int((d < 0).sum())} of {len(d)} messages outstanding"
            item["messages"] = {"count": int(s.sum()), "done": int((d[s] >= 0).sum()),
                                "latency": latency_summary((d - r)[s & (d >= 0)])}
            for key in ("collective", "algorithm", "ranks", "size_flits", "chakra", "trace"):
                if key in job["_describe"]:
                    item[key] = job["_describe"][key]
        else:
            c, hist = classes[job["class"]]
            item.update(_class_figures(c, hist, max(elapsed - job["start"], 1) * job["endpoints"]))
        out[name] = item
    return {"jobs": out}
