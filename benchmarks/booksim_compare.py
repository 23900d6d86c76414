"""Compare fabric with BookSim 2 reference curves measured on this machine (tests/data/).

Uniform traffic with 1- and 4-flit packets, set up as BookSim was:

* the 8x8 mesh and torus (tests/data/booksim_uniform_64node.csv; topologies/mesh8x8.toml, torus8x8.toml);
* the 4-ary 3-tree with nca and anca routing (tests/data/booksim_fattree_k4n3.csv;
  topologies/fattree_k4n3.toml), see tests/data/booksim_fattree_README.md;
* ROMM on the 8x8 mesh under uniform and transpose traffic, and dimension order under transpose
  (tests/data/booksim_romm_8x8mesh.csv, see tests/data/booksim_romm_README.md);
* the 8x8 mesh with three iterations of both iSLIP allocators (tests/data/booksim_islip3_8x8mesh.csv, see
  tests/data/booksim_islip3_README.md);
* the 8x8 mesh with internal speedup 2.0 and unbounded output buffers, 1-flit packets
  (tests/data/booksim_speedup2_8x8mesh.csv, see tests/data/booksim_speedup2_README.md);
* the 8x8 mesh with the separable input-first, wavefront, PIM and maximum-size allocators
  (tests/data/booksim_allocators_8x8mesh.csv, see tests/data/booksim_allocators_README.md).

Two checks per curve:

* latency: fabric's mean packet latency at every load BookSim measured, up to the curve's limit;
* knee: the load where mean latency first reaches 3x its value at 0.01 (linear interpolation), the
  practical saturation point of the reference README. BookSim's knee comes from its own points;
  fabric's from a 0.01-step grid around it.

BookSim measured about 3,000 cycles after 3,000 of warm-up (its `total_cycles` column), so fabric uses
the same window: past the knee, mean latency grows with the window. Near the knee one seed's latency
is noisy (2x between seeds on the 4-flit torus at 0.53), so fabric's figures are means over ``--seeds``.

    python benchmarks/booksim_compare.py [--jobs 2] [--seeds 1,2,3] [--only mesh/1,fattree_anca/4]
    python benchmarks/booksim_compare.py --patterns     # transpose, bit_complement, ... at 0.1 on the mesh
    python benchmarks/booksim_compare.py --romm         # ROMM's curves and saturation throughputs
    python benchmarks/booksim_compare.py --only islip3/1,islip3/4   # three iSLIP iterations
    python benchmarks/booksim_compare.py --only speedup2/1          # internal speedup 2.0
    python benchmarks/booksim_compare.py --allocators               # the other allocators

Saturation throughput (--romm): BookSim's `sim_type = throughput` rows, accepted flits per node per cycle
at offered load 1.0, against fabric's accepted rate at 1.0 over the same window.

prints a human table on stderr and the JSON on stdout.
"""
import argparse
import csv
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TOPOLOGIES = ROOT / "topologies"
# curve family -> (reference CSV, its topology column, its routing_function column or None, fabric spec,
# fabric overrides, highest load at which latency must agree within 5% (or per packet size)[, other columns' values,
# default traffic uniform])
ROMM = DATA / "booksim_romm_8x8mesh.csv"
ISLIP3 = DATA / "booksim_islip3_8x8mesh.csv"
SPEEDUP2 = DATA / "booksim_speedup2_8x8mesh.csv"
ALLOCATORS = DATA / "booksim_allocators_8x8mesh.csv"
FAMILIES = {
    "mesh": (DATA / "booksim_uniform_64node.csv", "mesh", None, TOPOLOGIES / "mesh8x8.toml", [], 0.35),
    "torus": (DATA / "booksim_uniform_64node.csv", "torus", None, TOPOLOGIES / "torus8x8.toml", [], 0.45),
    "fattree": (DATA / "booksim_fattree_k4n3.csv", "fattree", "nca_fattree", TOPOLOGIES / "fattree_k4n3.toml",
                ["routing.algorithm=nca"], 0.60),
    "fattree_anca": (DATA / "booksim_fattree_k4n3.csv", "fattree", "anca_fattree", TOPOLOGIES / "fattree_k4n3.toml",
                     ["routing.algorithm=anca"], 0.60),
    # BookSim's ROMM curves stop at their last stable load, below 3x the zero-load latency: no knee
    "romm": (ROMM, "mesh", "romm_mesh", TOPOLOGIES / "mesh8x8.toml", ["routing.algorithm=romm"], 0.30),
    "romm_transpose": (ROMM, "mesh", "romm_mesh", TOPOLOGIES / "mesh8x8.toml",
                       ["routing.algorithm=romm", "traffic.pattern=transpose"], 0.20, {"traffic": "transpose"}),
    "dor_transpose": (ROMM, "mesh", "dim_order_mesh", TOPOLOGIES / "mesh8x8.toml", ["traffic.pattern=transpose"],
                      0.10, {"traffic": "transpose"}),
    # three iterations of both iSLIP allocators (BookSim: islip(3); its alloc_iters key does nothing)
    "islip3": (ISLIP3, "mesh", None, TOPOLOGIES / "mesh8x8.toml", ["router.alloc_iters=3"], {"1": 0.40, "4": 0.35},
               {"allocators": "islip(3) both"}),
    # the router core at twice the channel rate, unbounded output buffers (1-flit packets only)
    "speedup2": (SPEEDUP2, "mesh", None, TOPOLOGIES / "mesh8x8.toml", ["router.internal_speedup=2.0"], 0.45),
    # the other allocators, as both the VC and the switch allocator (BookSim: vc_allocator=X sw_allocator=X)
    **{f"alloc_{name}": (ALLOCATORS, "mesh", None, TOPOLOGIES / "mesh8x8.toml",
                         [f"router.vc_allocator={name}", f"router.sw_allocator={name}"], limit, {"allocators": name})
       for name, limit in (("separable_input_first", 0.35), ("wavefront", 0.35), ("pim", 0.30), ("max_size", 0.35))},
}
REFERENCE = DATA / "booksim_uniform_64node.csv"
LATENCY_MAX_LOAD = {name: family[5] for name, family in FAMILIES.items()}
CURVES = ("mesh/1", "mesh/4", "torus/1", "torus/4")
FAT_TREE_CURVES = ("fattree/1", "fattree/4", "fattree_anca/1", "fattree_anca/4")
ISLIP3_CURVES = ("islip3/1", "islip3/4")
SPEEDUP_CURVES = ("speedup2/1",)
ALLOCATOR_CURVES = tuple(f"alloc_{name}/{size}" for name in ("separable_input_first", "wavefront", "pim", "max_size")
                         for size in ("1", "4"))
ROMM_CURVES = ("romm/1", "romm/4", "romm_transpose/1", "romm_transpose/4", "dor_transpose/1", "dor_transpose/4")
ZERO_LOAD = 0.01


def reference(curve, sim_type="latency"):
    """BookSim's rows of one curve ("mesh/1") in latency mode (or `sim_type`), as {load: row}; a run BookSim
    stopped without figures (an empty latency) is left out."""
    family, size = curve.split("/")
    path, topo, routing, *_ = FAMILIES[family]
    columns = {"traffic": "uniform", **(FAMILIES[family][6] if len(FAMILIES[family]) > 6 else {})}
    with open(path) as f:
        return {float(r["offered_flits_per_node_cycle"]): r for r in csv.DictReader(f)
                if r["sim_type"] == sim_type and r["topology"] == topo and r["packet_size_flits"] == size
                and (routing is None or r["routing_function"] == routing)
                and all(r[k] == v for k, v in columns.items()) and r["packet_latency_avg"] != ""}


def run_point(args):
    """fabric's result for (curve, load, seed) with a BookSim-length window."""
    curve, load, seed, measure = args
    import fabric

    family, size = curve.split("/")
    path, overrides = FAMILIES[family][3:5]
    spec = fabric.load_spec(path, overrides + [f"traffic.injection_rate={load}", f"traffic.packet_size={size}",
                                               f"sim.measure_cycles={measure}", f"sim.seed={seed}"])
    r = fabric.simulate(spec, progress=False).to_dict()
    return r["latency"]["packet"]["mean"], r["throughput"]["accepted"], r["saturated"]


def knee(points):
    """Load where mean latency first reaches 3x the latency at the lowest load (linear interpolation)."""
    points = sorted((x, y) for x, y in points if y is not None)
    threshold = 3 * points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y1 >= threshold:
            return round(x0 + (x1 - x0) * (threshold - y0) / (y1 - y0), 4)
    return None


def _mean(values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def compare(curves=CURVES, seeds=(1, 2, 3), measure=3000, jobs=2, with_knee=True, loads=None):
    """Run the comparison; returns {"points": [...], "knees": {...}} (see the module docstring).
    ``loads`` restricts the latency comparison to those reference loads."""
    tasks = {}

    def latency_loads(curve):
        topo, size = curve.split("/")
        limit = LATENCY_MAX_LOAD[topo]
        limit = limit[size] if isinstance(limit, dict) else limit      # (per packet size)
        return sorted(x for x in reference(curve) if x <= limit + 1e-9
                      and (loads is None or any(abs(x - y) < 1e-9 for y in loads)))

    for curve in curves:
        ref = reference(curve)
        loads_here = set(latency_loads(curve))
        if with_knee:
            their_knee = knee([(x, float(r["packet_latency_avg"])) for x, r in ref.items()])
            loads_here |= {ZERO_LOAD} | {round(their_knee - 0.08 + 0.01 * i, 2) for i in range(14)}
        for load in loads_here:
            for seed in seeds:
                tasks[(curve, load, seed)] = (curve, load, seed, measure)
    with ProcessPoolExecutor(jobs) as pool:
        done = dict(zip(tasks, pool.map(run_point, tasks.values())))

    def ours(curve, load):
        runs = [done[(curve, load, s)] for s in seeds]
        return _mean([r[0] for r in runs]), _mean([r[1] for r in runs]), any(r[2] for r in runs)

    points, knees = [], {}
    for curve in curves:
        ref = reference(curve)
        for load in latency_loads(curve):
            lat, acc, sat = ours(curve, load)
            theirs = float(ref[load]["packet_latency_avg"])
            points.append({"curve": curve, "load": load, "booksim_latency": theirs, "fabric_latency": lat,
                           "ratio": round(lat / theirs, 4), "booksim_accepted": float(ref[load]["accepted_flits_per_node_cycle"]),
                           "fabric_accepted": acc, "fabric_saturated": sat})
        if with_knee:
            grid = sorted(load for (c, load, s) in tasks if c == curve and s == seeds[0])
            knees[curve] = {
                "booksim": knee([(x, float(r["packet_latency_avg"])) for x, r in ref.items()]),
                "fabric": knee([(x, ours(curve, x)[0]) for x in grid]),
            }
    return {"seeds": list(seeds), "measure_cycles": measure, "points": points, "knees": knees}


def compare_throughput(curves=ROMM_CURVES, seeds=(1, 2, 3), measure=3000, jobs=2):
    """Accepted flits per node per cycle at offered load 1.0, fabric against BookSim's throughput rows."""
    curves = [c for c in curves if 1.0 in reference(c, "throughput")]
    tasks = [(curve, 1.0, seed, measure) for curve in curves for seed in seeds]
    with ProcessPoolExecutor(jobs) as pool:
        done = dict(zip(tasks, pool.map(run_point, tasks)))
    points = []
    for curve in curves:
        theirs = float(reference(curve, "throughput")[1.0]["accepted_flits_per_node_cycle"])
        ours = _mean([done[(curve, 1.0, s, measure)][1] for s in seeds])
        points.append({"curve": curve, "booksim_accepted": theirs, "fabric_accepted": ours,
                       "ratio": round(ours / theirs, 4)})
    return points


PATTERNS = DATA / "booksim_patterns_8x8mesh.csv"
# BookSim's traffic names -> fabric's
PATTERN_NAMES = {"bitcomp": "bit_complement", "bitrev": "bit_reverse", "transpose": "transpose",
                 "shuffle": "shuffle", "tornado": "tornado", "neighbor": "neighbor", "uniform": "uniform"}


def run_pattern(args):
    pattern, size, seed, measure = args
    import fabric

    spec = fabric.load_spec(FAMILIES["mesh"][3], [f"traffic.pattern={pattern}", "traffic.injection_rate=0.1",
                                                  f"traffic.packet_size={size}", f"sim.measure_cycles={measure}",
                                                  f"sim.seed={seed}"])
    r = fabric.simulate(spec, progress=False).to_dict()
    return r["latency"]["packet"]["mean"], r["hops"]["mean"]


def compare_patterns(seeds=(1, 2, 3), measure=3000, jobs=2, sizes=("1", "4")):
    """fabric against BookSim on the 8x8 mesh at 0.1 under each synthetic pattern BookSim has."""
    with open(PATTERNS) as f:
        rows = [r for r in csv.DictReader(f) if r["packet_size_flits"] in sizes]
    tasks = [(PATTERN_NAMES[r["traffic"]], int(r["packet_size_flits"]), seed, measure) for r in rows for seed in seeds]
    with ProcessPoolExecutor(jobs) as pool:
        done = dict(zip(tasks, pool.map(run_pattern, tasks)))
    points = []
    for r in rows:
        name, size = PATTERN_NAMES[r["traffic"]], int(r["packet_size_flits"])
        lat = _mean([done[(name, size, s, measure)][0] for s in seeds])
        hops = _mean([done[(name, size, s, measure)][1] for s in seeds])
        theirs = float(r["packet_latency_avg"])
        points.append({"pattern": name, "packet_size": size, "booksim_latency": theirs, "fabric_latency": lat,
                       "ratio": round(lat / theirs, 4), "booksim_hops": round(float(r["routers_traversed_avg"]) - 1, 4),
                       "fabric_hops": hops})
    return points


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--measure", type=int, default=3000)
    ap.add_argument("--only", default=",".join(CURVES + FAT_TREE_CURVES),
                    help="comma list of curves, e.g. mesh/1,torus/4,fattree/1,fattree_anca/4")
    ap.add_argument("--patterns", action="store_true",
                    help="instead: the synthetic patterns on the 8x8 mesh at 0.1 (tests/data/booksim_patterns_8x8mesh.csv)")
    ap.add_argument("--romm", action="store_true",
                    help="instead: ROMM's curves and saturation throughputs (tests/data/booksim_romm_8x8mesh.csv)")
    ap.add_argument("--allocators", action="store_true",
                    help="the curves of the other allocators (tests/data/booksim_allocators_8x8mesh.csv)")
    a = ap.parse_args()
    seeds = tuple(int(s) for s in a.seeds.split(","))
    if a.allocators:
        a.only = ",".join(ALLOCATOR_CURVES)
    if a.romm:
        out = compare(ROMM_CURVES, seeds, a.measure, a.jobs, with_knee=False)
        out["throughput"] = compare_throughput(ROMM_CURVES, seeds, a.measure, a.jobs)
        for p in out["points"]:
            print(f"{p['curve']:18s} load={p['load']:.2f}  booksim={p['booksim_latency']:7.2f}  "
                  f"fabric={p['fabric_latency']:7.2f}  ratio={p['ratio']:.3f}", file=sys.stderr)
        for p in out["throughput"]:
            print(f"{p['curve']:18s} saturation throughput  booksim={p['booksim_accepted']:.4f}  "
                  f"fabric={p['fabric_accepted']:.4f}  ratio={p['ratio']:.3f}", file=sys.stderr)
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    if a.patterns:
        points = compare_patterns(seeds, a.measure, a.jobs)
        for p in points:
            print(f"{p['pattern']:15s} {p['packet_size']} flit(s)  booksim={p['booksim_latency']:7.2f}  "
                  f"fabric={p['fabric_latency']:7.2f}  ratio={p['ratio']:.3f}  links {p['booksim_hops']:.2f} / "
                  f"{p['fabric_hops']:.2f}", file=sys.stderr)
        json.dump({"seeds": list(seeds), "points": points}, sys.stdout, indent=1)
        print()
        return
    out = compare(tuple(a.only.split(",")), seeds, a.measure, a.jobs)
    for p in out["points"]:
        print(f"{p['curve']:28s} load={p['load']:.2f}  booksim={p['booksim_latency']:7.2f}  "
              f"fabric={p['fabric_latency']:7.2f}  ratio={p['ratio']:.3f}  "
              f"accepted {p['booksim_accepted']:.3f} / {p['fabric_accepted']:.3f}", file=sys.stderr)
    for curve, k in out["knees"].items():
        print(f"knee {curve:28s} booksim={k['booksim']}  fabric={k['fabric']}", file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
