"""bit_complement: source s sends to ~s (every bit of the id flipped), N a power of two. As BookSim's
``bitcomp``. On a mesh of one endpoint per router it sends every packet to the mirror-image router.

    [traffic]
    pattern = "bit_complement"
"""
from ..registry import traffic_patterns
from ._common import power_of_two_bits


@traffic_patterns.register("bit_complement")
def make(network, traffic: dict) -> dict:
    import numpy as np

    power_of_two_bits(network.n_endpoints, "bit_complement")
    s = np.arange(network.n_endpoints)
    return {"dest_table": ~s & (network.n_endpoints - 1)}
