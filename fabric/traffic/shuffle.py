"""shuffle: source s sends to s rotated left by one bit (the perfect shuffle), N a power of two. As
BookSim's ``shuffle``.

    [traffic]
    pattern = "shuffle"
"""
from ..registry import traffic_patterns
from ._common import power_of_two_bits


@traffic_patterns.register("shuffle")
def make(network, traffic: dict) -> dict:
    import numpy as np

    bits = power_of_two_bits(network.n_endpoints, "shuffle")
    s = np.arange(network.n_endpoints)
    return {"dest_table": ((s << 1) & (network.n_endpoints - 1)) | (s >> (bits - 1))}
