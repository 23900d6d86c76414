"""dor: dimension-order routing on mesh, torus and HyperX.

The packet corrects dimension 0 first, then 1, and so on (X then Y in 2-D), always minimally.

Mesh: any VC may be used; XY order alone makes it deadlock-free.

Torus: the direction in a dimension is the shorter way round; a tie (distance exactly k/2) is broken
by ``routing.torus_tie``: ``"random"`` (default, as BookSim: a fair coin per packet when it turns into
the dimension) or ``"positive"`` (always the + direction). The VCs are split into two dateline classes,
chosen when the packet turns into a dimension and kept for the whole dimension, exactly as BookSim's
``dor_next_torus``: the upper half (vcs//2 .. vcs-1) going + when the path wraps from k-1 to 0, or going
- when it does not wrap; the lower half otherwise. At the destination router every VC may be used.
Each class's channel-dependency graph is acyclic because minimal paths are at most k/2 long.

HyperX: one hop per dimension whose coordinate differs, straight to the destination's coordinate, in
dimension order. Any VC may be used: channels are only ever taken in increasing dimension, and within a
dimension a packet takes a single hop, so no dependency cycle can form.

    [routing]
    algorithm = "dor"
    torus_tie = "random"
"""
from ...params import Param
from ...registry import routings

PARAMS = (
    Param("torus_tie", "str", "random", "torus: which way a packet goes at distance k/2",
          choices=("random", "positive")),
)


@routings.register("dor", params=PARAMS, topologies=("mesh", "torus", "hyperx"), oblivious=True)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode and its arguments for this network."""
    from ...constants import ROUTING_MODES, TORUS_TIES

    if network.kind == "hyperx":
        return {"mode": ROUTING_MODES["dor_hyperx"], "arrays": {"row_offsets": network.info["row_offsets"]}}
    mode = ROUTING_MODES["dor_torus" if network.kind == "torus" else "dor_mesh"]
    return {"mode": mode, "torus_tie": TORUS_TIES[routing["torus_tie"]],
            "vc_classes": 2 if network.kind == "torus" else 1}
