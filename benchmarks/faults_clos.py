"""Spine links failed on clos8192 (two levels, radix 128, output-queued switches so the links, not the
switches' head-of-line blocking, set the saturation): the uniform-traffic saturation throughput and a
ring all-reduce, with 0%, 1% and 5% of the leaf-spine links failed, against the bound on what is left.

    python benchmarks/faults_clos.py                # the table in docs/faults.md
    python benchmarks/faults_clos.py --fractions 0,0.05 --seeds 1,2,3
"""
import argparse
import json
import time

import fabric

BASE = {"topology": {"kind": "clos", "radix": 128, "endpoints": 8192}, "router": {"kind": "oq", "vcs": 4},
        "link": {"latency": 1}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fractions", default="0,0.01,0.05")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--loads", default="0.8,1.0")
    args = ap.parse_args()
    for fraction in [float(f) for f in args.fractions.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            faults = {"link_fraction": fraction, "seed": seed} if fraction else {}
            spec = {**BASE, "faults": faults}
            d = fabric.describe(spec)
            row = {"fraction": fraction, "seed": seed, "bound": d["uniform"]["saturation_bound"],
                   "failed_links": d.get("faults", {}).get("failed_links", 0)}
            for load in [float(x) for x in args.loads.split(",")]:
                started = time.perf_counter()
                r = fabric.simulate({**spec, "traffic": {"injection_rate": load, "packet_size": 4},
                                     "sim": {"warmup_cycles": 500, "measure_cycles": 1500, "drain_cycles": 0}},
                                    progress=False).to_dict()
                row[f"accepted@{load}"] = r["throughput"]["accepted"]
                row[f"seconds@{load}"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            ring = fabric.simulate({**spec, "link": {**BASE["link"], "flit_bytes": 256},
                                    "traffic": {"pattern": "collective", "collective": "all_reduce",
                                                "algorithm": "ring", "ranks": "0:8192:64", "size": 16384,
                                                "packet_size": 16}}, progress=False).to_dict()
            row["ring_all_reduce_cycles"] = ring["workload"]["completion_cycles"]
            row["ring_seconds"] = round(time.perf_counter() - started, 1)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
