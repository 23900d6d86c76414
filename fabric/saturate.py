"""Saturation search: bisection on the injection rate for the load at which a network stops keeping up.

A load *runs* when the simulation is not saturated (its source queues stay bounded and its measured
packets drain) and its mean packet latency stays below ``factor`` times the zero-load latency (measured at
0.01, or at the lowest load tried); the knee criterion of tests/data/booksim_README.md with factor 3. The
search keeps a bracket [runs, does not run] and halves it until it is ``tolerance`` wide; the answer is
the bracket's middle, with every point it ran.
"""
from __future__ import annotations

import copy

ZERO_LOAD = 0.01


def saturate(spec: dict, tolerance: float = 0.01, factor: float = 3.0, threads: int = 1) -> dict:
    from .engine import simulate

    def run(load):
        s = copy.deepcopy(spec)
        s["traffic"]["injection_rate"] = round(load, 6)
        r = simulate(s, progress=False, threads=threads).to_dict()
        point = {"offered": round(load, 6), "accepted": r["throughput"]["accepted"],
                 "latency": r["latency"]["packet"]["mean"], "status": r["status"]}
        points.append(point)
        return point

    points = []
    zero = run(ZERO_LOAD)
    threshold = factor * (zero["latency"] or 0.0)

    def runs(point):
        return point["status"] == "ok" and point["latency"] is not None and point["latency"] < threshold

    low, high = ZERO_LOAD, 1.0
    if runs(run(high)):
        low = high
    while high - low > tolerance:
        mid = (low + high) / 2
        if runs(run(mid)):
            low = mid
        else:
            high = mid
    return {
        "saturation_throughput": round((low + high) / 2, 4),
        "bracket": [round(low, 4), round(high, 4)],
        "criterion": f"not saturated and mean packet latency below {factor:g} x zero-load ({threshold:.2f} cycles)",
        "zero_load_latency": zero["latency"],
        "points": sorted(points, key=lambda p: p["offered"]),
    }
