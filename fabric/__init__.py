"""fabric: a cycle-accurate, flit-level network-on-chip and datacenter-fabric simulator.

    >>> import fabric
    >>> result = fabric.simulate("topologies/mesh8x8.toml")
    >>> result.to_dict()["latency"]["packet"]["mean"]

The heavy modules (numpy, the compiled core) load on first use, so ``import fabric`` stays light.
"""
from ._version import __version__
from .errors import FabricError, SpecError

__all__ = ["__version__", "FabricError", "SpecError", "load_spec", "simulate", "build_network"]


def load_spec(source, overrides=(), **kwargs):
    """Read, merge ``--set`` style overrides into, and validate a TOML spec; see `fabric.spec.load_spec`."""
    from .spec import load_spec as _load

    return _load(source, overrides, **kwargs)


def simulate(spec, **kwargs):
    """Run one simulation. ``spec`` is a path, a TOML string's parsed dict, or a resolved spec dict.

    Returns a `fabric.result.Result`; ``Result.to_dict()`` is what ``fabric run`` prints.
    """
    from .engine import simulate as _simulate

    return _simulate(spec, **kwargs)


def build_network(spec):
    """The `fabric.network.Network` (flat port arrays) a spec describes."""
    from .engine import build_network as _build

    return _build(spec)
