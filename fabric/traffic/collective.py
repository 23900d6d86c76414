"""collective: a collective operation over a set of ranks, run closed loop: each message is sent when the
data it needs has arrived, and the result gives the completion time.

Each rank holds ``size`` flits (the buffer of NCCL's definitions). Messages are split into packets of
``traffic.packet_size`` flits. Algorithms (p ranks, chunks of size / p flits):

- ``all_reduce``, ``ring``: reduce-scatter then all-gather around the ring of ranks, 2(p-1) steps; in
  each, every rank sends one chunk to the next rank, once it has received the previous step's chunk
  from the rank before it and its own previous send is done.
- ``all_reduce``, ``direct``: every rank sends chunk j to rank j (reduce-scatter), then each rank sends
  its reduced chunk to every other rank once it has all p-1 pieces (all-gather).
- ``all_reduce``, ``hierarchical``: ranks in groups of ``group`` consecutive ranks; ring reduce-scatter
  within each group, ring all-reduce of the result across groups (among ranks with the same place in
  their group), then ring all-gather within each group (the 2-D algorithm).
- ``all_gather`` and ``reduce_scatter``, ``ring``: p-1 steps of the ring; ``direct``: every rank sends its
  chunk to every other rank at once.
- ``all_to_all`` (``direct``): every rank sends a chunk to each other rank, rank i to i+1, i+2, ... in
  turn.

``ranks`` picks the endpoints taking part: "all", a list of endpoint ids, or a range "start:stop[:step]".
``delays`` holds per-rank start delays in cycles, as a table rank index -> cycles (a straggler:
``delays = {"3" = 500}``).

The result's ``workload`` section gives the completion time, each step's finish, algorithm bandwidth
(size / time, flits per cycle) and bus bandwidth (NCCL: algorithm bandwidth times 2(p-1)/p for
all_reduce, (p-1)/p for the others), and the straggler (the rank that finished last).

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
from ._messages import Messages

PARAMS = (
    Param("collective", "str", "all_reduce", "the operation",
          choices=("all_reduce", "all_gather", "reduce_scatter", "all_to_all")),
    Param("algorithm", "str", "ring", "how it is done", choices=("ring", "direct", "hierarchical")),
    Param("size", "int", 1024, "flits per rank (the buffer size)", min=1, max=2**40),
    Param("ranks", "str", "all", 'endpoints taking part: "all", or "start:stop[:step]" (a list: ranks_list)'),
    Param("ranks_list", "int_list", [], "endpoints taking part, in ring order (instead of ranks)", min=0, min_len=0),
    Param("group", "int", 0, "hierarchical: ranks per group (0: the square root, rounded down to a divisor)", min=0),
    Param("delays", "table", {}, "per-rank start delay in cycles: {rank index = cycles}"),
)
BUS_FACTOR = {"all_reduce": lambda p: 2 * (p - 1) / p, "all_gather": lambda p: (p - 1) / p,
              "reduce_scatter": lambda p: (p - 1) / p, "all_to_all": lambda p: (p - 1) / p}


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


def chunks(size: int, parts: int) -> list:
    """size flits in parts pieces, as even as integers allow."""
    return [size // parts + (1 if i < size % parts else 0) for i in range(parts)]


def build(traffic: dict, n_endpoints: int):
    """(messages, description) of the collective."""
    ranks = ranks_of(traffic, n_endpoints)
    p = len(ranks)
    delay = [0] * p
    for key, value in traffic["delays"].items():
        if not (str(key).isdigit() and int(key) < p) or not isinstance(value, int) or value < 0:
            raise FabricError(f"traffic.delays: rank index (0..{p - 1}) = cycles >= 0, got {key} = {value!r}")
        delay[int(key)] = value
    kind, algorithm, size = traffic["collective"], traffic["algorithm"], traffic["size"]
    m = Messages()
    phases = add_collective(m, kind, algorithm, ranks, size, delay, traffic["group"])
    return m, {"collective": kind, "algorithm": algorithm, "ranks": p, "size_flits": size, "phases": phases,
               "bus_factor": BUS_FACTOR[kind](p), "rank_endpoints": ranks}


def add_collective(m, kind: str, algorithm: str, ranks: list, size: int, delay=None, group: int = 0) -> list:
    """Add the messages of one collective over the endpoints `ranks` (size flits per rank, rank i
    starting delay[i] cycles late) to m; returns the name of each of its steps, in order (a message's
    step is its index there)."""
    p = len(ranks)
    delay = delay or [0] * p
    phases = []
    if kind == "all_to_all" or algorithm == "direct":
        _direct(m, kind, ranks, size, delay, phases)
    elif algorithm == "ring":
        if kind == "all_reduce":
            steps, chunk = 2 * (p - 1), chunks(size, p)
        else:
            steps, chunk = p - 1, chunks(size, p)
        _ring(m, ranks, steps, chunk, delay, [None] * p, 0, phases, kind)
    else:
        if kind != "all_reduce":
            raise FabricError(f"traffic.algorithm: hierarchical is an all_reduce algorithm, not {kind}")
        _hierarchical(m, ranks, size, delay, group, phases)
    return phases


def _ring(m, ranks, steps, chunk, delay, waits, step0, phases, name):
    """Ring steps over ``ranks`` (rank i sends to i + 1): returns, per rank, the last message it received.
    waits[i]: a message rank i must have received before its first send (or None)."""
    p = len(ranks)
    sent = [None] * p
    received = list(waits)
    for k in range(steps):
        new_received = [None] * p
        for i in range(p):
            deps = [d for d in (received[i], sent[i]) if d is not None]
            j = (i + 1) % p
            piece = chunk[(i - k) % len(chunk)]
            msg = m.add(ranks[i], ranks[j], piece, delay[i] if k == 0 else 0, deps, step0 + k)
            sent[i] = msg
            new_received[j] = msg
        received = new_received
        phases.append(name)
    return received


def _direct(m, kind, ranks, size, delay, phases):
    p = len(ranks)
    chunk = chunks(size, p)
    first = {}
    for i in range(p):
        for shift in range(1, p):
            j = (i + shift) % p
            first[i, j] = m.add(ranks[i], ranks[j], chunk[j if kind != "all_gather" else i], delay[i], (), 0)
    phases.append(kind if kind != "all_reduce" else "reduce_scatter")
    if kind == "all_reduce":
        for j in range(p):
            got = [first[i, j] for i in range(p) if i != j]
            for shift in range(1, p):
                k = (j + shift) % p
                m.add(ranks[j], ranks[k], chunk[j], 0, got, 1)
        phases.append("all_gather")


def _hierarchical(m, ranks, size, delay, group, phases):
    p = len(ranks)
    if group == 0:
        group = max(g for g in range(1, int(p ** 0.5) + 1) if p % g == 0)
    if p % group or group < 1:
        raise FabricError(f"traffic.group: {group} does not divide the {p} ranks")
    q = p // group
    if group < 2 or q < 2:
        raise FabricError(f"traffic.group: hierarchical needs at least 2 groups of at least 2 ranks, got "
                          f"{q} of {group}")
    local = chunks(size, group)               # what each rank owns after the in-group reduce-scatter
    waits = [None] * p
    # 1. reduce-scatter within each group
    for g in range(q):
        members = list(range(g * group, (g + 1) * group))
        got = _ring(m, [ranks[i] for i in members], group - 1, local, [delay[i] for i in members],
                    [None] * group, 0, [], "reduce_scatter")
        for i, r in zip(members, got):
            waits[i] = r
    phases += ["reduce_scatter (in group)"] * (group - 1)
    # 2. all-reduce across groups, among the ranks with the same place in their group
    for pos in range(group):
        members = [g * group + pos for g in range(q)]
        got = _ring(m, [ranks[i] for i in members], 2 * (q - 1), chunks(local[pos], q), [0] * q,
                    [waits[i] for i in members], group - 1, [], "all_reduce")
        for i, r in zip(members, got):
            waits[i] = r
    phases += ["all_reduce (across groups)"] * (2 * (q - 1))
    # 3. all-gather within each group
    for g in range(q):
        members = list(range(g * group, (g + 1) * group))
        _ring(m, [ranks[i] for i in members], group - 1, local, [0] * group, [waits[i] for i in members],
              group - 1 + 2 * (q - 1), [], "all_gather")
    phases += ["all_gather (in group)"] * (group - 1)


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
    if p * (p - 1) > MAX_MESSAGES:
        raise FabricError(f"traffic.ranks: {p} ranks make {p * (p - 1):,} messages, too many to hold; an "
                          f"all_to_all over all endpoints, without delays, with size a multiple of {n} runs "
                          f"without holding them")
    messages, info = build(traffic, n)
    return {"messages": messages, "workload": info}
