"""What `--stats` costs: the speed of a run with every statistic on over the same run without.

    python benchmarks/stats_cost.py --case clos15488@0.1                    # turns in one process
    python benchmarks/stats_cost.py --case torus25x25x25@0.1 --processes 5  # separate processes, in pairs

Turns: one core with and one without, built from the same build, run 25 cycles each in turn (--slices
times); the median of the paired speed ratios. Processes: a process per run (300 cycles of warm-up, then
--cycles timed), without then with, --processes pairs; the median of the pairs' ratios. The first is less
disturbed by the machine's drift, the second by the two cores sharing the caches.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import run_spec  # noqa: E402


def make(case: str, stats: bool):
    import fabric.build as build
    from fabric.spec import resolve_spec

    spec = resolve_spec(run_spec(case, 300, 10**6))
    return build.make_core(spec, stats=stats)


def one_process(case: str, stats: bool, cycles: int) -> float:
    """Router-cycles per second of one run (called in a child process)."""
    core, net = make(case, stats)
    core.run(300)
    started = time.perf_counter()
    core.run(300 + cycles)
    return net.n_routers * cycles / (time.perf_counter() - started)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", default="torus25x25x25@0.1", help="NAME@LOAD, NAME as in bench.py")
    ap.add_argument("--slices", type=int, default=40, help="turns of 25 cycles per core")
    ap.add_argument("--processes", type=int, default=0, help="pairs of separate processes instead of turns")
    ap.add_argument("--cycles", type=int, default=500, help="timed cycles of each process")
    ap.add_argument("--child", choices=("off", "on"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(one_process(a.case, a.child == "on", a.cycles))
        return
    ratios = []
    if a.processes:
        for _ in range(a.processes):
            speed = {m: float(subprocess.run([sys.executable, __file__, "--case", a.case, "--cycles", str(a.cycles),
                                              "--child", m], check=True, capture_output=True, text=True).stdout)
                     for m in ("off", "on")}
            ratios.append(speed["on"] / speed["off"])
    else:
        cores = {m: make(a.case, m == "on")[0] for m in ("off", "on")}
        for core in cores.values():
            core.run(300)
        for _ in range(a.slices):
            spent = {}
            for m, core in cores.items():
                started = time.perf_counter()
                core.run(core.now + 25)
                spent[m] = time.perf_counter() - started
            ratios.append(spent["off"] / spent["on"])
    print(json.dumps({"case": a.case, "method": "processes" if a.processes else "turns",
                      "on_over_off": round(statistics.median(ratios), 4),
                      "ratios": [round(r, 4) for r in ratios] if a.processes else
                      [round(q, 4) for q in statistics.quantiles(ratios, n=4)]}))


if __name__ == "__main__":
    main()
