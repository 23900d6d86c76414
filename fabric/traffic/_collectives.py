"""The collective algorithms: each adds the messages of one collective over a list of endpoints (its
ranks, in order) to a `Messages`, with the dependencies that make it closed loop: a rank sends a piece
once the data it carries has arrived, and one message at a time (its previous send done).

- ``ring``: reduce-scatter then all-gather around the ring of ranks (2(p-1) steps for all_reduce, p-1 for
  all_gather and reduce_scatter), chunks of size / p.
- ``direct``: every rank sends each other rank its chunk at once (all_reduce: then each sends its reduced
  chunk to every other rank).
- ``hierarchical`` (all_reduce): ring reduce-scatter within groups of ``group`` consecutive ranks, ring
  all-reduce across groups among the ranks with the same place, ring all-gather within groups.
- ``halving_doubling``: recursive halving (reduce-scatter) and recursive doubling (all-gather), log2 p
  steps each, exchanging with the rank whose index differs in one bit, the amount halving (doubling) each
  step (Thakur, Rabenseifner and Gropp 2005). With p not a power of two, the first 2r ranks (r = p - 2^k)
  fold in pairs first (the even one hands its data to the odd one) and unfold at the end.
- ``double_binary_tree`` (all_reduce): NCCL's two binary trees (NVIDIA/nccl ``src/graph/trees.cc``: the
  second the mirror of the first for even p, shifted by one for odd p), each reducing then broadcasting
  half the data, pipelined in ``segments`` pieces; a rank is an inner node in at most one of them.
- ``all_to_all_v``: every rank sends each other rank its own amount (a matrix of flits), at once.
"""
from __future__ import annotations

from ..errors import FabricError

ALGORITHMS = ("ring", "direct", "hierarchical", "halving_doubling", "double_binary_tree")


def add_collective(m, kind: str, algorithm: str, ranks: list, size: int, delay=None, group: int = 0,
                   sizes=None, segments: int = 8) -> list:
    """Add the messages of one collective over the endpoints `ranks` (size flits per rank, rank i
    starting delay[i] cycles late; all_to_all_v: sizes[i][j] flits from rank i to rank j) to m; returns
    the name of each of its steps, in order (a message's step is its index there)."""
    p = len(ranks)
    delay = delay or [0] * p
    phases = []
    if kind == "all_to_all_v":
        _all_to_all_v(m, ranks, sizes, delay, phases)
    elif kind == "all_to_all" or algorithm == "direct":
        _direct(m, kind, ranks, size, delay, phases)
    elif algorithm == "ring":
        if kind == "all_reduce":
            steps, chunk = 2 * (p - 1), chunks(size, p)
        else:
            steps, chunk = p - 1, chunks(size, p)
        _ring(m, ranks, steps, chunk, delay, [None] * p, 0, phases, kind)
    elif algorithm == "halving_doubling":
        _halving_doubling(m, kind, ranks, size, delay, phases)
    else:
        if kind != "all_reduce":
            raise FabricError(f"traffic.algorithm: {algorithm} is an all_reduce algorithm, not {kind}")
        if algorithm == "hierarchical":
            _hierarchical(m, ranks, size, delay, group, phases)
        else:
            _double_binary_tree(m, ranks, size, delay, segments, phases)
    return phases


def message_count(kind: str, algorithm: str, p: int, segments: int = 8) -> int:
    """About how many messages add_collective makes (at most), before making them."""
    import math

    rounds = 2 if kind == "all_reduce" else 1
    if kind in ("all_to_all", "all_to_all_v") or algorithm == "direct":
        return rounds * p * (p - 1)
    if algorithm == "ring":
        return rounds * p * (p - 1)
    if algorithm == "hierarchical":
        return 4 * p * math.isqrt(p)
    if algorithm == "halving_doubling":
        return rounds * p * (math.ceil(math.log2(p)) + 2)
    return 4 * p * segments


def chunks(size: int, parts: int) -> list:
    """size flits in parts pieces, as even as integers allow."""
    return [size // parts + (1 if i < size % parts else 0) for i in range(parts)]


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


def _halving_doubling(m, kind, ranks, size, delay, phases):
    """Recursive halving and doubling over the 2^k ranks left after folding (see the module's notes).
    Virtual rank v stands for the ranks in `members[v]`, whose blocks (size / p each) it ends up with."""
    p = len(ranks)
    k = p.bit_length() - 1
    q, r = 1 << k, p - (1 << k)
    members = [[2 * i, 2 * i + 1] for i in range(r)] + [[i] for i in range(2 * r, p)]
    # the blocks the halving splits: each rank's own (reduce_scatter's result, all_gather's input), or for
    # all_reduce, whose blocks are only a means, size / 2^k for each rank that takes part in the halving
    block = chunks(size, p) if kind != "all_reduce" else [0] * p
    if kind == "all_reduce":
        for v, part in enumerate(chunks(size, q)):
            block[members[v][-1]] = part
    acting = [ms[-1] for ms in members]                 # the rank that acts for v
    held = [None] * p                                   # the message each rank last received
    sent = [None] * p                                   # and last sent

    def exchange(sends, phase):
        """One step: each (src, dst, flits) waits for what src received in the steps before and its own
        previous send."""
        step = len(phases)
        new = [(src, dst, m.add(ranks[src], ranks[dst], flits, delay[src],
                                [d for d in (held[src], sent[src]) if d is not None], step))
               for src, dst, flits in sends]
        for src, dst, msg in new:
            sent[src] = held[dst] = msg
        phases.append(phase)

    prefix = [0]
    for ms in members:
        prefix.append(prefix[-1] + sum(block[i] for i in ms))

    def owned(lo, hi):
        """Flits of the blocks of virtual ranks lo .. hi-1."""
        return prefix[hi] - prefix[lo]

    if r:           # fold: the even rank of each pair hands its data to the odd one
        exchange([(2 * i, 2 * i + 1, size if kind != "all_gather" else block[2 * i]) for i in range(r)], "fold")
    d = q // 2
    while d and kind in ("all_reduce", "reduce_scatter"):
        # recursive halving: v keeps the half of its group on its side of bit d, and sends the other
        exchange([(acting[v], acting[v ^ d], owned((v ^ d) & ~(d - 1), ((v ^ d) & ~(d - 1)) + d)) for v in range(q)],
                 "reduce_scatter (halving)")
        d //= 2
    d = 1
    while d < q and kind in ("all_reduce", "all_gather"):
        # recursive doubling: v sends all it holds, the blocks of its group of d
        exchange([(acting[v], acting[v ^ d], owned(v // d * d, v // d * d + d)) for v in range(q)],
                 "all_gather (doubling)")
        d *= 2
    if r:           # unfold: the odd rank hands the result back
        exchange([(2 * i + 1, 2 * i, block[2 * i] if kind == "reduce_scatter" else size) for i in range(r)],
                 "unfold")


def binary_tree(n: int, rank: int) -> tuple:
    """(parent, children) of `rank` in NCCL's binary tree over ranks 0..n-1 (root 0; inner nodes at
    even ranks, leaves at odd ones): a rank's lowest set bit b gives its parent (rank ^ b) | 2b, or
    rank ^ b past the end, and its children rank -+ b/2 (the second moved in while past the end)."""
    bit = 1
    while bit < n and not bit & rank:
        bit <<= 1
    if rank == 0:
        return -1, ([bit >> 1] if n > 1 else [])
    parent = (rank ^ bit) | (bit << 1)
    if parent >= n:
        parent = rank ^ bit
    low = bit >> 1
    children = [rank - low] if low else []
    while low and rank + low >= n:
        low >>= 1
    if low:
        children.append(rank + low)
    return parent, children


def double_tree(n: int) -> list:
    """The two trees of NCCL's double binary tree, each as per-rank (parent, children)."""
    first = [binary_tree(n, r) for r in range(n)]
    if n % 2:       # shifted by one
        moved = [binary_tree(n, (r - 1) % n) for r in range(n)]
        second = [((u + 1) % n if u >= 0 else -1, [(c + 1) % n for c in cs]) for u, cs in moved]
    else:           # mirrored
        moved = [binary_tree(n, n - 1 - r) for r in range(n)]
        second = [(n - 1 - u if u >= 0 else -1, [n - 1 - c for c in cs]) for u, cs in moved]
    return [first, second]


def _double_binary_tree(m, ranks, size, delay, segments, phases):
    """Each tree reduces its half up to its root and broadcasts it back down, segment by segment: a
    rank sends segment s up once it has it from all its children, and down once it has it from above;
    each link of a tree carries its segments in order."""
    p = len(ranks)
    for tree, half in zip(double_tree(p), chunks(size, 2)):
        pieces = [x for x in chunks(half, min(segments, max(half, 1))) if x]
        up = [[None] * len(pieces) for _ in range(p)]       # message rank r sent up with segment s
        down = {}                                           # (rank, s): the message that brought s down
        order = _bottom_up(tree)
        last_up = [None] * p
        for r in order:                                     # reduce: children before parents
            parent, children = tree[r]
            if parent < 0:
                continue
            for s, flits in enumerate(pieces):
                deps = [up[c][s] for c in children] + ([last_up[r]] if last_up[r] is not None else [])
                up[r][s] = last_up[r] = m.add(ranks[r], ranks[parent], flits, delay[r], deps, 0)
        for r in reversed(order):                           # broadcast: parents before children
            parent, children = tree[r]
            for c in children:
                previous = None
                for s, flits in enumerate(pieces):
                    if parent < 0:      # the root has segment s once every child has sent it up
                        deps = [up[x][s] for x in children]
                    else:
                        deps = [down[r, s]]
                    if previous is not None:
                        deps.append(previous)
                    previous = down[c, s] = m.add(ranks[r], ranks[c], flits, delay[r], deps, 1)
    phases += ["reduce (trees)", "broadcast (trees)"]


def _bottom_up(tree):
    """The ranks of a tree, every child before its parent."""
    root = next(r for r, (parent, _) in enumerate(tree) if parent < 0)
    order, stack = [], [root]
    while stack:
        r = stack.pop()
        order.append(r)
        stack.extend(tree[r][1])
    return order[::-1]


def _all_to_all_v(m, ranks, sizes, delay, phases):
    """Rank i sends sizes[i][j] flits to rank j (none where that is 0), each rank its messages to
    i + 1, i + 2, ... in turn, all at once."""
    p = len(ranks)
    for i in range(p):
        for shift in range(1, p):
            j = (i + shift) % p
            if sizes[i][j] > 0:
                m.add(ranks[i], ranks[j], int(sizes[i][j]), delay[i], (), 0)
    phases.append("all_to_all_v")
