"""fabric: a cycle-accurate, flit-level network-on-chip and datacenter-fabric simulator.

    >>> import fabric
    >>> result = fabric.simulate("topologies/mesh8x8.toml", seed=3, overrides=["traffic.injection_rate=0.2"])
    >>> result.latency.packet.mean, result.throughput.accepted
    >>> fabric.describe("topologies/mesh8x8.toml")["uniform"]["saturation_bound"]
    >>> for line in fabric.sweep("topologies/mesh8x8.toml", vary=["traffic.injection_rate=0.1:0.4:0.1"]): ...
    >>> fabric.saturate("topologies/mesh8x8.toml")["saturation_throughput"]

Every function takes a spec as a path (a TOML file), a dict (parsed TOML, or a resolved spec), with
``overrides`` (``--set`` items, ``"key=VALUE"``), ``unset`` (``--unset`` keys) and ``seed`` as the CLI
has them; the CLI is a thin layer over these. The heavy modules (numpy, the compiled core) load on first
use, so ``import fabric`` stays light.
"""
from ._version import __version__
from .errors import FabricError, FabricWarning, SpecError

__all__ = ["__version__", "FabricError", "FabricWarning", "SpecError", "load_spec", "simulate", "describe",
           "validate", "sweep", "saturate", "build_network"]


def load_spec(source, overrides=(), *, seed=None, unset=()):
    """Read a TOML spec (a path, or "-" for stdin), remove the ``unset`` keys, apply ``overrides``
    (``"key=VALUE"``, VALUE read as TOML) and ``seed``, and validate it; returns the resolved spec."""
    from .spec import load_spec as _load

    return _load(source, overrides, seed=seed, unset=unset)


def _spec(spec, overrides=(), seed=None, unset=()):
    """A resolved spec from a path or a dict, with the CLI's overrides."""
    if isinstance(spec, dict):
        from .spec import resolve_with

        return resolve_with(spec, overrides, seed=seed, unset=unset)
    return load_spec(spec, overrides, seed=seed, unset=unset)


def simulate(spec, *, overrides=(), unset=(), seed=None, threads=1, progress=None, max_memory=None,
             partial=False, stats=None):
    """Run one simulation and return its `fabric.result.Result`.

    spec: a path or a dict. overrides, unset, seed: as ``--set``, ``--unset`` and ``--seed``.
    threads: routers stepped on this many threads (same result for any number). progress: a bar on
    stderr (None: when stderr is a terminal). max_memory: bytes; a network estimated to need more is
    refused before anything is allocated. partial: Ctrl-C returns the figures so far with status
    "interrupted" instead of raising KeyboardInterrupt. stats: count the activity of every link, router
    and endpoint ("links,routers,endpoints,series", a list of those, or True for all): the result gains
    its summary as ``stats`` and the tables as ``result.tables`` (README.md, "Inside a run").

    ``Result.to_dict()`` is what ``fabric run`` prints; ``result.latency.packet.mean`` reads a figure,
    ``result.to_flat()`` gives dotted keys for a pandas row.
    """
    from .simulation import simulate as _simulate

    return _simulate(_spec(spec, overrides, seed, unset), progress=progress, max_memory=max_memory,
                     partial=partial, threads=threads, stats=stats)


def describe(spec, *, overrides=(), unset=()) -> dict:
    """What ``fabric describe`` prints: the network's counts, radix, diameter, hops, bisection and
    uniform-traffic bound, without simulating."""
    from .description import describe as _describe

    return _describe(_spec(spec, overrides, None, unset))


def validate(spec, *, overrides=(), unset=(), max_memory=None) -> list:
    """Check a spec as far as running it would (FabricError if `simulate` would refuse it); returns its
    warnings, as strings."""
    from .build import validate as _validate

    return _validate(_spec(spec, overrides, None, unset), max_memory=max_memory)


def sweep(spec, vary, *, zip=(), overrides=(), unset=(), jobs=None, scheduler=None, threads=1):
    """Run the spec at every point of ``vary`` (``"key=VALUES"`` items as ``--vary``; ``zip``: groups
    ``"key,key"`` that advance together) and yield each point's line as it finishes: the result's dict
    with ``point``, ``seed`` and ``ok`` (``ok: false`` and ``error`` for a point that failed). jobs:
    worker processes (default: every core); scheduler: a Dask scheduler's address."""
    import os

    from .spec import load_raw, resolve_spec
    from .sweeps import check_points, execute, plan

    if isinstance(spec, dict):
        data, source_name = _spec(spec, overrides, None, unset), "<spec>"
        resolved = resolve_spec(data)
    else:
        data, source_name, resolved = load_raw(spec, overrides, unset)
    points = plan(list(vary), list(zip))
    check_points(data, source_name, points)
    yield from execute(data, source_name, points, resolved["sim"]["seed"], jobs or os.cpu_count() or 1,
                       scheduler, threads)


def saturate(spec, *, overrides=(), unset=(), seed=None, tolerance=0.01, factor=3.0, jobs=1, threads=1,
             progress=False) -> dict:
    """The saturation throughput of the spec's open-loop traffic, as ``fabric saturate`` prints it."""
    from .saturation import saturate as _saturate

    return _saturate(_spec(spec, overrides, seed, unset), tolerance, factor, threads, jobs, progress)


def build_network(spec):
    """The `fabric.network.Network` (flat port arrays) a spec describes."""
    from .build import build_network as _build

    return _build(spec)
