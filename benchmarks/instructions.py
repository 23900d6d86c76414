"""Instructions of the core's loop, counted by valgrind (exactly repeatable, unlike time on this VM).

The default: instructions per router-cycle on a 12x12x12 torus at 0.21 (1.89 flit-hops per router-cycle,
as the 25^3 torus at 0.1), cycles 300 to 700, as the difference of two runs that stop at 300 and at 700.

With --cases (bench.py's NAME@LOAD), each case's instructions per flit-hop and per router traversal
(a flit crossing one router: a flit-hop, or a flit leaving through an ejection port) between two
cycles: the work the core does per unit of traffic, whatever the machine's speed. The radix series
(two-level Clos networks of radix 16 to 176 at one load) shows whether that work grows with the radix.

    python benchmarks/instructions.py             # needs valgrind; about a minute
    python benchmarks/instructions.py --k 8 --load 0.3
    python benchmarks/instructions.py --cases radix                     # a few minutes
    python benchmarks/instructions.py --cases radix --set router.kind='"oq"'
    python benchmarks/instructions.py --cases torus25x25x25@0.1,clos15488@0.5 --cycles 200,300
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import SETS, run_spec  # noqa: E402

RUN = "import json, sys, fabric; fabric.simulate(json.loads(sys.argv[1]), progress=False)"
# a run to a given cycle that prints the core's counters (the run method is what valgrind counts)
RUN_TO = """
import json, sys
from fabric.build import _resolve, make_core
core, net = make_core(_resolve(json.loads(sys.argv[1])))
core.run(int(sys.argv[2]))
c = core.counters()
print(json.dumps({"flit_hops": int(c["flit_hops"]), "delivered_flits": int(c["delivered_flits"]),
                  "routers": int(net.n_routers)}))
"""


def callgrind(args, workdir, name):
    """Instructions counted in the core's run method of `python args...`, and what the run printed."""
    out = os.path.join(workdir, f"callgrind.{name}")
    done = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=__pyx_pw_6fabric_5_core_4Core_*run",
                           f"--callgrind-out-file={out}", sys.executable, *args],
                          check=True, cwd=workdir, capture_output=True, text=True)
    with open(out) as f:
        return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1)), done.stdout


def count(k, load, cycles, workdir):
    """Instructions of the core's loop in a run of `cycles` cycles (100 of warm-up), as bench.py sets a case."""
    spec = run_spec(f"torus{k}x{k}x{k}@{load}", 100, cycles - 100)
    return callgrind(["-c", RUN, json.dumps(spec)], workdir, cycles)[0]


def case_work(case, cycles, sets, workdir):
    """Instructions per flit-hop, per router traversal and per router-cycle of a bench case between
    cycles[0] and cycles[1] (two runs, to each of them: the difference leaves out the set-up)."""
    spec = run_spec(case, 0, cycles[1], sets=sets)
    runs = []
    for c in cycles:
        instructions, printed = callgrind(["-c", RUN_TO, json.dumps(spec), str(c)], workdir, f"{case}.{c}")
        runs.append((instructions, json.loads(printed)))
    (i0, c0), (i1, c1) = runs
    hops = c1["flit_hops"] - c0["flit_hops"]
    traversals = hops + c1["delivered_flits"] - c0["delivered_flits"]
    return {"case": case, "cycles": list(cycles), "flit_hops": hops, "router_traversals": traversals,
            "instructions_per_flit_hop": round((i1 - i0) / hops, 1),
            "instructions_per_traversal": round((i1 - i0) / traversals, 1),
            "instructions_per_router_cycle": round((i1 - i0) / (c0["routers"] * (cycles[1] - cycles[0])), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=12, help="torus k x k x k")
    ap.add_argument("--load", type=float, default=0.21)
    ap.add_argument("--cases", help="bench.py cases (NAME@LOAD, comma-separated) or a set: " + ", ".join(SETS))
    ap.add_argument("--cycles", default="200,300", help="the two cycles the count runs between (with --cases)")
    ap.add_argument("--set", action="append", default=[], metavar="router.KEY=VALUE",
                    help="a router key for every case, the value as TOML (with --cases), as bench.py --set")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if a.cases:
            cases = SETS.get(a.cases) or a.cases.split(",")
            cycles = tuple(int(c) for c in a.cycles.split(","))
            rows = []
            for case in cases:
                rows.append(case_work(case, cycles, a.set, workdir))
                print(json.dumps(rows[-1]), file=sys.stderr)
            print(json.dumps({"set": a.set, "cases": rows}, indent=1))
            return
        short, long_ = count(a.k, a.load, 300, workdir), count(a.k, a.load, 700, workdir)
    print(f"{(long_ - short) / (400 * a.k ** 3):.1f} instructions per router-cycle "
          f"(torus {a.k}^3 at {a.load}, cycles 300 to 700)")


if __name__ == "__main__":
    main()
