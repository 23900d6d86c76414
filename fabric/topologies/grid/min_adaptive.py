"""min_adaptive: minimal adaptive routing on HyperX.

At each router a packet may correct any dimension whose coordinate still differs (one hop takes it
straight to the destination's coordinate). It takes the one whose port has the most free credits in the
VCs of its hop (the lowest dimension on a tie), so it steers around busy links and stays minimal.

Deadlock freedom by VC classes per hop: a packet's hop i (0 to n-1, n the number of dimensions) uses
only the VCs of class i, class i being the i-th of n equal slices of ``router.vcs``. Every dependency
goes from a class to a higher one, so the channel dependency graph has no cycle. ``router.vcs`` must be
at least the number of dimensions.

    [routing]
    algorithm = "min_adaptive"
"""
from ...registry import routings


def check(spec: dict):
    dims = len(spec["topology"]["dims"])
    if spec["router"]["vcs"] < dims:
        yield "router.vcs", (f"min_adaptive on a {dims}-dimensional hyperx needs at least {dims} VCs "
                             f"(one class per hop), got {spec['router']['vcs']}")


@routings.register("min_adaptive", topologies=("hyperx",), check=check)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode, row offsets and the number of hop classes."""
    from ...constants import ROUTING_MODES

    return {"mode": ROUTING_MODES["hyperx_adaptive"], "arrays": {"row_offsets": network.info["row_offsets"]},
            "settings": {"hop_classes": len(network.dims)}}
