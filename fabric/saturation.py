"""Saturation search: on the injection rate, for the load at which a network stops keeping up.

A load *runs* when the simulation is not saturated (its source queues stay bounded and its measured
packets drain) and its mean packet latency stays below ``factor`` times the zero-load latency (measured at
0.01, or at the lowest load tried); the knee criterion of tests/data/booksim_README.md with factor 3. The
search keeps a bracket [runs, does not run] and narrows it until it is ``tolerance`` wide; the answer is
the bracket's middle, with every point it ran. With ``jobs`` = N, each round runs N loads at once,
cutting the bracket into N + 1 parts (N = 1 is bisection).
"""
from __future__ import annotations

import contextlib
import copy
import math

from .errors import FabricError
from .workers import worker_pool

ZERO_LOAD = 0.01


def _run_load(spec: dict, load: float, threads: int) -> dict:
    """One point of the search (in a worker process when jobs > 1)."""
    from .simulation import simulate

    s = copy.deepcopy(spec)
    s["traffic"]["injection_rate"] = round(load, 6)
    r = simulate(s, progress=False, threads=threads).to_dict()
    return {"offered": round(load, 6), "accepted": r["throughput"]["accepted"],
            "latency": r["latency"]["packet"]["mean"], "status": r["status"]}


def saturate(spec: dict, tolerance: float = 0.01, factor: float = 3.0, threads: int = 1, jobs: int = 1,
             progress: bool = False) -> dict:
    """The saturation throughput of a resolved spec's open-loop traffic (see the module docstring)."""
    from .spec import CLOSED_LOOP

    pattern = spec["traffic"]["pattern"]
    if spec.get("jobs"):
        raise FabricError("jobs: saturate searches the injection rate of [traffic]; with [jobs] vary a job's own "
                          "rate with fabric sweep --vary jobs.NAME.injection_rate=...")
    if pattern in CLOSED_LOOP:
        raise FabricError(f"traffic.pattern: saturate searches the injection rate of open-loop traffic, and a "
                          f"{pattern} workload has none (fabric run gives its completion time)")
    if not 0 < tolerance < 1:
        raise FabricError(f"--tolerance: must be between 0 and 1, got {tolerance:g}")
    rounds = math.ceil(math.log((1.0 - ZERO_LOAD) / tolerance) / math.log(jobs + 1))
    points = []
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(jobs)) if jobs > 1 else None
        bar = None
        if progress:
            import sys

            from tqdm import tqdm

            bar = stack.enter_context(tqdm(total=2 + rounds * jobs, unit="point", file=sys.stderr, leave=False))

        def run(loads):
            if pool is None:
                out = [_run_load(spec, load, threads) for load in loads]
            else:
                out = [f.result() for f in [pool.submit(_run_load, spec, load, threads) for load in loads]]
            points.extend(out)
            if bar is not None:
                bar.update(len(out))
            return out

        zero, top = run([ZERO_LOAD, 1.0])
        threshold = factor * (zero["latency"] or 0.0)

        def runs(point):
            return point["status"] == "ok" and point["latency"] is not None and point["latency"] < threshold

        low, high = (1.0, 1.0) if runs(top) else (ZERO_LOAD, 1.0)
        while high - low > tolerance:
            loads = [low + (high - low) * (i + 1) / (jobs + 1) for i in range(jobs)]
            for load, point in zip(loads, run(loads)):
                if not runs(point):
                    high = load
                    break
                low = load
    return {
        "saturation_throughput": round((low + high) / 2, 4),
        "bracket": [round(low, 4), round(high, 4)],
        "criterion": f"not saturated and mean packet latency below {factor:g} x zero-load ({threshold:.2f} cycles)",
        "zero_load_latency": zero["latency"],
        "points": sorted(points, key=lambda p: p["offered"]),
    }
