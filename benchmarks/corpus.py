"""Record the results of a fixed set of runs, or compare them with a recorded set: a change meant to
leave results alone must give the same JSON, byte for byte, apart from `timing`.

    python benchmarks/corpus.py record /tmp/before        # every example spec, short windows, a few variants
    python benchmarks/corpus.py compare /tmp/before       # the same runs now; lists every file that differs

`--ignore KEY` (repeatable, dotted) drops a key from both sides before comparing, for a change that
renames a key on purpose.
"""
import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

SHORT = ["sim.warmup_cycles=300", "sim.measure_cycles=600", "sim.drain_cycles=3000"]
LARGE = {"clos15488", "clos15488_oq", "clos8192", "dragonfly16512", "torus25x25x24", "hyperx8x8x8x8"}
TINY = ["sim.warmup_cycles=100", "sim.measure_cycles=200", "sim.drain_cycles=0"]


def cases():
    """(name, spec path, --set overrides, threads) of every run in the corpus."""
    out = []
    for path in sorted((ROOT / "topologies").glob("*.toml")):
        sets = TINY if path.stem in LARGE else SHORT
        out.append((path.stem, path, sets, 1))
        if path.stem not in LARGE:
            out.append((path.stem + "@0.4x4", path, sets + ["traffic.injection_rate=0.4", "traffic.packet_size=4"], 1))
            out.append((path.stem + "@sat", path, sets + ["traffic.injection_rate=0.9"], 2))
    for path in sorted((ROOT / "examples").glob("*.toml")):
        out.append((path.stem, path, [], 1))
    return out


def run_all():
    import fabric

    for name, path, sets, threads in cases():
        spec = fabric.load_spec(str(path), sets)
        result = fabric.simulate(spec, threads=threads).to_dict()
        result.pop("timing", None)
        yield name, result


def drop(result, key):
    *parents, last = key.split(".")
    for p in parents:
        result = result.get(p, {}) if isinstance(result, dict) else {}
    if isinstance(result, dict):
        result.pop(last, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["record", "compare"])
    ap.add_argument("folder", type=pathlib.Path)
    ap.add_argument("--ignore", action="append", default=[])
    args = ap.parse_args()
    differ = []
    if args.action == "record":
        args.folder.mkdir(parents=True, exist_ok=True)
    for name, result in run_all():
        file = args.folder / f"{name}.json"
        if args.action == "record":
            file.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
            print(name, file=sys.stderr)
            continue
        if not file.exists():
            print("new    " + name + " (not in the record)", file=sys.stderr)
            continue
        old = json.loads(file.read_text())
        for key in args.ignore:
            drop(old, key)
            drop(result, key)
        same = json.dumps(old, sort_keys=True) == json.dumps(result, sort_keys=True)
        print(("same   " if same else "DIFFER ") + name, file=sys.stderr)
        if not same:
            differ.append(name)
    if differ:
        print(f"{len(differ)} differ: {' '.join(differ)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
