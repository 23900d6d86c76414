"""hotspot: a share of the traffic goes to a few endpoints. A packet goes to one of ``hotspots`` with
probability ``share`` (hotspot i with weight ``weights[i]``, equal by default), else to a destination
uniform over all endpoints. With share = 1 (the default) every packet goes to a hotspot, as BookSim's
``hotspot``.

    [traffic]
    pattern = "hotspot"
    hotspots = [0, 63]
    share = 0.2
"""
from ..errors import FabricError
from ..params import Param
from ..registry import traffic_patterns
from ._alias import alias_tables

PARAMS = (
    Param("hotspots", "int_list", [0], "endpoints that receive the hot traffic", min=0),
    Param("weights", "int_list", [], "relative share of each hotspot (default: equal)", min=1, min_len=0),
    Param("share", "float", 1.0, "probability that a packet goes to a hotspot", min=0, max=1),
)


@traffic_patterns.register("hotspot", params=PARAMS)
def make(network, traffic: dict) -> dict:
    import numpy as np

    from ..constants import DEST_MODES

    n, hot = network.n_endpoints, traffic["hotspots"]
    if max(hot) >= n:
        raise FabricError(f"traffic.hotspots: endpoint {max(hot)} does not exist (there are {n})")
    weights = traffic["weights"] or [1] * len(hot)
    if len(weights) != len(hot):
        raise FabricError(f"traffic.weights: {len(weights)} weights for {len(hot)} hotspots")
    p = np.full(n, (1.0 - traffic["share"]) / n)
    np.add.at(p, hot, traffic["share"] * np.asarray(weights, float) / sum(weights))
    return {"dest_mode": DEST_MODES["alias"], **alias_tables([np.arange(n)], [p], np.zeros(n, np.int64))}
