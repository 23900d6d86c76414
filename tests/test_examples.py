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


@pytest.mark.parametrize("load", [0.05, 1.0])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_bounds_hold_on_every_example(path, load):
    large = path.stem in ("clos15488", "clos15488_oq", "clos8192", "dragonfly16512", "hyperx8x8x8x8", "torus25x25x24")
    short = [f"traffic.injection_rate={load}", f"sim.warmup_cycles={100 if large else 300}",
             f"sim.measure_cycles={200 if large else 1000}",
             f"sim.drain_cycles={2000 if load < 0.5 else 0}"]
    r = fabric.simulate(fabric.load_spec(path, short), progress=False).to_dict()
    assert r["warnings"] == []
    assert r["bounds"]["zero_load_latency"] <= r["latency"]["packet"]["mean"]
    # at 1.0 every example is past its bound, so its accepted throughput meets the bound (a network
    # that carried more than Θ* would break it, saturated or not)
    if r["bounds"]["saturation_bound"] is not None:
        assert r["throughput"]["accepted"] <= r["bounds"]["saturation_bound"] * 1.03


def test_a_broken_bound_is_a_warning():
    from fabric.bounds import bounds_and_warnings
    from fabric.build import link_settings, make_core
    from fabric.spec import resolve_spec

    spec = resolve_spec({"topology": {"kind": "mesh", "dims": [4, 4]}})
    core, net = make_core(spec)
    fake = {"hops": {"mean": 2.0}, "latency": {"packet": {"mean": 10.0}}, "throughput": {"accepted": 0.9},
            "saturated": False}
    bounds, warnings = bounds_and_warnings(spec, core, net, fake, *link_settings(net, spec["link"]))
    assert bounds["zero_load_latency"] == 2 + 4 * 3 + 1 * 2 + 1          # 17 cycles for 2 links
    assert bounds["saturation_bound"] == 1.0                            # 4x4 mesh, uniform
    assert len(warnings) == 1 and "below the zero-load bound" in warnings[0]
    fake["throughput"]["accepted"], fake["latency"]["packet"]["mean"] = 0.9, 20.0
    spec_t = resolve_spec({"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"pattern": "transpose"}})
    core_t, net_t = make_core(spec_t)
    bounds, warnings = bounds_and_warnings(spec_t, core_t, net_t, fake, *link_settings(net_t, spec_t["link"]))
    assert bounds["saturation_bound"] < 0.9 and "above the saturation bound" in warnings[0]
