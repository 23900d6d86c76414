"""Every example spec in topologies/ validates and runs (shortened, so the suite stays fast), and
bounds hold on what it measures."""
import pytest

import fabric

from conftest import ROOT

EXAMPLES = sorted((ROOT / "topologies").glob("*.toml"))
WORKLOADS = sorted((ROOT / "examples").glob("*.toml"))


def test_there_are_examples():
    names = {p.name for p in EXAMPLES}
    assert {"mesh8x8.toml", "torus8x8.toml"} <= names
    assert any(fabric.build_network(str(p)).n_endpoints >= 15000 for p in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path):
    short = ["sim.warmup_cycles=50", "sim.measure_cycles=100", "sim.drain_cycles=2000"]
    spec = fabric.load_spec(path, short)
    r = fabric.simulate(spec, progress=False).to_dict()
    assert r["status"] in ("ok", "saturated")
    f = r["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_as_written(path):
    r = fabric.simulate(str(path), progress=False).to_dict()
    assert r["status"] == "ok"
    assert r["throughput"]["accepted"] == pytest.approx(r["throughput"]["offered"], rel=0.02)


@pytest.mark.parametrize("path", WORKLOADS, ids=lambda p: p.name)
def test_workload_example_runs(path):
    r = fabric.simulate(str(path), progress=False).to_dict()
    if path.name.startswith("deadlock"):
        assert r["status"] == "deadlock" and r["deadlock"]["cycle"]
        return
    assert r["status"] == "ok"
    assert ("workload" in r) != ("classes" in r)
    f = r["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]
