"""neighbor: in every dimension, the next router: coordinate x goes to (x + 1) mod k, the endpoint's
index at its router unchanged. As BookSim's ``neighbor`` (with xr = 1). On networks without dimensions
the endpoint ids form one ring: s sends to s + 1 mod N.

    [traffic]
    pattern = "neighbor"
"""
from ..registry import traffic_patterns
from ._common import digits


@traffic_patterns.register("neighbor")
def make(network, traffic: dict) -> dict:
    import numpy as np

    radices, split, join = digits(network)
    d = split(np.arange(network.n_endpoints))
    for i, k in enumerate(radices):
        if i > 0 or len(radices) == 1:
            d[:, i] = (d[:, i] + 1) % k
    return {"dest_table": join(d)}
