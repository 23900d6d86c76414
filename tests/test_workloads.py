"""Closed-loop workloads: collectives and trace replay."""
import json
import random

import pytest

import fabric
from fabric.errors import FabricError
from fabric.spec import resolve_spec


def collective(kind="all_reduce", algorithm="ring", size=400, dims=(4, 4), topology="mesh", **traffic):
    return {"topology": {"kind": topology, "dims": list(dims)}, "router": {"vcs": 4},
            "traffic": {"pattern": "collective", "collective": kind, "algorithm": algorithm, "size": size,
                        "packet_size": 4, **traffic}}


def run(spec):
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] == "ok", r["saturation_reasons"]
    return r


def test_ring_all_reduce_meets_the_alpha_beta_estimate():
    # 8 ranks on a ring (a 1-D torus), one hop per step, nothing else in the network
    p, size = 8, 800
    spec = collective(size=size, dims=(p,), topology="torus")
    resolved = resolve_spec(spec)
    r, link = resolved["router"], resolved["link"]
    # alpha: one message's first flit over one hop: injection (2), two routers' pipelines, the link,
    # ejection (1); B: one flit per cycle per link
    alpha = 2 + 2 * (r["routing_delay"] + r["vc_alloc_delay"] + r["sw_alloc_delay"] + r["st_delay"]) + \
        link["latency"] + 1
    bandwidth = 1 / link["cycles_per_flit"]
    estimate = 2 * (p - 1) * alpha + 2 * (p - 1) / p * size / bandwidth
    w = run(spec)["workload"]
    assert w["completion_cycles"] == pytest.approx(estimate, rel=0.10)
    assert len(w["steps"]) == 2 * (p - 1)
    assert w["algorithm_bandwidth"] == pytest.approx(size / w["completion_cycles"], rel=1e-4)
    assert w["bus_bandwidth"] == pytest.approx(w["algorithm_bandwidth"] * 2 * (p - 1) / p, rel=1e-4)


@pytest.mark.parametrize("kind, algorithm, messages", [
    ("all_reduce", "ring", 2 * 15 * 16),
    ("all_reduce", "direct", 2 * 16 * 15),
    ("all_reduce", "hierarchical", 16 * 3 + 16 * 6 + 16 * 3),   # 4 groups of 4: in, across, in
    ("all_gather", "ring", 15 * 16),
    ("reduce_scatter", "direct", 16 * 15),
    ("all_to_all", "direct", 16 * 15),
])
def test_every_collective_completes_and_moves_its_data(kind, algorithm, messages):
    r = run(collective(kind, algorithm, size=320))
    w = r["workload"]
    assert w["messages"]["count"] == w["messages"]["done"] == messages
    assert w["completion_cycles"] > 0 and w["steps"][-1]["finish"] == w["completion_cycles"]
    per_rank = {"all_reduce": 2 * 15 / 16, "all_gather": 15 / 16, "reduce_scatter": 15 / 16, "all_to_all": 15 / 16}
    assert r["flits"]["delivered"] == pytest.approx(16 * 320 * per_rank[kind], abs=16 * 16)


def test_hierarchical_beats_a_long_ring_and_checks_its_groups():
    ring = run(collective("all_reduce", "ring", size=64, dims=(8, 8)))["workload"]["completion_cycles"]
    hier = run(collective("all_reduce", "hierarchical", size=64, dims=(8, 8), group=8))["workload"]
    assert hier["completion_cycles"] < ring          # 4 (8-1) + 2 (8-1) steps instead of 2 (64-1)
    with pytest.raises(FabricError, match="traffic.group: 5 does not divide the 16 ranks"):
        fabric.simulate(collective("all_reduce", "hierarchical", group=5), progress=False)


def test_a_straggler_delays_the_ring_and_is_named():
    # on a ring network every step takes the same time, so a late rank delays every step after it
    base = run(collective(size=160, dims=(8,), topology="torus"))["workload"]
    late = run(collective(size=160, dims=(8,), topology="torus", delays={"5": 400}))["workload"]
    assert late["completion_cycles"] == pytest.approx(base["completion_cycles"] + 400, abs=20)
    assert base["straggler"]["finish"] == base["completion_cycles"]
    assert late["straggler"]["finish"] == late["completion_cycles"]
    assert late["steps"][0]["cycles"] > 400                   # step 0 ends when rank 5's chunk arrives


def test_ranks_subset_and_errors():
    w = run(collective(size=60, ranks="0:16:5"))["workload"]       # ranks 0, 5, 10, 15
    assert (w["ranks"], w["messages"]["count"]) == (4, 2 * 3 * 4)
    with pytest.raises(FabricError, match="traffic.ranks: a collective needs at least 2 ranks"):
        fabric.simulate(collective(ranks="3:4"), progress=False)
    with pytest.raises(FabricError, match="traffic.delays: rank index"):
        fabric.simulate(collective(delays={"99": 5}), progress=False)


def write_trace(path, n=3000, seed=5, endpoints=16):
    rng = random.Random(seed)
    lines = ["cycle,source,destination,size,id,deps"]
    for i in range(n):
        deps = ";".join(f"m{rng.randrange(i)}" for _ in range(rng.randrange(3))) if i else ""
        lines.append(f"{rng.randrange(2000)},{rng.randrange(endpoints)},{rng.randrange(endpoints)},"
                     f"{rng.randrange(1, 9)},m{i},{deps}")
    path.write_text("\n".join(lines) + "\n")


def trace_spec(path):
    return {"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"pattern": "trace", "file": str(path),
                                                                      "packet_size": 4}}


def test_a_trace_of_thousands_replays_deterministically(tmp_path):
    path = tmp_path / "t.csv"
    write_trace(path)
    a, b = run(trace_spec(path)), run(trace_spec(path))
    a.pop("timing"), b.pop("timing")
    assert a == b
    w = a["workload"]
    assert w["messages"]["count"] == w["messages"]["done"] == 3000
    assert w["messages"]["latency"]["max"] <= w["completion_cycles"]


def test_trace_dependencies_hold(tmp_path):
    # b waits for a (64 flits from 0 to 15); c, at cycle 0, does not
    path = tmp_path / "t.csv"
    path.write_text("0,0,15,64,a\n0,15,0,1,b,a\n0,3,4,1,c\n")
    from fabric.build import make_core

    core, _ = make_core(resolve_spec(trace_spec(path)))
    core.run(2000, True)
    release, done = core.messages()
    assert release[1] == done[0] and done[0] > 64      # b leaves the cycle a's last flit lands
    assert release[2] == 0 and done[2] < done[0]


def test_ndjson_trace_equals_csv(tmp_path):
    csv_path, json_path = tmp_path / "t.csv", tmp_path / "t.ndjson"
    csv_path.write_text("0,0,5,8,x\n10,5,0,8,y,x\n")
    json_path.write_text(json.dumps({"cycle": 0, "src": 0, "dst": 5, "size": 8, "id": "x"}) + "\n"
                         + json.dumps({"cycle": 10, "src": 5, "dst": 0, "size": 8, "id": "y", "deps": ["x"]}) + "\n")
    a, b = run(trace_spec(csv_path)), run(trace_spec(json_path))
    assert a["workload"]["completion_cycles"] == b["workload"]["completion_cycles"]
    assert a["workload"]["messages"] == b["workload"]["messages"]


@pytest.mark.parametrize("text, message", [
    ("0,0,1,4\n0,0,x,4\n", "t.csv line 2: cycle, source, destination and size must be integers"),
    ("0,0,1\n", "t.csv line 1: expected cycle,source,destination,size"),
    ("0,0,99,4\n", "t.csv line 1: endpoints are 0 to 15, got 0 -> 99"),
    ("0,0,1,4,a\n0,1,2,4,b,zz\n", "t.csv line 2: depends on 'zz', which no earlier line defines"),
    ("0,0,1,4,a\n0,1,2,4,a\n", "t.csv line 2: id 'a' is used twice"),
    ("0,0,1,0\n", "t.csv line 1: cycle must be >= 0 and size >= 1"),
])
def test_malformed_trace_lines_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(FabricError, match=message):
        fabric.simulate(trace_spec(path), progress=False)


def test_unfinished_workload_is_reported(tmp_path):
    spec = collective(size=4000)
    spec["sim"] = {"max_cycles": 200}
    r = fabric.simulate(spec, progress=False).to_dict()
    # a workload sets its own pace: not finishing is not saturation, and it has no offered load
    assert r["status"] == "unfinished" and r["saturated"] is False and r["saturation_reasons"] == []
    assert r["workload"]["completion_cycles"] is None
    assert "did not finish within sim.max_cycles" in r["workload"]["unfinished"]
    assert r["throughput"]["offered"] is None
    done = fabric.simulate(collective(size=400), progress=False).to_dict()
    assert done["status"] == "ok" and done["throughput"]["offered"] is None and done["throughput"]["created"] > 0


def test_all_to_all_over_every_endpoint_needs_no_message_list():
    # size a multiple of the endpoint count, all ranks, no delays: each source makes its next packet as
    # the last one leaves, so no per-pair message is stored; the same exchange as explicit messages
    compact = run(collective("all_to_all", "direct", size=320))
    explicit = run(collective("all_to_all", "direct", size=320, ranks_list=list(range(16))))
    for r in (compact, explicit):
        w = r["workload"]
        assert w["messages"]["done"] == w["messages"]["count"] == 16 * 15
        assert r["flits"]["delivered"] == 16 * 15 * 20
    c, e = compact["workload"]["completion_cycles"], explicit["workload"]["completion_cycles"]
    assert c == pytest.approx(e, rel=0.25)
    assert compact["workload"]["straggler"]["finish"] == c
    assert compact["workload"]["bus_bandwidth"] == pytest.approx(320 / c * 15 / 16, rel=1e-3)


def test_a_deadlock_is_reported_with_its_cycle_quickly():
    import time

    from conftest import ROOT

    started = time.perf_counter()
    r = fabric.simulate(str(ROOT / "examples" / "deadlock_ring.toml"), progress=False).to_dict()
    assert time.perf_counter() - started < 1.0
    assert r["status"] == "deadlock"
    cycle = r["deadlock"]["cycle"]
    assert len(cycle) >= 2
    routers = {e["router"] for e in cycle}
    assert len(routers) >= 4                       # it goes round the ring
    # the same ring with the per-hop classes (the default) does not deadlock
    spec = resolve_spec({"topology": {"kind": "graph", "file": str(ROOT / "examples" / "ring8.csv")},
                         "router": {"vcs": 4, "vc_buffer": 4}, "routing": {"algorithm": "ecmp"},
                         "traffic": {"injection_rate": 0.9, "packet_size": 8},
                         "sim": {"warmup_cycles": 500, "measure_cycles": 2000, "drain_cycles": 0,
                                 "deadlock_cycles": 200}})
    assert fabric.simulate(spec, progress=False).to_dict()["status"] != "deadlock"


def test_an_incast_that_only_ejects_for_a_while_is_not_a_deadlock(tmp_path):
    # one switch, 71 sources sending 2,000 flits each to endpoint 0: once every flit has entered the
    # switch, the last ~14,000 only leave through the ejection channel, which is movement too
    trace = tmp_path / "incast.csv"
    trace.write_text("".join(f"0,{s},0,2000\n" for s in range(1, 72)))
    r = fabric.simulate({"topology": {"kind": "clos", "levels": 1, "radix": 72, "endpoints": 72},
                         "router": {"vc_buffer": 64}, "traffic": {"pattern": "trace", "file": str(trace)}},
                        progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["workload"]["completion_cycles"] == 142_006        # 142,000 flits one a cycle, plus the path


def test_a_stall_without_a_cycle_of_waiting_vcs_is_an_internal_error(monkeypatch):
    from conftest import ROOT
    from fabric import simulation

    monkeypatch.setattr(simulation, "wait_cycle", lambda core, net: [])
    with pytest.raises(simulation.InvariantError, match="no cycle of waiting VCs"):
        fabric.simulate(str(ROOT / "examples" / "deadlock_ring.toml"), progress=False)


def test_a_missing_trace_file_names_the_spec_and_key(tmp_path):
    from typer.testing import CliRunner

    from fabric.cli import app

    spec = tmp_path / "spec.toml"
    spec.write_text('[topology]\nkind = "mesh"\ndims = [4, 4]\n[traffic]\npattern = "trace"\nfile = "gone.csv"\n')
    res = CliRunner().invoke(app, ["run", str(spec), "--no-progress"])
    assert res.exit_code == 1 and res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"error: {spec}: traffic.file: ") and "gone.csv" in res.stderr
