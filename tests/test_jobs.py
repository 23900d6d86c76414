"""Several jobs on one fabric ([jobs.NAME]): placement, each job's own figures, iterations and start,
open-loop jobs beside closed-loop ones, and the slowdown of sharing (fabric run --isolated)."""
import numpy as np
import pytest

import fabric
from fabric.errors import FabricError
from fabric.isolation import simulate_isolated
from fabric.jobs import place
from fabric.spec import SpecError, resolve_spec

CLOS = {"kind": "clos", "radix": 8}                   # 32 endpoints, 4 under each of 8 leaves, 4 spines
OQ = {"kind": "oq"}


def job(**keys):
    return {"pattern": "collective", "collective": "all_to_all", "size": 2048, "packet_size": 8, "endpoints": 16,
            **keys}


def spec_of(jobs, topology=CLOS, **sections):
    return {"topology": topology, "jobs": jobs, **sections}


def test_placements():
    jobs = resolve_spec({"jobs": {"a": job(endpoints=4, placement=[30, 31, 0, 1]),
                                  "b": job(endpoints=4), "c": job(endpoints=4, placement="strided"),
                                  "d": job(endpoints=4, placement="random", placement_seed=3)}})["jobs"]
    p = place(jobs, 32)
    assert p["a"] == [30, 31, 0, 1] and p["b"] == [2, 3, 4, 5]
    assert p["c"] == [6, 12, 18, 24]                  # every 6th of the 24 endpoints left
    assert len(set(p["d"]) | set(p["a"]) | set(p["b"]) | set(p["c"])) == 16
    assert p["d"] == place(jobs, 32)["d"]             # the seed fixes the draw


@pytest.mark.parametrize("jobs, message", [
    ({"a": job(endpoints=2, placement=[3, 4]), "b": job(endpoints=2, placement=[4, 5])},
     "jobs.b.placement: endpoint 4 is also job a's: jobs may not share an endpoint"),
    ({"a": job(endpoints=2, placement=[3, 3])}, "jobs.a.placement: endpoint 3 is listed twice"),
    ({"a": job(endpoints=3, placement=[3, 4])}, "jobs.a.placement: 2 endpoints listed, jobs.a.endpoints is 3"),
    ({"a": job(endpoints=20), "b": job(endpoints=20)}, "jobs.b.endpoints: 20 endpoints, and 12 of the 32 are left"),
    ({"a": job(endpoints=2, placement=[40, 1])}, "jobs.a.placement: endpoint 40 does not exist (there are 32)"),
    ({"a": job(endpoints=4, algorithm="hierarchical", collective="all_gather")},
     "jobs.a.algorithm: hierarchical is an all_reduce algorithm"),
    ({"a": {"pattern": "uniform", "injection_rate": 0.1, "endpoints": 4, "packet_size": 2},
      "b": job(endpoints=4), "c": job(endpoints=4, packet_size=4)},
     "jobs.c.packet_size: the closed-loop jobs share one packet size"),
])
def test_bad_jobs_are_refused_naming_the_job(jobs, message):
    with pytest.raises(FabricError) as error:
        fabric.simulate(spec_of(jobs), progress=False)
    assert message in str(error.value)


def test_job_keys_are_checked_as_a_traffic_table_is():
    with pytest.raises(SpecError) as error:
        resolve_spec({"jobs": {"a": {"pattern": "collective", "sise": 1, "endpoints": 0}},
                      "traffic": {"injection_rate": 0.2}})
    text = str(error.value)
    assert "jobs.a.sise: unknown key (did you mean 'jobs.a.size'?)" in text
    assert "jobs.a.endpoints: must be >= 1" in text
    assert "traffic: with [jobs], each job is its own traffic table" in text


def test_jobs_on_disjoint_halves_of_a_clos_do_not_slow_each_other():
    """Each half is 4 leaves: its traffic climbs only its own leaves' uplinks and comes down only to its own
    leaves, so the halves share no link (only the spines' switches, on disjoint ports)."""
    r = simulate_isolated(spec_of({"a": job(placement=list(range(16))), "b": job(placement=list(range(16, 32)))},
                                  router=OQ)).to_dict()
    for name in "ab":
        assert r["jobs"][name]["slowdown"] == pytest.approx(1.0, abs=0.02)


def test_all_to_alls_sharing_uplinks_slow_down_as_the_busiest_links_load_says():
    """Interleaved (even and odd endpoints), both jobs use every leaf's uplinks and every spine's downlinks:
    the busiest link carries more than a rank injects, so both slow down, by about the ratio of the busiest
    links' loads shared and alone, and each run is within a few percent of its busiest link's load
    (output-queued switches, so the switches add no head-of-line blocking of their own)."""
    shared_spec = spec_of({"a": job(placement=list(range(0, 32, 2))), "b": job(placement=list(range(1, 32, 2)))},
                          router=OQ)
    r = simulate_isolated(shared_spec).to_dict()
    shared = fabric.simulate(shared_spec, progress=False, stats="links")
    alone = fabric.simulate(spec_of({"a": job(placement=list(range(0, 32, 2)))}, router=OQ), progress=False,
                            stats="links")
    busiest_shared = int(np.asarray(shared.tables["links"]["flits"]).max())
    busiest_alone = int(np.asarray(alone.tables["links"]["flits"]).max())
    t_shared = shared.to_dict()["workload"]["completion_cycles"]
    t_alone = alone.to_dict()["workload"]["completion_cycles"]
    assert busiest_shared <= t_shared <= 1.1 * busiest_shared
    assert busiest_alone <= t_alone <= 1.1 * busiest_alone
    for name in "ab":
        assert r["jobs"][name]["slowdown"] > 1.03
        assert r["jobs"][name]["slowdown"] == pytest.approx(busiest_shared / busiest_alone, rel=0.05)


def test_iterations_run_back_to_back_and_start_shifts_a_job():
    r = fabric.simulate(spec_of({"a": job(collective="all_reduce", endpoints=8, iterations=3, start=500)},
                                {"kind": "clos", "levels": 1, "radix": 8}), progress=False).to_dict()
    a = r["jobs"]["a"]
    one = a["iteration_cycles"][0]
    assert a["iteration_cycles"] == [one] * 3 and a["completion_cycles"] == 3 * one
    assert a["finish_cycles"] == 500 + 3 * one
    assert a["messages"]["count"] == 3 * 2 * 7 * 8


def test_an_open_loop_job_sends_only_among_its_own_endpoints():
    spec = spec_of({"train": job(collective="all_reduce", endpoints=8, size=8192),
                    "serve": {"pattern": "uniform", "injection_rate": 0.3, "packet_size": 4, "endpoints": 8,
                              "allow_self": False, "placement": list(range(24, 32))}})
    res = fabric.simulate(spec, progress=False, stats="endpoints")
    r = res.to_dict()
    serve = r["jobs"]["serve"]
    assert serve["kind"] == "open_loop" and serve["accepted"] == pytest.approx(0.3, rel=0.08)
    accepted = np.asarray(res.tables["endpoints"]["accepted_flits"])
    created = np.asarray(res.tables["endpoints"]["created_flits"])
    assert accepted[8:24].sum() == 0 and created[8:24].sum() == 0      # no job there
    assert (accepted[24:] > 0).all()


def test_open_loop_jobs_alone_run_with_the_windows():
    spec = spec_of({"x": {"pattern": "transpose", "injection_rate": 0.2, "endpoints": 16},
                    "y": {"pattern": "uniform", "injection_rate": 0.1, "endpoints": 16}},
                   sim={"warmup_cycles": 500, "measure_cycles": 2000, "drain_cycles": 2000})
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["jobs"]["x"]["accepted"] == pytest.approx(0.2, rel=0.1)
    assert r["jobs"]["y"]["accepted"] == pytest.approx(0.1, rel=0.15)
    assert r["throughput"]["offered"] == pytest.approx(0.15)


def test_a_chakra_job_runs_on_its_placement():
    pytest.importorskip("google.protobuf")
    from pathlib import Path

    trace = str(Path(__file__).resolve().parent / "data" / "chakra" / "all_reduce" / "8npus_1MB")
    jobs = {"ar": {"pattern": "chakra", "file": trace, "packet_size": 16, "endpoints": 8, "placement": "strided"}}
    r = fabric.simulate(spec_of(jobs, {"kind": "clos", "levels": 1, "radix": 16}), progress=False).to_dict()
    assert r["jobs"]["ar"]["endpoint_ids"] == list(range(0, 16, 2))
    assert r["jobs"]["ar"]["completion_cycles"] == 14 * (8192 + 6)


def test_the_command_line_runs_jobs_isolated(tmp_path):
    from typer.testing import CliRunner

    from fabric.cli import app

    path = tmp_path / "jobs.toml"
    path.write_text('[topology]\nkind = "clos"\nradix = 8\n[router]\nkind = "oq"\n'
                    '[jobs.a]\npattern = "collective"\nendpoints = 16\nsize = 256\npacket_size = 4\n'
                    '[jobs.b]\npattern = "uniform"\ninjection_rate = 0.2\nendpoints = 16\n')
    res = CliRunner().invoke(app, ["run", str(path), "--isolated", "--no-progress"])
    assert res.exit_code == 0, res.stderr
    import json

    jobs = json.loads(res.stdout)["jobs"]
    assert jobs["a"]["slowdown"] == pytest.approx(1.0, abs=0.02) and jobs["b"]["isolated"]["latency"]["mean"] > 0
    res = CliRunner().invoke(app, ["saturate", str(path)])
    assert res.exit_code == 1 and "with [jobs] vary a job's own rate" in res.stderr
