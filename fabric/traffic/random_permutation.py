"""random_permutation: a fixed random permutation of the endpoints, drawn from ``perm_seed`` (the same
seed gives the same permutation whatever sim.seed is); a source may map to itself. As BookSim's
``randperm`` in intent (its permutation comes from its own generator, so not the same one).

    [traffic]
    pattern = "random_permutation"
    perm_seed = 1
"""
from ..params import Param
from ..registry import traffic_patterns

PARAMS = (Param("perm_seed", "int", 1, "seed of the permutation", min=0, max=2**63 - 1),)


@traffic_patterns.register("random_permutation", params=PARAMS)
def make(network, traffic: dict) -> dict:
    import numpy as np

    return {"dest_table": np.random.default_rng(traffic["perm_seed"]).permutation(network.n_endpoints)}
