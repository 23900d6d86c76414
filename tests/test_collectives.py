"""The collectives training uses: halving-doubling, the double binary tree, all_to_all_v and the hierarchical
all-reduce grouped by router; every algorithm's dependencies carry every rank's data where it must go."""
import math

import numpy as np
import pytest

import fabric
from fabric.errors import FabricError
from fabric.traffic._collectives import add_collective, binary_tree, double_tree
from fabric.traffic._messages import Messages

SWITCH = {"kind": "clos", "levels": 1, "radix": 16}


def run(topology=SWITCH, **traffic):
    spec = {"topology": topology, "traffic": {"pattern": "collective", "packet_size": 16, **traffic}}
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok"
    return r


def knowledge(m: Messages, p: int) -> list:
    """Per rank, the ranks whose data can have reached it by the end: a message carries its sender's own
    data and all the sender had received in messages that finished before it was sent (its ancestors
    in the dependencies that end at the sender). Bit sets over ranks (endpoints 0..p-1)."""
    carry = [0] * len(m)
    ancestors = [0] * len(m)                # bit set over messages (ids increase along dependencies)
    for i in range(len(m)):
        anc = 0
        for d in m.deps[i]:
            anc |= ancestors[d] | (1 << d)
        ancestors[i] = anc
        got = 1 << m.src[i]
        a = anc
        while a:
            d = (a & -a).bit_length() - 1
            a &= a - 1
            if m.dest[i] != m.src[i] and m.dest[d] == m.src[i]:
                got |= carry[d]
        carry[i] = got
    know = [1 << r for r in range(p)]
    for i in range(len(m)):
        know[m.dest[i]] |= carry[i]
    return know


@pytest.mark.parametrize("kind, algorithm", [("all_reduce", "ring"), ("all_reduce", "direct"),
                                             ("all_reduce", "halving_doubling"), ("all_reduce", "double_binary_tree"),
                                             ("all_reduce", "hierarchical"), ("all_gather", "halving_doubling"),
                                             ("reduce_scatter", "halving_doubling"), ("all_gather", "ring")])
@pytest.mark.parametrize("p", [2, 3, 4, 5, 6, 7, 8, 12, 13, 16])
def test_every_rank_ends_with_every_ranks_data(kind, algorithm, p):
    if algorithm == "hierarchical" and (p < 4 or all(p % g for g in range(2, p // 2 + 1))):
        pytest.skip("hierarchical needs two groups of two")
    m = Messages()
    add_collective(m, kind, algorithm, list(range(p)), 64 * p)
    assert all(d < i for i, deps in enumerate(m.deps) for d in deps)
    assert knowledge(m, p) == [(1 << p) - 1] * p


def test_a_missing_dependency_is_caught_by_the_knowledge_check():
    """(An all-gather carries data unreduced, so a send that goes before its data arrived leaves a rank
    without some blocks; an all-reduce's reduce-scatter spreads every rank's influence early, so there the
    check is weaker.)"""
    m = Messages()
    add_collective(m, "all_gather", "halving_doubling", list(range(8)), 512)
    m.deps[-1] = ()
    assert knowledge(m, 8) != [255] * 8


@pytest.mark.parametrize("kind, rounds", [("all_reduce", 2), ("all_gather", 1), ("reduce_scatter", 1)])
@pytest.mark.parametrize("p", [8, 16])
def test_halving_doubling_takes_the_bandwidth_optimal_time(kind, rounds, p):
    """A power of two ranks on one switch: log2 p steps each way, the amount halving from S/2 (or doubling
    to S/2), pairs disjoint so nothing contends: rounds x (S (1 - 1/p) + log2 p x the per-message latency)."""
    size = 4096
    w = run(collective=kind, algorithm="halving_doubling", size=size, ranks=f"0:{p}")["workload"]
    latency = 2 + 4 + 1 - 1         # injection, one router's stages, ejection: a packet's latency less its flits
    assert w["completion_cycles"] == rounds * (size - size // p + int(math.log2(p)) * latency)
    assert len(w["steps"]) == rounds * int(math.log2(p))
    assert w["messages"]["count"] == rounds * p * int(math.log2(p))


def test_halving_doubling_folds_ranks_past_a_power_of_two():
    """12 ranks: the first 8 fold in pairs into 4, 8 take part in the halving and doubling, then unfold:
    each step's flits, summed, are the fold's and unfold's S per pair and the power-of-two volume."""
    m = Messages()
    phases = add_collective(m, "all_reduce", "halving_doubling", list(range(12)), 4096)
    assert phases == ["fold"] + ["reduce_scatter (halving)"] * 3 + ["all_gather (doubling)"] * 3 + ["unfold"]
    flits = np.asarray(m.flits)
    step = np.asarray(m.step)
    assert flits[step == 0].tolist() == [4096] * 4 and flits[step == 7].tolist() == [4096] * 4
    assert flits[(step > 0) & (step < 7)].sum() == 2 * 8 * (4096 - 4096 // 8)


def test_the_binary_tree_is_ncclS():
    """NCCL's picture (src/graph/trees.cc) of its tree over 14 ranks: 0 -> 8; 8 -> 4, 12; 4 -> 2, 6;
    12 -> 10, 13; 2 -> 1, 3; 6 -> 5, 7; 10 -> 9, 11; the odd ranks are leaves."""
    tree = {r: binary_tree(14, r) for r in range(14)}
    assert tree[0] == (-1, [8]) and tree[8] == (0, [4, 12]) and tree[4] == (8, [2, 6])
    assert tree[12] == (8, [10, 13]) and tree[13] == (12, []) and tree[10] == (12, [9, 11])
    assert all(tree[r][1] == [] for r in range(1, 14, 2))


@pytest.mark.parametrize("n", range(2, 40))
def test_the_double_tree_spans_all_ranks_and_no_rank_is_inner_in_both(n):
    inner = []
    for tree in double_tree(n):
        roots = [r for r, (parent, _) in enumerate(tree) if parent < 0]
        assert len(roots) == 1
        assert sum(len(children) for _, children in tree) == n - 1
        assert all(tree[c][0] == r for r, (_, children) in enumerate(tree) for c in children)
        inner.append({r for r, (_, children) in enumerate(tree) if children})
    # (NCCL's shift for odd n leaves rank 0 inner in both: the first tree's root, the second's image of n - 1)
    assert len(inner[0] & inner[1]) <= (n % 2 and n > 2)


def test_the_double_binary_tree_moves_2_s_out_of_and_into_every_rank():
    """Each tree carries half of S; a rank sends its half up once and down to each child: in both trees
    together every rank sends and receives about S (1 - 1/p) x 2 flits, as a ring does."""
    r = run(algorithm="double_binary_tree", size=4096, ranks="0:16", segments=16)
    assert r["flits"]["delivered"] == 2 * 2048 * 2 * 15
    w = r["workload"]
    assert w["completion_cycles"] >= 2 * 4096 * 15 / 16
    assert [s["phase"] for s in w["steps"]] == ["reduce (trees)", "broadcast (trees)"]


def test_all_to_all_v_without_skew_is_the_all_to_all():
    even = run(collective="all_to_all_v", size=4096)["workload"]
    plain = run(collective="all_to_all", size=4096, ranks="0:16")["workload"]
    assert even["completion_cycles"] == plain["completion_cycles"]
    assert even["messages"]["count"] == 16 * 15


@pytest.mark.parametrize("skew", [0.5, 1.0, 2.0])
def test_skewed_experts_are_bound_by_the_hot_ranks_ejection(skew):
    """Rank j receives in proportion to (j + 1)^-skew, so rank 0 receives the most and its ejection channel
    (one flit a cycle) bounds the completion from below. The sources send in turn (i + 1, i + 2, ...),
    from one queue each: a source's packets for rank 0, held back by its busy channel, hold back the
    source's next messages too, and rank 0's channel idles at times (measured: 1.6 times the bound at
    skew 1)."""
    from fabric.traffic.collective import pair_sizes

    sizes = pair_sizes({"file": "", "skew": skew, "size": 4096}, 16)
    # a rank's own share (what every other rank sends it) stays local: the rest of its `size` is sent
    own = [sizes[(i + 1) % 16, i] for i in range(16)]
    assert (sizes.sum(axis=1) + own == 4096).all() and (np.diag(sizes) == 0).all()
    assert (np.diff(sizes[15, :15]) <= 0).all()           # rank 15 sends most to rank 0, least to rank 14
    w = run(collective="all_to_all_v", size=4096, skew=skew)["workload"]
    hot = int(sizes[:, 0].sum())
    assert hot <= w["completion_cycles"] <= 2 * hot


def test_all_to_all_v_from_a_matrix_file(tmp_path):
    rows = [[0, 10, 0, 5], [1, 0, 1, 1], [0, 0, 0, 300], [7, 7, 7, 0]]
    (tmp_path / "m.csv").write_text("\n".join(",".join(map(str, row)) for row in rows) + "\n")
    r = run({"kind": "clos", "levels": 1, "radix": 4}, collective="all_to_all_v", file=str(tmp_path / "m.csv"))
    w = r["workload"]
    assert w["messages"]["count"] == 9 and r["flits"]["delivered"] == sum(map(sum, rows))
    assert w["size_flits"] == 300


def test_all_to_all_v_needs_whole_flits(tmp_path):
    (tmp_path / "m.csv").write_text("0,1.5\n1,0\n")
    with pytest.raises(FabricError, match="all_to_all_v needs whole numbers of flits"):
        run({"kind": "clos", "levels": 1, "radix": 2}, collective="all_to_all_v", file=str(tmp_path / "m.csv"))


def test_hierarchical_groups_by_leaf_switch():
    """A two-level Clos of radix 8: 4 endpoints under each of 8 leaves; group_by router makes the groups the
    leaves, so the in-group rings stay under a leaf and only the cross-group ring crosses the spines."""
    clos = {"kind": "clos", "radix": 8}
    w = run(clos, algorithm="hierarchical", group_by="router", size=4096)["workload"]
    assert w["group"] == 4
    by_count = run(clos, algorithm="hierarchical", group=4, size=4096)["workload"]
    assert by_count["completion_cycles"] == w["completion_cycles"]
    with pytest.raises(FabricError, match='group_by: "router" needs each router\'s ranks consecutive'):
        run(clos, algorithm="hierarchical", group_by="router", ranks_list=[0, 4, 1, 5, 2, 6, 3, 7])


def test_too_many_messages_names_the_algorithms_that_scale():
    with pytest.raises(FabricError, match="halving_doubling and double_binary_tree make"):
        run({"kind": "clos", "radix": 176, "endpoints": 15488}, size=65536)


@pytest.mark.slow
def test_an_all_reduce_over_every_endpoint_of_clos15488_finishes():
    """1 MiB per rank over 15,488 ranks by halving and doubling, 256-byte flits (docs/workloads.md gives
    the time it took: about 25 s here)."""
    from conftest import ROOT

    spec = fabric.load_spec(str(ROOT / "topologies" / "clos15488_oq.toml"),
                            ["traffic.pattern=collective", "traffic.algorithm=halving_doubling", "traffic.size=4096",
                             "traffic.packet_size=16", "link.flit_bytes=256"])
    r = fabric.simulate(spec, progress=False).to_dict()
    w = r["workload"]
    assert r["status"] == "ok" and w["messages"]["done"] == w["messages"]["count"] == 227_584
    # the fold and unfold move a whole buffer per pair (7,296 pairs); each of the 8,192 ranks left sends all
    # but its own block twice (the blocks of 4,096 flits over 8,192 ranks: half 1 flit, half none)
    assert r["flits"]["delivered"] == 2 * 7296 * 4096 + 2 * (8192 * 4096 - 4096)
    assert w["completion_cycles"] >= 4 * 4096 - 2 * 4096 // 8192
