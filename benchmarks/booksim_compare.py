"""Compare fabric with the BookSim 2 reference curves (tests/data/booksim_uniform_64node.csv).

Runs every latency-mode row of the reference (8x8 mesh and torus, uniform traffic, 1- and 4-flit
packets) with the same configuration and prints a JSON table: BookSim's and fabric's mean packet
latency, their ratio, accepted throughput, and each curve's knee (the load where mean latency first
reaches 3x its zero-load value, interpolated linearly).

BookSim measured about 3,000 cycles after 3,000 of warm-up (its `total_cycles` column), so that is the
default here too: past the knee, mean latency grows with the length of the window. Near the knee one
seed's latency is noisy (it varies by 2x between seeds at 0.5 on the 4-flit torus), so fabric's figure
is the mean over ``--seeds`` seeds.

    python benchmarks/booksim_compare.py [--jobs 2] [--max-load 0.6] [--measure 3000] [--seeds 1,2,3]
"""
import argparse
import csv
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "booksim_uniform_64node.csv"
SPECS = {"mesh": ROOT / "topologies" / "mesh8x8.toml", "torus": ROOT / "topologies" / "torus8x8.toml"}


def reference_rows(max_load):
    with open(REFERENCE) as f:
        for row in csv.DictReader(f):
            if row["sim_type"] == "latency" and float(row["offered_flits_per_node_cycle"]) <= max_load + 1e-9:
                yield row


def run_point(args):
    topo, load, size, measure, seed = args
    import fabric

    spec = fabric.load_spec(
        SPECS[topo],
        [f"traffic.injection_rate={load}", f"traffic.packet_size={size}", f"sim.measure_cycles={measure}",
         f"sim.seed={seed}"],
    )
    return fabric.simulate(spec, progress=False).to_dict()


def knee(points):
    """Load where mean latency first reaches 3x the latency of the lowest load (linear interpolation)."""
    points = sorted((x, y) for x, y in points if y is not None)
    if not points:
        return None
    threshold = 3 * points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y1 >= threshold:
            return round(x0 + (x1 - x0) * (threshold - y0) / (y1 - y0), 4)
    return None


def _mean(values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def compare(max_load=0.6, measure=3000, jobs=2, seeds=(1, 2, 3), topologies=("mesh", "torus"), sizes=(1, 4)):
    rows = [r for r in reference_rows(max_load)
            if r["topology"] in topologies and int(r["packet_size_flits"]) in sizes]
    tasks = [(r["topology"], float(r["offered_flits_per_node_cycle"]), int(r["packet_size_flits"]), measure, seed)
             for r in rows for seed in seeds]
    with ProcessPoolExecutor(jobs) as pool:
        flat = list(pool.map(run_point, tasks))
    per_row = [flat[i * len(seeds):(i + 1) * len(seeds)] for i in range(len(rows))]
    table = []
    for row, runs in zip(rows, per_row):
        ours = _mean([r["latency"]["packet"]["mean"] for r in runs])
        theirs = float(row["packet_latency_avg"])
        res = {"throughput": {"accepted": _mean([r["throughput"]["accepted"] for r in runs])},
               "status": "saturated" if any(r["saturated"] for r in runs) else "ok"}
        table.append({
            "topology": row["topology"],
            "packet_size": int(row["packet_size_flits"]),
            "load": float(row["offered_flits_per_node_cycle"]),
            "booksim_latency": theirs,
            "fabric_latency": ours,
            "ratio": round(ours / theirs, 4) if ours else None,
            "booksim_accepted": float(row["accepted_flits_per_node_cycle"]),
            "fabric_accepted": res["throughput"]["accepted"],
            "booksim_status": row["status"],
            "fabric_status": res["status"],
        })
    knees = {}
    for topo in topologies:
        for size in sizes:
            curve = [t for t in table if t["topology"] == topo and t["packet_size"] == size]
            knees[f"{topo}/{size}"] = {
                "booksim": knee([(t["load"], t["booksim_latency"]) for t in curve]),
                "fabric": knee([(t["load"], t["fabric_latency"]) for t in curve]),
            }
    return {"points": table, "knees": knees}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-load", type=float, default=0.6)
    ap.add_argument("--measure", type=int, default=3000)
    ap.add_argument("--seeds", default="1,2,3")
    a = ap.parse_args()
    out = compare(a.max_load, a.measure, a.jobs, tuple(int(x) for x in a.seeds.split(",")))
    for t in out["points"]:
        print(f"{t['topology']:5s} P={t['packet_size']} load={t['load']:.2f}  booksim={t['booksim_latency']:8.2f} "
              f"fabric={t['fabric_latency'] if t['fabric_latency'] is None else round(t['fabric_latency'], 2)!s:>8} "
              f"ratio={t['ratio']}  acc {t['booksim_accepted']:.3f}/{t['fabric_accepted']:.3f} {t['fabric_status']}",
              file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
