"""Speed benchmark: fixed-length runs (no drain) under uniform traffic, one process per case.

Prints one JSON object: for each case the simulated cycles, wall time, router-cycles per second,
flit-hops per second, ns per flit-hop, flit-hops per router-cycle (the work asked, which does not
drift with the machine) and the peak resident memory of the process that ran it.

    python benchmarks/bench.py                      # the default cases
    python benchmarks/bench.py --cases torus25x25x25@0.1 --warmup 1000 --measure 2000
    python benchmarks/bench.py --compare old.json   # adds the speed ratio against an earlier run
    python benchmarks/bench.py --repeat 5           # each case 5 times: median, min and max speed
    python benchmarks/bench.py --cases large        # the 15,000-class presets (Clos, HyperX, dragonfly, torus)
    python benchmarks/bench.py --cases suite        # the presets and the 25^3 torus at 0.01, 0.1 and 0.3
    python benchmarks/bench.py --cases scaling      # mesh 16x16 to 128x128 at 0.1: ns per router-cycle
    python benchmarks/bench.py --cases scaling_equal_work   # the same at about one flit-hop per router-cycle
    python benchmarks/bench.py --threads 2          # the core's router loop on 2 threads
    python benchmarks/bench.py --cases radix --set router.kind='"oq"'   # two-level Clos of radix 16 .. 176

Each row also gives `machine_mops`, a pure-Python loop's speed probed around the case, so a slow
run can be told from a slow spell of this VM.

A case is NAME@LOAD with NAME one of CASES below, or meshAxB..., torusAxB... for any sizes, or closR (the
two-level Clos of radix R, R*R/2 endpoints). `--set KEY=VALUE` (TOML value, repeatable) changes every
case's spec, e.g. the router's kind or allocators. This
machine's speed drifts by tens of percent over minutes, so compare medians of several repeats, or
interleave the builds being compared.
"""
import argparse
import json
import multiprocessing as mp
import queue
import resource
import sys
import time

CASES = {
    "mesh8x8": {"topology": {"kind": "mesh", "dims": [8, 8]}, "link": {"latency": 1}},
    "mesh32x32": {"topology": {"kind": "mesh", "dims": [32, 32]}, "link": {"latency": 1}},
    "torus25x25x25": {"topology": {"kind": "torus", "dims": [25, 25, 25]}, "link": {"latency": 1}},
    # the 15,000-class presets of topologies/
    "clos8192": {"topology": {"kind": "clos", "radix": 128, "endpoints": 8192}, "link": {"latency": 1}},
    "clos15488": {"topology": {"kind": "clos", "radix": 176, "endpoints": 15488}, "link": {"latency": 1}},
    # the same with output-queued switches (router.kind = "oq")
    "clos15488_oq": {"topology": {"kind": "clos", "radix": 176, "endpoints": 15488}, "link": {"latency": 1},
                     "router": {"kind": "oq"}},
    "hyperx8x8x8x8": {"topology": {"kind": "hyperx", "dims": [8, 8, 8, 8], "concentration": 4},
                      "link": {"latency": 1}},
    "dragonfly16512": {"topology": {"kind": "dragonfly", "p": 8, "a": 16, "h": 8}, "link": {"latency": 1}},
}
LARGE = ["clos8192@0.1", "clos15488@0.1", "hyperx8x8x8x8@0.1", "dragonfly16512@0.1", "torus25x25x25@0.1"]
DEFAULT = ["mesh8x8@0.1", "mesh32x32@0.1", "torus25x25x25@0.1"]
SUITE = [f"{name}@{load}" for name in ("clos15488", "torus25x25x25", "hyperx8x8x8x8", "dragonfly16512")
         for load in (0.01, 0.1, 0.3)]
SCALING = ["mesh16x16@0.1", "mesh32x32@0.1", "mesh64x64@0.1", "mesh128x128@0.1"]
# the same with the load scaled by 16/k, so every size carries about one flit-hop per router-cycle
# (at 0.1, mean hops grow with k, and the meshes from 64x64 on are past their 4/k saturation bound)
SCALING_EQUAL_WORK = ["mesh16x16@0.1", "mesh32x32@0.05", "mesh64x64@0.025", "mesh128x128@0.0125"]
# two-level Clos networks of growing radix at one load: the work per flit should not grow with the radix
RADIX = [f"clos{r}@0.5" for r in (16, 32, 64, 128, 176)]
SETS = {"large": LARGE, "suite": SUITE, "scaling": SCALING, "scaling_equal_work": SCALING_EQUAL_WORK, "radix": RADIX}


def case_spec(name: str) -> dict:
    """A named case, a mesh or torus of any sizes (mesh16x16, torus8x8x8), or a two-level Clos (clos64)."""
    if name in CASES:
        return dict(CASES[name])
    if name.startswith("clos") and name[4:].isdigit():
        return {"topology": {"kind": "clos", "radix": int(name[4:])}, "link": {"latency": 1}}
    for kind in ("mesh", "torus"):
        if name.startswith(kind) and all(d.isdigit() for d in name[len(kind):].split("x")):
            return {"topology": {"kind": kind, "dims": [int(d) for d in name[len(kind):].split("x")]},
                    "link": {"latency": 1}}
    raise SystemExit(f"bench.py: unknown case {name!r} (known: {', '.join(CASES)}, meshAxB..., torusAxB...)")


def machine_speed(n=3_000_000):
    """Million iterations per second of a fixed pure-Python loop: how fast this VM runs right now.
    It drifts with the neighbours (seen here: 1.7 to 2.4 GHz within minutes), and a case's speed drifts
    with it; a row's figure is the mean of one probe before and one after the case."""
    started = time.perf_counter()
    x = 0
    for i in range(n):
        x ^= i
    return n / (time.perf_counter() - started) / 1e6


def run_spec(case: str, warmup: int, measure: int, packet_size: int = 1, sets=()) -> dict:
    """The spec a case NAME@LOAD runs: its network, the case's own router keys over 4 VCs x 8 flits,
    then the `--set router.KEY=VALUE` items (TOML values); uniform traffic at LOAD, no drain, seed 1."""
    import tomllib

    name, load = case.split("@")
    spec = case_spec(name)
    router = {"vcs": 4, "vc_buffer": 8, **spec.get("router", {})}
    for item in sets:
        key, value = item.split("=", 1)
        section, field = key.split(".", 1)
        if section != "router":
            raise SystemExit(f"--set {key}: only router keys")
        router[field] = tomllib.loads(f"v = {value}")["v"]
    return {**spec, "router": router,
            "traffic": {"injection_rate": float(load), "packet_size": packet_size},
            "sim": {"warmup_cycles": warmup, "measure_cycles": measure, "drain_cycles": 0, "seed": 1}}


def run_case(case, warmup, measure, packet_size, threads, queue, sets=()):
    import fabric

    spec = run_spec(case, warmup, measure, packet_size, sets)
    speed_before = machine_speed()
    started = time.perf_counter()
    result = fabric.simulate(spec, progress=False, **({"threads": threads} if threads > 1 else {})).to_dict()
    total = time.perf_counter() - started
    speed = (speed_before + machine_speed()) / 2
    t = result["timing"]
    queue.put({
        "case": case,
        "threads": threads,
        "routers": result["topology"]["routers"],
        "cycles": result["cycles"]["total"],
        "wall_seconds": t["wall_seconds"],
        "wall_seconds_with_setup": round(total, 4),
        "router_cycles_per_second": t["router_cycles_per_second"],
        "flit_hops_per_second": t["flit_hops_per_second"],
        "ns_per_flit_hop": round(1e9 / t["flit_hops_per_second"], 2) if t["flit_hops_per_second"] else None,
        "ns_per_router_cycle": round(1e9 / t["router_cycles_per_second"], 2),
        # the work asked of the simulator, which does not drift with the machine as the speeds do
        # (the ratio of the two rates: their rounding is far finer than wall_seconds')
        "flit_hops_per_router_cycle": round(t["flit_hops_per_second"] / t["router_cycles_per_second"], 3),
        "accepted": result["throughput"]["accepted"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine_mops": round(speed, 1),
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(DEFAULT), help="NAME@LOAD,...; 'large' for the 15,000-class presets")
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--measure", type=int, default=2000)
    ap.add_argument("--packet-size", type=int, default=1)
    ap.add_argument("--compare", help="JSON printed by an earlier run of this script")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the row is the median run")
    ap.add_argument("--threads", type=int, default=1, help="threads for the core's router loop")
    ap.add_argument("--set", action="append", default=[], help="router.KEY=VALUE (TOML) for every case")
    a = ap.parse_args()
    cases = SETS[a.cases] if a.cases in SETS else a.cases.split(",")
    for case in cases:
        case_spec(case.split("@")[0])
    ctx = mp.get_context("spawn")
    out = []
    for case in cases:
        runs = []
        for _ in range(a.repeat):
            q = ctx.Queue()
            p = ctx.Process(target=run_case, args=(case, a.warmup, a.measure, a.packet_size, a.threads, q, a.set))
            p.start()
            while True:                     # a case that fails ends its process without a row
                try:
                    runs.append(q.get(timeout=1))
                    break
                except queue.Empty:
                    if not p.is_alive():
                        raise SystemExit(f"bench.py: case {case} failed (exit code {p.exitcode})")
            p.join()
        runs.sort(key=lambda r: r["router_cycles_per_second"])
        row = runs[len(runs) // 2]
        if a.repeat > 1:
            row["repeats"] = a.repeat
            row["router_cycles_per_second_min"] = runs[0]["router_cycles_per_second"]
            row["router_cycles_per_second_max"] = runs[-1]["router_cycles_per_second"]
        print(f"{case}: {row['router_cycles_per_second']:,.0f} router-cycles/s, "
              f"{row['flit_hops_per_second']:,.0f} flit-hops/s, {row['peak_rss_mb']} MB "
              f"(machine probe {row['machine_mops']} M loops/s)", file=sys.stderr)
        out.append(row)
    report = {"warmup": a.warmup, "measure": a.measure, "packet_size": a.packet_size, "set": a.set, "cases": out}
    if a.compare:
        with open(a.compare) as f:
            old = {c["case"]: c for c in json.load(f)["cases"]}
        for row in out:
            if row["case"] in old:
                row["speedup_vs_compare"] = round(
                    row["router_cycles_per_second"] / old[row["case"]]["router_cycles_per_second"], 3)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
