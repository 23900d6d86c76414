"""neighbor: in every dimension, the next router: coordinate x goes to (x + 1) mod k, the endpoint's
index at its router unchanged. As BookSim's ``neighbor`` (with xr = 1). On networks without dimensions
the endpoint ids form one ring: s sends to s + 1 mod N.

    [traffic]
    pattern = "neighbor"
"""
from ..registry import traffic_patterns
from ._common import shift_digits


@traffic_patterns.register("neighbor")
def make(network, traffic: dict) -> dict:
    return {"dest_table": shift_digits(network, lambda k: 1)}
