"""An output-queued switch against queueing theory: one switch (`clos` with `levels = 1`), N endpoints,
uniform Bernoulli traffic of 1-flit packets (each endpoint may send to itself), `router.kind = "oq"`.

With N inputs each receiving a packet with probability p per cycle for a uniformly chosen output, an output
queue that sends one packet a cycle has the mean queueing delay ((N-1)/N) * p / (2(1-p)) (Karol, Hluchyj and
Morgan, "Input versus output queueing on a space-division packet switch", IEEE Trans. Commun. 35(12), 1987).
fabric's mean packet latency above its zero-load value (the latency at load 0.001) is compared with it.

    python benchmarks/oq_theory.py [--n 8,64] [--loads 0.1,0.2,...] [--measure 20000] [--jobs 2] [--plot docs/oq_theory.png]

prints a table (markdown) on stderr and the JSON on stdout.
"""
import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor

LOADS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
ZERO_LOAD = 0.001


def karol(n, p):
    """Mean queueing delay of an output queue of an N x N switch under uniform Bernoulli traffic at load p."""
    return (n - 1) / n * p / (2 * (1 - p))


def spec(n, load, measure=20000, seed=1, kind="oq"):
    return {"topology": {"kind": "clos", "levels": 1, "radix": n},
            "router": {"kind": kind},
            "traffic": {"injection_rate": load, "packet_size": 1},
            "sim": {"warmup_cycles": 3000, "measure_cycles": measure, "seed": seed}}


def run_point(args):
    n, load, measure, seed, kind = args
    import fabric

    r = fabric.simulate(spec(n, load, measure, seed, kind), progress=False).to_dict()
    return r["latency"]["packet"]["mean"], r["throughput"]["accepted"], r["saturated"]


def compare(ns=(8, 64), loads=LOADS, measure=20000, seed=1, jobs=2, kind="oq"):
    """Per (N, load): fabric's queueing delay (mean latency less the zero-load one) beside Karol's."""
    tasks = [(n, x, measure, seed, kind) for n in ns for x in (ZERO_LOAD,) + tuple(loads)]
    with ProcessPoolExecutor(jobs) as pool:
        done = dict(zip(tasks, pool.map(run_point, tasks)))
    points = []
    for n in ns:
        base = done[(n, ZERO_LOAD, measure, seed, kind)][0]
        for x in loads:
            lat, acc, sat = done[(n, x, measure, seed, kind)]
            points.append({"n": n, "load": x, "zero_load_latency": base, "latency": lat,
                           "fabric_delay": round(lat - base, 4), "theory_delay": round(karol(n, x), 4),
                           "accepted": acc, "saturated": sat})
    return points


def plot(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for n in sorted({p["n"] for p in points}):
        mine = [p for p in points if p["n"] == n]
        xs = [p["load"] for p in mine]
        grid = [i / 200 for i in range(1, 192)]
        ax.plot(grid, [karol(n, x) for x in grid], "-", label=f"theory, N = {n}")
        ax.plot(xs, [p["fabric_delay"] for p in mine], "o", label=f"fabric oq, N = {n}")
    ax.set_xlabel("offered load (flits per endpoint per cycle)")
    ax.set_ylabel("mean queueing delay (cycles)")
    ax.set_yscale("log")
    ax.set_title("Output-queued switch: fabric and Karol et al. (1987)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="8,64")
    ap.add_argument("--loads", default=",".join(map(str, LOADS)))
    ap.add_argument("--measure", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    points = compare(tuple(int(x) for x in args.n.split(",")), tuple(float(x) for x in args.loads.split(",")),
                     args.measure, args.seed, args.jobs)
    print("| N | load | fabric delay | theory | ratio | accepted |", file=sys.stderr)
    print("|---|---|---|---|---|---|", file=sys.stderr)
    for p in points:
        print(f"| {p['n']} | {p['load']:.2f} | {p['fabric_delay']:.4f} | {p['theory_delay']:.4f} | "
              f"{p['fabric_delay'] / p['theory_delay']:.3f} | {p['accepted']:.4f} |", file=sys.stderr)
    if args.plot:
        plot(points, args.plot)
    json.dump(points, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
