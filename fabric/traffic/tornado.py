"""tornado: in every dimension, the router (k+1)//2 - 1 positions ahead: coordinate x goes to
(x + ceil(k/2) - 1) mod k, the endpoint's index at its router unchanged. As BookSim's ``tornado`` (with
xr = 1). On a mesh, torus or hyperx the dimensions are the topology's; on other networks the endpoint
ids form one ring of N.

    [traffic]
    pattern = "tornado"
"""
from ..registry import traffic_patterns
from ._common import digits


@traffic_patterns.register("tornado")
def make(network, traffic: dict) -> dict:
    import numpy as np

    radices, split, join = digits(network)
    d = split(np.arange(network.n_endpoints))
    for i, k in enumerate(radices):
        if i > 0 or len(radices) == 1:           # the endpoint's index at its router stays
            d[:, i] = (d[:, i] + (k + 1) // 2 - 1) % k
    return {"dest_table": join(d)}
