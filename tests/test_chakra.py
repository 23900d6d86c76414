"""Chakra execution traces (traffic.pattern = "chakra"): ASTRA-sim's example traces replayed flit by flit,
their completion against the alpha-beta time, the units (link.flit_bytes, sim.clock_ghz), and traces
made here to check each rule of the replay."""
from pathlib import Path

import pytest

pytest.importorskip("google.protobuf")

import fabric
from fabric.bounds import zero_load_latency
from fabric.errors import FabricError
from fabric.traffic._chakra_format import write_file

DATA = Path(__file__).resolve().parent / "data" / "chakra"
MICROBENCHMARKS = sorted(p.relative_to(DATA).as_posix() for p in DATA.glob("*/*npus_1MB"))
CUSTOM_RING = "custom_ring_allreduce_8npus_1MB"
PACKET = 16


def run(trace, topology=None, **sections):
    spec = {"topology": topology or {"kind": "clos", "levels": 1, "radix": 16},
            "traffic": {"pattern": "chakra", "file": str(trace), "packet_size": PACKET}}
    for key, table in sections.items():
        spec[key] = {**spec.get(key, {}), **table}
    return fabric.simulate(spec, progress=False).to_dict()


def step_cycles(flits, t0):
    """A message of `flits` flits in back-to-back packets of PACKET flits: the last tail arrives one zero-load
    packet latency after the last packet's head could leave, (flits - PACKET) cycles after the first."""
    return flits + t0 - PACKET


def test_every_file_is_here():
    assert len(MICROBENCHMARKS) == 12            # 4 collectives x 4, 8 and 16 ranks
    assert (DATA / CUSTOM_RING).is_dir()


@pytest.mark.parametrize("folder", MICROBENCHMARKS)
def test_each_microbenchmark_runs_and_takes_its_closed_form_time(folder):
    """One COMM_COLL_NODE per rank, 1 MiB: on one switch nothing contends, so each ring step (or the
    direct all-to-all's p-1 chunks from each rank) takes its serialization plus one packet's latency."""
    kind, size = folder.split("/")[0], folder.split("/")[1]
    p = int(size.split("npus")[0])
    r = run(DATA / folder)
    w = r["workload"]
    assert r["status"] == "ok" and w["ranks"] == p and w["nodes"] == {"COMM_COLL_NODE": p}
    chunk = 1048576 // 16 // p
    per_step = step_cycles(chunk, 2 + 4 + 1 + PACKET - 1)
    expected = {"all_reduce": 2 * (p - 1) * per_step, "all_gather": (p - 1) * per_step,
                "reduce_scatter": (p - 1) * per_step, "all_to_all": step_cycles((p - 1) * chunk, 22)}[kind]
    assert w["completion_cycles"] == expected
    (c,) = w["collectives"]
    assert (c["collective"], c["bytes"], c["size_flits"]) == (kind, 1048576, 65536)
    assert c["finish_cycles"] == expected and w["rank_finish_cycles"] == [expected] * p
    assert w["completion_seconds"] == pytest.approx(expected * 1e-9)
    assert c["algorithm_bandwidth_gbps"] == pytest.approx(1048576 / (expected * 1e-9) / 1e9, rel=1e-5)


@pytest.mark.parametrize("topology, hops", [({"kind": "clos", "levels": 1, "radix": 8}, 0),
                                            ({"kind": "torus", "dims": [8]}, 1)])
@pytest.mark.parametrize("packet", [16, 64])
def test_an_uncongested_ring_all_reduce_takes_the_alpha_beta_time(topology, hops, packet):
    """2(N-1)/N S/B plus 2(N-1) latency terms, B one flit a cycle (the spec's link) and each step's latency
    the zero-load latency of a packet over the step's hops (fabric.bounds, from the spec's pipeline and
    link latency), less its own serialization."""
    spec = {"topology": topology, "traffic": {"pattern": "chakra", "file": str(DATA / "all_reduce/8npus_1MB"),
                                              "packet_size": packet}}
    r = fabric.simulate(spec, progress=False).to_dict()
    n, s = 8, 1048576 // r["spec"]["link"]["flit_bytes"]
    from fabric.build import build_network, link_settings

    net = build_network(r["spec"])
    latency, cpf = link_settings(net, r["spec"]["link"])
    t0 = zero_load_latency(r["spec"], net, latency, cpf, hops, packet)
    alpha_beta = 2 * (n - 1) / n * s / 1 + 2 * (n - 1) * (t0 - packet)
    assert r["workload"]["completion_cycles"] == pytest.approx(alpha_beta, rel=0.05)
    assert abs(r["workload"]["completion_cycles"] - alpha_beta) <= 2 * (n - 1)     # in fact within a cycle a step


def test_the_custom_ring_replays_sends_receives_and_compute():
    """14 sends and receives of 131,072 bytes and 7 reductions of 7 us per rank, chained: 14 steps of
    8,192 flits and 7 x 7,000 cycles at 1 GHz."""
    r = run(DATA / CUSTOM_RING, {"kind": "clos", "levels": 1, "radix": 8})
    w = r["workload"]
    assert w["nodes"] == {"COMM_RECV_NODE": 112, "COMM_SEND_NODE": 112, "COMP_NODE": 56}
    assert w["messages"]["count"] == 112 and w["messages"]["done"] == 112
    assert w["completion_cycles"] == 14 * step_cycles(8192, 22) + 7 * 7000
    assert w["collectives"] == []


@pytest.mark.parametrize("flit_bytes, clock_ghz", [(32, 1.0), (16, 2.0), (64, 0.5)])
def test_bytes_and_microseconds_follow_the_units(flit_bytes, clock_ghz):
    r = run(DATA / CUSTOM_RING, {"kind": "clos", "levels": 1, "radix": 8},
            link={"flit_bytes": flit_bytes}, sim={"clock_ghz": clock_ghz})
    w = r["workload"]
    assert w["completion_cycles"] == 14 * step_cycles(131072 // flit_bytes, 22) + 7 * round(7000 * clock_ghz)
    assert w["completion_seconds"] == pytest.approx(w["completion_cycles"] / (clock_ghz * 1e9))


def test_a_prefix_names_the_same_trace_as_its_folder():
    a = run(DATA / "all_gather/4npus_1MB")
    b = run(DATA / "all_gather/4npus_1MB/all_gather")
    assert a["workload"]["completion_cycles"] == b["workload"]["completion_cycles"]


def test_ranks_can_be_placed_on_any_endpoints():
    """On one switch every placement is the same: the ranks on endpoints 15..8 finish as on 0..7."""
    a = run(DATA / "all_reduce/8npus_1MB")
    b = run(DATA / "all_reduce/8npus_1MB", traffic={"ranks_list": list(range(15, 7, -1))})
    assert a["workload"]["completion_cycles"] == b["workload"]["completion_cycles"]


def test_the_replay_is_deterministic():
    a = run(DATA / "all_to_all/16npus_1MB", {"kind": "mesh", "dims": [4, 4]})
    b = run(DATA / "all_to_all/16npus_1MB", {"kind": "mesh", "dims": [4, 4]})
    a.pop("timing"), b.pop("timing")
    assert a == b


# ----------------------------------------------------------------------------------- traces made here

def send(i, dst, size=1600, tag=0, deps=()):
    return {"id": i, "name": f"send{i}", "type": "COMM_SEND_NODE", "deps": list(deps),
            "attrs": {"comm_dst": dst, "comm_size": size, "comm_tag": tag}}


def recv(i, src, size=1600, tag=0, deps=()):
    return {"id": i, "name": f"recv{i}", "type": "COMM_RECV_NODE", "deps": list(deps),
            "attrs": {"comm_src": src, "comm_size": size, "comm_tag": tag}}


def comp(i, micros, deps=()):
    return {"id": i, "name": f"comp{i}", "type": "COMP_NODE", "duration_micros": micros, "deps": list(deps)}


def write_trace(folder, ranks, name="t"):
    folder.mkdir(exist_ok=True)
    for r, nodes in enumerate(ranks):
        write_file(str(folder / f"{name}.{r}.et"), nodes)
    return folder


def test_a_receive_waits_for_its_own_dependencies_and_for_the_message(tmp_path):
    """Rank 1 receives only after 3 us of compute; the message (100 flits) arrived long before."""
    trace = write_trace(tmp_path / "t", [[send(0, 1)], [comp(0, 3), recv(1, 0, deps=[0])]])
    w = run(trace, {"kind": "clos", "levels": 1, "radix": 4})["workload"]
    assert w["completion_cycles"] == 3000
    assert w["rank_finish_cycles"] == [step_cycles(100, 22), 3000]


def test_tags_and_order_match_sends_to_receives(tmp_path):
    """Two sends from 0 to 1 with tags 7 and 9; rank 1 receives tag 9 first, then does 1 us of compute
    before receiving tag 7: the receive of tag 9 waits only for the second message."""
    trace = write_trace(tmp_path / "t", [[send(0, 1, 1600, 7), send(1, 1, 3200, 9, deps=[0])],
                                         [recv(0, 0, 3200, 9), comp(1, 1, deps=[0]), recv(2, 0, 1600, 7, deps=[1])]])
    w = run(trace, {"kind": "clos", "levels": 1, "radix": 4})["workload"]
    first = step_cycles(100, 22)
    second = first + step_cycles(200, 22)
    assert w["rank_finish_cycles"] == [second, second + 1000]


def test_a_node_may_depend_on_a_later_node_of_its_file(tmp_path):
    trace = write_trace(tmp_path / "t", [[comp(0, 2, deps=[1]), comp(1, 1)], [comp(0, 1)]])
    w = run(trace, {"kind": "clos", "levels": 1, "radix": 4})["workload"]
    assert w["rank_finish_cycles"] == [3000, 1000] and w["messages"]["count"] == 0


# Hostile traces: each is refused before the run with one message naming the file and the node.
HOSTILE = {
    "a send without its receive": ([[send(0, 1)], [comp(0, 1)]],
                                   "t.0.et: node 0 (send0): sends to rank 1 with tag 0, and no receive of t.1.et"),
    "a receive without its send": ([[comp(0, 1)], [recv(0, 0)]],
                                   "t.1.et: node 0 (recv0): receives from rank 0 with tag 0, and no send of t.0.et"),
    "mismatched sizes": ([[send(0, 1, 1600)], [recv(0, 0, 800)]],
                         "t.1.et: node 0 (recv0): receives 800 bytes, and the send it matches (node 0 of t.0.et) "
                         "sends 1600"),
    "mismatched tags": ([[send(0, 1, tag=1)], [recv(0, 0, tag=2)]], "receives from rank 0 with tag 2"),
    "a rank outside the trace": ([[send(0, 5)], [comp(0, 1)]],
                                 "t.0.et: node 0 (send0): comm_dst 5 is not a rank of the trace (0 to 1)"),
    "a dependency on a missing node": ([[comp(0, 1, deps=[42])], [comp(0, 1)]],
                                       "t.0.et: node 0 (comp0): depends on node 42, which the file does not hold"),
    "a cycle within a rank": ([[comp(0, 1, deps=[1]), comp(1, 1, deps=[0])], [comp(0, 1)]],
                              "t.0.et: node 0 (comp0): is on a cycle of dependencies"),
    "a cycle across ranks": ([[recv(0, 1), send(1, 1, deps=[0])], [recv(0, 0), send(1, 0, deps=[0])]],
                             "is on a cycle of dependencies"),
    "a duplicate node id": ([[comp(0, 1), comp(0, 2)], [comp(0, 1)]], "t.0.et: node 0 (comp0): a second node with id 0"),
    "collectives that differ": ([[{"id": 0, "name": "c", "type": "COMM_COLL_NODE",
                                   "attrs": {"comm_type": 0, "comm_size": 64}}],
                                 [{"id": 0, "name": "c", "type": "COMM_COLL_NODE",
                                   "attrs": {"comm_type": 2, "comm_size": 64}}]],
                                "t.1.et: node 0 (c): collective #0 is ALL_GATHER of 64 bytes here, ALL_REDUCE"),
    "an unsupported collective": ([[{"id": 0, "name": "c", "type": "COMM_COLL_NODE",
                                     "attrs": {"comm_type": 9, "comm_size": 0}}]] * 2,
                                  "the collective BARRIER is not supported"),
    "a send without a size": ([[{"id": 0, "name": "s", "type": "COMM_SEND_NODE", "attrs": {"comm_dst": 1}}],
                               [recv(0, 0)]], "t.0.et: node 0 (s): needs the attribute comm_size"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_traces_are_refused_naming_the_file_and_node(tmp_path, case):
    ranks, expected = HOSTILE[case]
    trace = write_trace(tmp_path / "t", ranks)
    with pytest.raises(FabricError, match=None) as error:
        run(trace, {"kind": "clos", "levels": 1, "radix": 4})
    assert expected in str(error.value)


def test_a_truncated_file_is_refused(tmp_path):
    trace = write_trace(tmp_path / "t", [[send(0, 1)], [recv(0, 0)]])
    data = (trace / "t.1.et").read_bytes()
    (trace / "t.1.et").write_bytes(data[:-5])
    with pytest.raises(FabricError, match=r"t\.1\.et: truncated: node #0 at byte \d+ is \d+ bytes long"):
        run(trace, {"kind": "clos", "levels": 1, "radix": 4})


def test_a_file_that_is_not_a_trace_is_refused(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "t.0.et").write_bytes(b"\x05\xff\xff\xff\xff\xff")
    with pytest.raises(FabricError, match=r"t\.0\.et: malformed the GlobalMetadata at byte 0"):
        run(folder, {"kind": "clos", "levels": 1, "radix": 4})


@pytest.mark.parametrize("files, expected", [
    (["t.0.et", "t.2.et"], "ranks 0 to 2 need a file each; t.1.et is missing"),
    (["a.0.et", "b.0.et"], "a folder of one trace's NAME.RANK.et files is needed (names found: a, b)"),
    ([], "names found: none"),
])
def test_the_files_of_a_trace_must_be_whole(tmp_path, files, expected):
    folder = tmp_path / "t"
    folder.mkdir()
    for f in files:
        write_file(str(folder / f), [comp(0, 1)])
    with pytest.raises(FabricError, match=None) as error:
        run(folder)
    assert expected in str(error.value)


def test_more_ranks_than_endpoints_is_refused():
    with pytest.raises(FabricError, match="the trace has 16 ranks, the network 8 endpoints"):
        run(DATA / "all_reduce/16npus_1MB", {"kind": "clos", "levels": 1, "radix": 8})


def test_a_rank_joins_a_collective_when_its_own_dependencies_are_done(tmp_path):
    """Rank 0 computes for 2 us before its all-reduce; the others start at once. A ring all-reduce is a
    chain through every rank, so it ends 2(p-1) steps after rank 0 joins; afterwards each rank's next node
    (1 us of compute) waits for its part of the collective."""
    coll = {"id": 1, "name": "ar", "type": "COMM_COLL_NODE", "attrs": {"comm_type": 0, "comm_size": 6400}}
    ranks = [[comp(0, 2), {**coll, "deps": [0]}, comp(2, 1, deps=[1])]] + \
        [[comp(0, 0), {**coll, "deps": [0]}, comp(2, 1, deps=[1])] for _ in range(3)]
    w = run(write_trace(tmp_path / "t", ranks), {"kind": "clos", "levels": 1, "radix": 4})["workload"]
    (c,) = w["collectives"]
    assert (c["start_cycles"], c["finish_cycles"]) == (0, 2000 + 6 * step_cycles(100, 22))
    assert max(w["rank_finish_cycles"]) == c["finish_cycles"] + 1000
