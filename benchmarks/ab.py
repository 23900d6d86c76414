"""Compare the speed of the current core with an earlier revision's, both in one process.

    python benchmarks/ab.py                          # HEAD~1 against the built fabric._core
    python benchmarks/ab.py --ref 848b6a1 --case mesh32x32@0.1 --slices 60
    python benchmarks/ab.py --ref 848b6a1 --threads 2
    python benchmarks/ab.py --ref HEAD --stats       # the cost of --stats: this build with and without it

This machine's speed drifts by tens of percent over minutes, so two separate runs say little about a
change of a few percent. Here both cores simulate the same network in one process, alternating short
slices of cycles, and the result is the median of the paired speed ratios: drift hits both alike. Two
copies of the same build give a ratio within about 2% of 1.

The reference revision's cext/ is compiled into a temporary directory as module ``fabric_ref._core``; its
`Core` must take the same arrays and settings as the current one.
"""
import argparse
import dataclasses
import functools
import importlib
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import run_spec  # noqa: E402

BUILD = """
import numpy as np, sys
from Cython.Build import cythonize
from setuptools import Extension, setup
sys.path.insert(0, {root!r})
import setup as project
ext = Extension("fabric_ref._core", ["fabric_ref/_core.pyx"], include_dirs=[np.get_include(), "."],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                extra_compile_args=project.EXTRA_COMPILE_ARGS,
                extra_link_args=getattr(project, "EXTRA_LINK_ARGS", []))
COMPILER_DIRECTIVES = project.COMPILER_DIRECTIVES
setup(ext_modules=cythonize([ext], compiler_directives=COMPILER_DIRECTIVES, include_path=["."], quiet=True),
      script_args=["build_ext", "--inplace", "-q"])
"""

# The routing modes of the cores before they exported ROUTING_MODES
FIRST_ROUTING_MODES = {"dor_mesh": 0, "dor_torus": 1, "nca": 2, "anca": 3, "dor_hyperx": 4, "dragonfly_min": 5,
                       "hyperx_adaptive": 6, "dragonfly_valiant": 7, "table_updown": 8, "table_ecmp": 9,
                       "dragonfly_ugal": 10}


def build_reference(rev: str, where: pathlib.Path):
    """Compile cext/ at git revision `rev` into `where` as module fabric_ref._core (its core module, at
    cext/_core.pyx or cext/fabric/_core.pyx, goes to fabric_ref/; its parts stay beside)."""
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "cext/"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    (where / "fabric_ref").mkdir()
    (where / "fabric_ref" / "__init__.py").write_text("")
    for name in files:
        if not name.endswith((".pyx", ".pxd")):
            continue
        text = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout
        relative = pathlib.PurePosixPath(name).relative_to("cext")
        if relative.parts[0] == "fabric":
            relative = pathlib.PurePosixPath("fabric_ref", *relative.parts[1:])
        elif relative.name == "_core.pyx":
            relative = pathlib.PurePosixPath("fabric_ref", "_core.pyx")
        (where / relative).parent.mkdir(parents=True, exist_ok=True)
        (where / relative).write_text(text.replace("fabric._core", "fabric_ref._core"))
    built = subprocess.run([sys.executable, "-c", BUILD.format(root=str(ROOT))], cwd=where,
                           capture_output=True, text=True)
    if built.returncode:
        sys.exit(f"error: building the core of {rev} failed:\n{built.stdout}{built.stderr}")
    sys.path.insert(0, str(where))
    return importlib.import_module("fabric_ref._core")


def legacy_settings(cfg) -> dict:
    """A CoreConfig as the dict the cores before it read (every class listed; the first's allow_self at
    the top, where they looked for it)."""
    out = dataclasses.asdict(cfg)
    out["allow_self"] = int(cfg.classes[0].allow_self)
    return out


def make_reference(core_class, modes, arrays, cfg):
    """The reference core for these settings, its routing mode renumbered by name as that core numbers
    them (`modes`: name by current number, and the reference's table); a core from before CoreConfig
    takes them as a dict."""
    current_names, reference_modes = modes
    cfg = dataclasses.replace(cfg, route_mode=reference_modes[current_names[cfg.route_mode]])
    try:
        return core_class(arrays, cfg)
    except TypeError:
        return core_class(arrays, legacy_settings(cfg))
    except AttributeError:
        # a core from before router classes: one class's settings at the top (a run with one class)
        return core_class(arrays, flat_router_settings(cfg))


def flat_router_settings(cfg):
    """A CoreConfig with its first router class's fields at the top, as the cores before router.classes
    read them."""
    import types

    setup = cfg.routers[0]
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    fields.update(dataclasses.asdict(setup), alloc_iters=setup.sw_iters, router_kind=setup.kind)
    return types.SimpleNamespace(**fields)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="HEAD~1", help="git revision to compare against (default HEAD~1)")
    ap.add_argument("--case", default="torus25x25x25@0.1", help="NAME@LOAD, NAME as in bench.py")
    ap.add_argument("--warmup", type=int, default=300, help="cycles run before timing starts")
    ap.add_argument("--slices", type=int, default=40, help="timed slices per core")
    ap.add_argument("--slice-cycles", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1, help="threads of both cores")
    ap.add_argument("--stats", action="store_true", help="the current core counts every statistic (--stats all)")
    a = ap.parse_args()

    import fabric.build as build
    from fabric.spec import resolve_spec

    spec = resolve_spec(run_spec(a.case, a.warmup, 10**6))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="fabric-ab-"))
    try:
        reference = build_reference(a.ref, tmp)
        current = build._core
        modes = ({v: k for k, v in current.ROUTING_MODES.items()},
                 getattr(reference, "ROUTING_MODES", FIRST_ROUTING_MODES))
        reference.Core = functools.partial(make_reference, reference.Core, modes)
        for name in dir(current):         # limits an older core did not export yet: the current ones
            if name.isupper() and not hasattr(reference, name):
                setattr(reference, name, getattr(current, name))
        cores = {}
        for label, module in (("reference", reference), ("current", current)):
            build._core = module
            stats = {"stats": True} if a.stats and label == "current" else {}
            core, net = build.make_core(spec, threads=a.threads, **stats)
            core.run(a.warmup)
            cores[label] = core
        build._core = current
        speed = {label: [] for label in cores}
        for _ in range(a.slices):
            for label, core in cores.items():
                started = time.perf_counter()
                core.run(core.now + a.slice_cycles)
                speed[label].append(net.n_routers * a.slice_cycles / (time.perf_counter() - started))
        ratios = [c / r for r, c in zip(speed["reference"], speed["current"])]
        print(json.dumps({
            "case": a.case,
            "threads": a.threads,
            "stats": a.stats,
            "reference": a.ref,
            "router_cycles_per_second": {k: round(statistics.median(v), 1) for k, v in speed.items()},
            "current_over_reference": round(statistics.median(ratios), 4),
            "ratio_quartiles": [round(q, 4) for q in statistics.quantiles(ratios, n=4)],
        }, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
