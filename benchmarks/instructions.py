"""Instructions per router-cycle of the core's loop, counted by valgrind (exactly repeatable, unlike
time on this VM): a 12x12x12 torus at 0.21 (1.89 flit-hops per router-cycle, as the 25^3 torus at 0.1),
cycles 300 to 700, as the difference of two runs that stop at 300 and at 700.

    python benchmarks/instructions.py             # needs valgrind; about a minute
    python benchmarks/instructions.py --k 8 --load 0.3
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
from bench import case_spec  # noqa: E402

RUN = "import json, sys, fabric; fabric.simulate(json.loads(sys.argv[1]), progress=False)"


def count(k, load, cycles, workdir):
    """Instructions of the core's loop in a run of `cycles` cycles (100 of warm-up), as bench.py sets a case."""
    spec = {**case_spec(f"torus{k}x{k}x{k}"), "router": {"vcs": 4, "vc_buffer": 8},
            "traffic": {"injection_rate": load, "packet_size": 1},
            "sim": {"warmup_cycles": 100, "measure_cycles": cycles - 100, "drain_cycles": 0, "seed": 1}}
    out = os.path.join(workdir, f"callgrind.{cycles}")
    subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=*Core__run*", f"--callgrind-out-file={out}",
                    sys.executable, "-c", RUN, json.dumps(spec)],
                   check=True, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=12, help="torus k x k x k")
    ap.add_argument("--load", type=float, default=0.21)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        short, long_ = count(a.k, a.load, 300, workdir), count(a.k, a.load, 700, workdir)
    print(f"{(long_ - short) / (400 * a.k ** 3):.1f} instructions per router-cycle "
          f"(torus {a.k}^3 at {a.load}, cycles 300 to 700)")


if __name__ == "__main__":
    main()
