"""bit_reverse: source s sends to the id with s's bits in reverse order, N a power of two. As
BookSim's ``bitrev``.

    [traffic]
    pattern = "bit_reverse"
"""
from ..registry import traffic_patterns
from ._common import power_of_two_bits


@traffic_patterns.register("bit_reverse")
def make(network, traffic: dict) -> dict:
    import numpy as np

    bits = power_of_two_bits(network.n_endpoints, "bit_reverse")
    s = np.arange(network.n_endpoints)
    dest = np.zeros_like(s)
    for b in range(bits):
        dest |= ((s >> b) & 1) << (bits - 1 - b)
    return {"dest_table": dest}
