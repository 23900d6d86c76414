"""transpose: the endpoint id's upper and lower halves of bits swap: with N = 2^(2b), source s = (x, y)
(y its lower b bits) sends to (y, x). As BookSim's ``transpose``; N must be an even power of two.
On a 2^b x 2^b mesh with one endpoint per router this is the matrix transpose of the router grid.

    [traffic]
    pattern = "transpose"
"""
from ..registry import traffic_patterns
from ._common import power_of_two_bits


@traffic_patterns.register("transpose")
def make(network, traffic: dict) -> dict:
    import numpy as np

    half = power_of_two_bits(network.n_endpoints, "transpose", even=True) // 2
    s = np.arange(network.n_endpoints)
    low = (1 << half) - 1
    return {"dest_table": ((s >> half) & low) | ((s << half) & (low << half))}
