"""tornado: in every dimension, the router (k+1)//2 - 1 positions ahead: coordinate x goes to
(x + ceil(k/2) - 1) mod k, the endpoint's index at its router unchanged. As BookSim's ``tornado`` (with
xr = 1). On a mesh, torus or hyperx the dimensions are the topology's; on other networks the endpoint
ids form one ring of N.

    [traffic]
    pattern = "tornado"
"""
from ..registry import traffic_patterns
from ._common import shift_digits


@traffic_patterns.register("tornado")
def make(network, traffic: dict) -> dict:
    return {"dest_table": shift_digits(network, lambda k: (k + 1) // 2 - 1)}
