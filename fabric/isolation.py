"""Each job of a shared run ([jobs]) run again alone, on the same endpoints of the same fabric, and its
slowdown from sharing: `fabric run --isolated`."""
from __future__ import annotations

from .errors import FabricError
from .result import Result


def simulate_isolated(spec, **options) -> Result:
    """The shared run's result, each ``jobs.NAME`` with ``isolated`` (the same figures from a run of the job
    alone) and ``slowdown``: completion time shared / alone for a closed-loop job, mean packet latency
    shared / alone for an open-loop one (which runs alone for as many cycles as the shared run measured)."""
    from .build import _resolve
    from .jobs import place
    from .simulation import simulate
    from .spec import CLOSED_LOOP

    spec = _resolve(spec)
    if not spec["jobs"]:
        raise FabricError("--isolated: the spec has no [jobs] to run alone")
    shared = simulate(spec, **options).to_dict()
    placement = place(spec["jobs"], shared["topology"]["endpoints"])
    closed = shared.get("workload", {}).get("completion_cycles")
    cycles = closed if closed is not None else shared["cycles"]["measure"]
    for name, job in spec["jobs"].items():
        alone = {**spec, "jobs": {name: {**job, "placement": placement[name]}}}
        if job["pattern"] not in CLOSED_LOOP:
            alone["sim"] = {**spec["sim"], "warmup_cycles": 0 if closed is not None else spec["sim"]["warmup_cycles"],
                            "measure_cycles": max(cycles, 1), "drain_cycles": 0}
        own = simulate(alone, **options).to_dict()["jobs"][name]
        item = shared["jobs"][name]
        keep = ("completion_cycles", "completion_seconds", "iteration_cycles", "network_bandwidth_gbps",
                "algorithm_bandwidth_gbps", "bus_bandwidth_gbps", "messages", "accepted", "latency", "packets")
        item["isolated"] = {k: own[k] for k in keep if k in own}
        if job["pattern"] in CLOSED_LOOP:
            a, b = item.get("completion_cycles"), own.get("completion_cycles")
        else:
            a, b = item["latency"]["mean"], own["latency"]["mean"]
        item["slowdown"] = round(a / b, 6) if a is not None and b else None
    return Result(shared)
