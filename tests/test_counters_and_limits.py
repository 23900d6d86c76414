"""What a result counts, over which cycles, and the limits of the core's widths and memory."""
import json
import subprocess
import sys

import pytest

import fabric
from fabric import build
from fabric.errors import FabricError

from conftest import ROOT

MESH = str(ROOT / "topologies" / "mesh8x8.toml")


def test_injected_counts_flits_that_entered_the_network():
    r = fabric.simulate(fabric.load_spec(MESH, ["traffic.injection_rate=0.7"])).to_dict()
    t, f = r["throughput"], r["flits"]
    assert r["schema_version"] == 2
    assert t["created"] == pytest.approx(0.7, abs=0.01)          # what the sources made
    assert t["injected"] < 0.45                                   # what the saturated network took in
    assert t["injected"] == pytest.approx(t["accepted"], abs=0.01)
    assert f["injected"] < 0.6 * f["created"]


def test_injected_equals_created_below_saturation_and_per_class():
    spec = fabric.load_spec(str(ROOT / "examples" / "background_and_hotspot.toml"),
                            ["sim.warmup_cycles=500", "sim.measure_cycles=2000"])
    r = fabric.simulate(spec).to_dict()
    for name, c in r["classes"].items():
        assert c["throughput"]["injected"] == pytest.approx(c["throughput"]["created"], rel=0.05), name
    total = sum(c["throughput"]["injected"] for c in r["classes"].values())
    assert total == pytest.approx(r["throughput"]["injected"], abs=1e-5)


def test_a_run_stopped_early_reports_rates_over_the_cycles_that_ran():
    # 8x8 mesh at 1.0: the pool's 2^20 packets fill at about cycle 26,600
    spec = fabric.load_spec(MESH, ["traffic.injection_rate=1.0", "sim.warmup_cycles=24000",
                                   "sim.measure_cycles=10000"])
    r = fabric.simulate(spec).to_dict()
    assert r["status"] == "saturated" and "packet limit" in r["saturation_reasons"][0]
    ran = r["cycles"]["total"] - 24000
    assert 1000 <= ran < 10000 and r["cycles"]["measure"] == ran
    assert r["throughput"]["accepted"] == pytest.approx(0.38, abs=0.03)     # not diluted by cycles never run


def test_a_run_stopped_before_its_window_has_no_measurement():
    spec = fabric.load_spec(MESH, ["traffic.injection_rate=1.0", "sim.warmup_cycles=60000"])
    r = fabric.simulate(spec).to_dict()
    assert r["cycles"]["measure"] == 0
    assert r["throughput"]["accepted"] is None and r["throughput"]["injected"] is None
    assert any("no measurement" in reason for reason in r["saturation_reasons"])


def test_a_closed_loop_run_at_the_packet_limit_says_so(tmp_path):
    trace = tmp_path / "big.csv"
    trace.write_text("0,0,1,2000000\n")                # 2,000,000 one-flit packets queued at once
    r = fabric.simulate({"topology": {"kind": "mesh", "dims": [2, 2]},
                         "traffic": {"pattern": "trace", "file": str(trace)}}).to_dict()
    assert r["status"] == "unfinished"
    assert "packet limit" in r["workload"]["unfinished"] and "max_cycles" not in r["workload"]["unfinished"]


def test_the_largest_router_the_core_accepts_runs_and_conserves_flits():
    # radix 1022 (endpoint ports of a one-switch clos) with 64 VCs (router.vcs's maximum): 65,408 input
    # VCs, near the 65,535 the VC allocation pointers hold (they were int16, and wrapped past 32,767)
    spec = {"topology": {"kind": "clos", "levels": 1, "radix": 1022, "endpoints": 1022},
            "router": {"vcs": 64, "vc_buffer": 2}, "traffic": {"injection_rate": 0.5},
            "sim": {"warmup_cycles": 50, "measure_cycles": 100, "drain_cycles": 2000, "check": True}}
    r = fabric.simulate(spec).to_dict()
    assert r["status"] == "ok"
    f = r["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]
    deep = {"topology": {"kind": "mesh", "dims": [2, 2]}, "router": {"vcs": 64, "vc_buffer": 4096},
            "traffic": {"injection_rate": 0.3, "packet_size": 64},
            "sim": {"warmup_cycles": 100, "measure_cycles": 300, "drain_cycles": 5000, "check": True}}
    assert fabric.simulate(deep).to_dict()["status"] == "ok"


def test_a_network_beyond_the_cores_widths_is_refused(monkeypatch):
    with pytest.raises(FabricError, match=r"topology.dims: .* bits of router coordinates"):
        fabric.simulate({"topology": {"kind": "mesh", "dims": [1] * 33}})
    with pytest.raises(FabricError, match=r"router.vcs: 64 VCs on a router of 1024 ports \(topology\) make "
                                          r"65536 input VCs, more than the core's 65535"):
        fabric.simulate({"topology": {"kind": "clos", "levels": 1, "radix": 1024, "endpoints": 1024},
                         "router": {"vcs": 64}})
    monkeypatch.setattr(build._core, "MAX_ROUTER_PORTS", 8)
    with pytest.raises(FabricError, match=r"topology: a router of 10 ports, more than the core's 8"):
        fabric.simulate({"topology": {"kind": "hyperx", "dims": [4, 4, 4], "concentration": 1}})


# peak RSS from VmHWM (ru_maxrss would carry the parent's peak across exec)
MEASURE_PEAK = """
import json, sys, fabric
from fabric.build import estimate_bytes
def peak():
    return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
spec = fabric.load_spec(sys.argv[1], sys.argv[2:])
before = peak()
r = fabric.simulate(spec).to_dict()
after = peak()
print(json.dumps({"grew": after - before, "estimate": estimate_bytes(spec), "reasons": r["saturation_reasons"]}))
"""


def test_memory_estimate_covers_a_run_to_the_packet_limit(tmp_path):
    # (run from elsewhere: `python -c` in the checkout would import its fabric/, which has no compiled core)
    out = subprocess.run([sys.executable, "-c", MEASURE_PEAK, MESH, "traffic.injection_rate=1.0",
                          "sim.warmup_cycles=60000"], capture_output=True, text=True, check=True, cwd=tmp_path)
    m = json.loads(out.stdout)
    assert "packet limit" in m["reasons"][0]
    assert 0.5 * m["estimate"] < m["grew"] <= m["estimate"]


MEASURE_PEAK_STATS = MEASURE_PEAK.replace("fabric.simulate(spec)", "fabric.simulate(spec, stats=True)").replace(
    "estimate_bytes(spec)", "estimate_bytes(spec, stats=True)")


def test_memory_estimate_covers_a_run_with_every_statistic(tmp_path):
    # what the statistics add (the counters, the two read-outs and the tables of a 4,096-router torus, and its
    # series at interval 10) is within what the estimate adds for them
    args = [str(ROOT / "topologies" / "torus8x8.toml"), "topology.dims=[16,16,16]", "traffic.injection_rate=0.2",
            "sim.warmup_cycles=200", "sim.measure_cycles=2000", "stats.interval=10"]
    runs = [json.loads(subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                                      check=True, cwd=tmp_path).stdout) for script in (MEASURE_PEAK, MEASURE_PEAK_STATS)]
    without, with_stats = runs
    assert 0 < with_stats["grew"] - without["grew"] <= with_stats["estimate"] - without["estimate"], runs
