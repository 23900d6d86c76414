"""collective: a collective operation over a set of ranks, run closed loop: each message is sent when the
data it needs has arrived, and the result gives the completion time.

Each rank holds ``size`` flits (the buffer of NCCL's definitions). Messages are split into packets of
``traffic.packet_size`` flits. The algorithms (fabric/traffic/_collectives.py has each one's steps):

- ``ring``: all_reduce (reduce-scatter then all-gather, 2(p-1) steps), all_gather, reduce_scatter (p-1).
- ``direct``: every rank sends each other rank its chunk at once (all_reduce: then the reduced chunks);
  all_to_all is always direct, rank i sending to i+1, i+2, ... in turn.
- ``hierarchical`` (all_reduce): ring reduce-scatter within groups, ring all-reduce across groups, ring
  all-gather within groups (the 2-D algorithm). A group is ``group`` consecutive ranks (0: the square
  root, rounded down to a divisor), or with ``group_by = "router"`` the ranks on one router: a leaf
  switch of a Clos or fat tree (its planes carry the cross-leaf step, by the plane policy), a chip of a
  composite.
- ``halving_doubling``: recursive halving and doubling, log2 p steps each (with a fold and an unfold
  step when p is not a power of two): all_reduce, all_gather, reduce_scatter.
- ``double_binary_tree`` (all_reduce): NCCL's two complementary binary trees, each reducing and
  broadcasting half the data in ``segments`` pipelined pieces.
- ``all_to_all_v``: every rank sends each other rank its own amount: rows of flits from ``file`` (a CSV of
  p rows of p numbers, row i what rank i sends to each rank), or, without a file, ``size`` flits per rank
  split over the others in proportion to (j + 1)^-``skew`` for rank j: the few hot experts of a mixture
  of experts (skew 0 is the even all_to_all).

``ranks`` picks the endpoints taking part: "all", a list of endpoint ids, or a range "start:stop[:step]".
``delays`` holds per-rank start delays in cycles, as a table rank index -> cycles (a straggler:
``delays = {"3" = 500}``).

The result's ``workload`` section gives the completion time (cycles and seconds), each step's finish,
algorithm bandwidth (size / time, flits per cycle and GB/s) and bus bandwidth (NCCL: algorithm bandwidth
times 2(p-1)/p for all_reduce, (p-1)/p for the others), and the straggler (the rank that finished last).
For all_to_all_v the size is the largest amount a rank sends.

    [traffic]
    pattern = "collective"
    collective = "all_reduce"
    algorithm = "ring"
    size = 4096
"""
from __future__ import annotations

from ..errors import FabricError
from ..params import Param
from ..registry import traffic_patterns
from ._collectives import ALGORITHMS, add_collective, message_count
from ._messages import Messages

PARAMS = (
    Param("collective", "str", "all_reduce", "the operation",
          choices=("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "all_to_all_v")),
    Param("algorithm", "str", "ring", "how it is done", choices=ALGORITHMS),
    Param("size", "int", 1024, "flits per rank (the buffer size)", min=1, max=2**40),
    Param("ranks", "str", "all", 'endpoints taking part: "all", or "start:stop[:step]" (a list: ranks_list)'),
    Param("ranks_list", "int_list", [], "endpoints taking part, in ring order (instead of ranks)", min=0, min_len=0),
    Param("group", "int", 0, "hierarchical: ranks per group (0: the square root, rounded down to a divisor)", min=0),
    Param("group_by", "str", "count", 'hierarchical: groups of `group` ranks, or "router": the ranks on one router',
          choices=("count", "router")),
    Param("segments", "int", 8, "double_binary_tree: pieces each tree pipelines its half in", min=1, max=2**20),
    Param("file", "str", "", "all_to_all_v: a CSV of p rows of p flits (row i: what rank i sends to each rank)"),
    Param("skew", "float", 0.0, "all_to_all_v without a file: rank j receives in proportion to (j + 1)^-skew",
          min=0, max=100),
    Param("delays", "table", {}, "per-rank start delay in cycles: {rank index = cycles}"),
)
BUS_FACTOR = {"all_reduce": lambda p: 2 * (p - 1) / p, "all_gather": lambda p: (p - 1) / p,
              "reduce_scatter": lambda p: (p - 1) / p, "all_to_all": lambda p: (p - 1) / p,
              "all_to_all_v": lambda p: (p - 1) / p}


def ranks_of(traffic: dict, n_endpoints: int) -> list:
    if traffic["ranks_list"]:
        ranks = list(traffic["ranks_list"])
    elif traffic["ranks"] == "all":
        ranks = list(range(n_endpoints))
    else:
        try:
            ranks = list(range(*(int(x) for x in traffic["ranks"].split(":"))))
        except (ValueError, TypeError):
            raise FabricError(f'traffic.ranks: "all" or "start:stop[:step]", got {traffic["ranks"]!r}') from None
    if len(ranks) < 2:
        raise FabricError(f"traffic.ranks: a collective needs at least 2 ranks, got {len(ranks)}")
    if len(set(ranks)) != len(ranks) or min(ranks) < 0 or max(ranks) >= n_endpoints:
        raise FabricError(f"traffic.ranks: distinct endpoints from 0 to {n_endpoints - 1}")
    return ranks


def build(traffic: dict, network):
    """(messages, description) of the collective."""
    ranks = ranks_of(traffic, network.n_endpoints)
    p = len(ranks)
    delay = [0] * p
    for key, value in traffic["delays"].items():
        if not (str(key).isdigit() and int(key) < p) or not isinstance(value, int) or value < 0:
            raise FabricError(f"traffic.delays: rank index (0..{p - 1}) = cycles >= 0, got {key} = {value!r}")
        delay[int(key)] = value
    kind, algorithm, size = traffic["collective"], traffic["algorithm"], traffic["size"]
    group = router_group(network, ranks) if traffic["group_by"] == "router" else traffic["group"]
    sizes = pair_sizes(traffic, p) if kind == "all_to_all_v" else None
    if sizes is not None and traffic["file"]:
        size = int(sizes.sum(axis=1).max())
    m = Messages()
    phases = add_collective(m, kind, algorithm, ranks, size, delay, group, sizes, traffic["segments"])
    info = {"collective": kind, "algorithm": algorithm if kind not in ("all_to_all", "all_to_all_v") else "direct",
            "ranks": p, "size_flits": size, "phases": phases, "bus_factor": BUS_FACTOR[kind](p),
            "rank_endpoints": ranks}
    if algorithm == "hierarchical":
        info["group"] = group
    return m, info


def router_group(network, ranks) -> int:
    """The ranks per router, when every router's ranks are consecutive and as many (group_by = "router")."""
    routers = network.endpoint_router[ranks]
    g = 1
    while g < len(routers) and routers[g] == routers[0]:
        g += 1
    if len(routers) % g:
        raise FabricError(f'traffic.group_by: "router" needs as many ranks on every router, and the first router '
                          f'has {g} of the {len(routers)} ranks')
    for start in range(0, len(routers), g):
        block = routers[start:start + g]
        if (block != block[0]).any() or (start and block[0] in routers[:start]):
            raise FabricError(f'traffic.group_by: "router" needs each router\'s ranks consecutive and {g} of '
                              f'them (the first router\'s count); rank {start} breaks it')
    return g


def pair_sizes(traffic: dict, p: int):
    """all_to_all_v's flits from each rank to each rank, a p x p integer array (the diagonal unused)."""
    import numpy as np

    if traffic["file"]:
        from .matrix import read

        sizes = read(traffic["file"], p)
        if (sizes != np.round(sizes)).any() or (sizes < 0).any():
            raise FabricError(f"traffic.file: {traffic['file']}: all_to_all_v needs whole numbers of flits >= 0")
        sizes = sizes.astype(np.int64)
        np.fill_diagonal(sizes, 0)
        return sizes
    # each rank's `size` flits spread over all p ranks (its own share stays local, as all_to_all's chunk)
    share = traffic["size"] * (np.arange(p) + 1.0) ** -traffic["skew"]
    share /= share.sum() / traffic["size"] if share.sum() else 1
    row = np.floor(share).astype(np.int64)
    left = traffic["size"] - int(row.sum())              # largest remainders take the flits rounding left
    if left:
        row[np.argsort(-(share - row), kind="stable")[:left]] += 1
    sizes = np.tile(row, (p, 1))
    np.fill_diagonal(sizes, 0)
    return sizes


MAX_MESSAGES = 20_000_000


@traffic_patterns.register("collective", params=PARAMS)
def make(network, traffic: dict) -> dict:
    from ..constants import DEST_MODES

    n = network.n_endpoints
    if traffic["collective"] == "all_to_all" and traffic["ranks"] == "all" and not traffic["ranks_list"] \
            and not traffic["delays"] and traffic["size"] % n == 0:
        # every endpoint sends size / n flits to each other one, in a fixed rotation, one packet per pair:
        # the core makes each source's next packet as the last one leaves (no message per pair is stored)
        info = {"collective": "all_to_all", "algorithm": "direct", "ranks": n, "size_flits": traffic["size"],
                "phases": ["all_to_all"], "bus_factor": BUS_FACTOR["all_to_all"](n), "rank_endpoints": None}
        return {"budget": n - 1, "chunk": traffic["size"] // n, "dest_mode": DEST_MODES["rotate"], "workload": info}
    p = len(ranks_of(traffic, n))
    count = message_count(traffic["collective"], traffic["algorithm"], p, traffic["segments"])
    if count > MAX_MESSAGES:
        raise FabricError(f"traffic.ranks: {traffic['algorithm']} {traffic['collective']} over {p} ranks makes "
                          f"{count:,} messages, too many to hold; halving_doubling and double_binary_tree make "
                          f"about p log p and 4 p segments, and an all_to_all over all endpoints, without "
                          f"delays, with size a multiple of {n}, runs without holding them")
    messages, info = build(traffic, network)
    return {"messages": messages, "workload": info}
