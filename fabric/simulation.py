"""One simulation, from spec to `Result`: build the core, run it, summarise its counters and check them
against the analytic bounds. `fabric.simulate` and the CLI's `run` call this."""
from __future__ import annotations

import time

from . import activity, energy
from .bounds import bounds_and_warnings
from .build import _core, _resolve, link_settings, make_core
from .errors import FabricError
from .result import Result
from .run import run_phases
from .spec import MAX_THREADS
from .statistics import summarize, summarize_workload, wait_cycle

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


def simulate(spec, progress=None, max_memory: int | None = None, partial: bool = False,
             threads: int = 1, stats=None) -> Result:
    """Run one simulation; see the module docstring for the phases. ``max_memory`` (bytes) refuses a
    network whose estimated memory is larger, before anything is allocated. With ``partial``, Ctrl-C
    returns the statistics so far with status "interrupted" instead of raising KeyboardInterrupt.
    ``threads`` steps the routers of each cycle on that many threads; the result is the same for any
    number (only ``timing`` differs). ``stats`` (kinds of `fabric.activity.KINDS`, a comma list, or
    True for all) counts the activity of every link, router and endpoint, adds its summary to the
    result as ``stats`` and the tables asked for as ``Result.tables``."""
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise FabricError(f"threads: must be a whole number from 1 to {MAX_THREADS}, got {threads!r}")
    kinds = ()
    if stats:
        try:
            kinds = activity.parse_kinds(stats)
        except ValueError as e:
            raise FabricError(f"stats: {e}") from None
    spec = _resolve(spec)
    s = spec["sim"]
    started = time.perf_counter()
    core, net = make_core(spec, max_memory=max_memory, threads=threads, stats=bool(kinds))
    closed_loop = core.workload is not None
    reads = {} if kinds else None
    status, interrupted = run_phases(core, s, progress, partial, reads)
    wall = time.perf_counter() - started
    if status == _core.STATUS_INVARIANT:
        raise InvariantError(f"invariant broken at cycle {core.now}: "
                             f"{core.violation() or 'a flit arrived at a full buffer'}")
    if status == _core.STATUS_NO_MEMORY:
        raise RuntimeError(f"fabric core stopped at cycle {core.now}: {_STATUS_NAMES[status]}")
    if closed_loop:
        result = summarize_workload(spec, net, core, status, wall)
    else:
        result = summarize(spec, net, core, status, wall)
        if spec["jobs"]:            # open-loop jobs only: each job is a class
            from .jobs import open_loop_results
            from .statistics import measured_window

            result["jobs"] = open_loop_results(spec, core, net.n_endpoints, measured_window(s, int(core.now))[0])
            result["throughput"]["offered"] = round(sum(j["injection_rate"] * j["endpoints"]
                                                        for j in spec["jobs"].values()) / net.n_endpoints, 6)
    if status != _core.STATUS_DEADLOCK:
        latency, cycles_per_flit = link_settings(net, spec["link"])
        result["bounds"], result["warnings"] = bounds_and_warnings(spec, core, net, result, latency, cycles_per_flit,
                                                                   closed_loop)
    tables = {}
    if kinds:
        series = core.series()
        tables = _activity_tables(spec, net, core, reads, series)
        cycles = reads["end"]["now"] - reads["start"]["now"]
        result["stats"] = activity.summary(tables, cycles, spec["stats"]["interval"])
        if series[1]:               # a bucket could not be stored (no memory): the series is short of counts
            result["stats"]["series_lost"] = True
        result["energy"] = energy.run_energy(spec, net, tables, cycles,
                                             int(tables["endpoints"]["accepted_flits"].sum()))
        tables = {k: v for k, v in tables.items() if k in kinds}
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
    return Result(result, tables)


def _activity_tables(spec, net, core, reads, series) -> dict:
    """The tables of a run made with stats, from its two read-outs and its series."""
    _, cycles_per_flit = link_settings(net, spec["link"])
    window = activity.window_activity(reads["start"], reads["end"])
    names = ("main", *spec["traffic"].get("classes", {}))
    return activity.tables(net, window, window["now"], cycles_per_flit, series, spec["stats"]["interval"],
                           spec, names, now=core.now)
