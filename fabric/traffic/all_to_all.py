"""all_to_all: each source sends to every other endpoint in turn: its k-th packet goes to
s + 1 + (k mod (N - 1)) mod N. Every pair carries the same traffic, in a fixed rotation (the shifted
schedule of an all-to-all exchange), with the injection process setting the pace.

    [traffic]
    pattern = "all_to_all"
"""
from ..errors import FabricError
from ..registry import traffic_patterns



@traffic_patterns.register("all_to_all")
def make(network, traffic: dict) -> dict:
    from ..constants import DEST_MODES

    if network.n_endpoints < 2:
        raise FabricError("traffic.pattern: all_to_all needs at least 2 endpoints")
    return {"dest_mode": DEST_MODES["rotate"]}
