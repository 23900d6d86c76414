"""`fabric run` end to end: golden JSON for a tiny spec, stdin, --output, and the Python API giving the
same object as the CLI."""
import json

import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app

from conftest import ROOT

TINY = ROOT / "tests" / "specs" / "tiny_mesh.toml"
GOLDEN = ROOT / "tests" / "golden" / "tiny_mesh.json"


def strip_timing(result: dict) -> dict:
    out = dict(result)
    assert set(out.pop("timing")) == {"wall_seconds", "router_cycles_per_second", "flit_hops_per_second", "threads"}
    return out


@pytest.fixture
def runner():
    return CliRunner()


def test_run_matches_golden_json(runner, update_golden):
    res = runner.invoke(app, ["run", str(TINY), "--no-progress"])
    assert res.exit_code == 0, res.output
    got = strip_timing(json.loads(res.stdout))
    if update_golden:
        GOLDEN.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(GOLDEN.read_text())


def test_result_has_the_contract_keys(runner):
    res = runner.invoke(app, ["run", str(TINY), "--no-progress"])
    r = json.loads(res.stdout)
    for key in ("schema_version", "fabric_version", "status", "saturated", "spec", "topology", "cycles",
                "throughput", "latency", "hops", "packets", "timing"):
        assert key in r
    assert set(r["topology"]) >= {"kind", "routers", "endpoints", "links"}
    assert set(r["cycles"]) >= {"warmup", "measure", "drain", "total"}
    assert set(r["throughput"]) >= {"offered", "accepted"}
    for kind in ("packet", "network"):
        assert set(r["latency"][kind]) == {"mean", "p50", "p99", "max"}
    assert set(r["packets"]) >= {"measured", "delivered"}
    assert r["spec"]["sim"]["seed"] == 1
    # and their values mean what the contract says, for this 3x3 mesh of 2 endpoints per router
    assert r["schema_version"] == 2 and r["fabric_version"] == fabric.__version__
    assert r["status"] == "ok" and r["saturated"] is False and r["saturation_reasons"] == []
    assert r["topology"] == {"kind": "mesh", "routers": 9, "endpoints": 18, "links": 24}
    c = r["cycles"]
    assert (c["warmup"], c["measure"]) == (200, 800) and c["total"] == 1000 + c["drain"]
    t = r["throughput"]
    assert t["offered"] == 0.15
    assert t["created"] == pytest.approx(0.15, abs=0.02)
    assert t["injected"] == pytest.approx(t["created"], abs=0.01)
    assert t["accepted"] == pytest.approx(t["injected"], abs=0.01)
    for kind in ("packet", "network"):
        lat = r["latency"][kind]
        assert isinstance(lat["p50"], int) and lat["p50"] <= lat["p99"] <= lat["max"]
        assert lat["p50"] - 1 <= lat["mean"] <= lat["max"]
    assert r["latency"]["network"]["mean"] <= r["latency"]["packet"]["mean"]
    assert 0 < r["hops"]["mean"] <= 4                                   # at most 4 links on a 3x3 mesh
    p = r["packets"]
    assert p["delivered"] == p["measured"] == pytest.approx(0.15 / 2 * 18 * 800, rel=0.1)
    f = r["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]
    assert r["timing"]["wall_seconds"] > 0 and r["timing"]["router_cycles_per_second"] > 0


def test_stdin_overrides_and_seed(runner):
    args = ["run", "-", "--set", "traffic.injection_rate=0.2", "--seed", "7", "--no-progress"]
    res = runner.invoke(app, args, input=TINY.read_text())
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)
    assert r["spec"]["traffic"]["injection_rate"] == 0.2
    assert r["spec"]["sim"]["seed"] == 7


def test_output_file(runner, tmp_path):
    out = tmp_path / "result.json"
    res = runner.invoke(app, ["run", str(TINY), "--output", str(out), "--no-progress"])
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(out.read_text())["status"] == "ok"


def test_api_equals_cli(runner):
    res = runner.invoke(app, ["run", str(TINY), "--no-progress"])
    api = fabric.simulate(str(TINY), progress=False).to_dict()
    assert strip_timing(api) == strip_timing(json.loads(res.stdout))


def test_rerun_from_a_results_spec_gives_the_same_result():
    first = fabric.simulate(str(TINY), progress=False).to_dict()
    again = fabric.simulate(first["spec"], progress=False).to_dict()
    assert strip_timing(first) == strip_timing(again)


def test_a_network_too_big_for_memory_is_refused_before_allocating(runner):
    import time

    started = time.perf_counter()
    res = runner.invoke(app, ["run", str(TINY), "--set", "topology.dims=[1000,1000,1000]", "--no-progress"])
    assert res.exit_code == 1 and res.stdout == ""
    assert f"error: {TINY}: topology.dims: this mesh needs about" in res.stderr
    assert "GiB available" in res.stderr
    assert time.perf_counter() - started < 5


def test_memory_estimate_is_of_the_right_size():
    from fabric.build import estimate_bytes
    from fabric.spec import resolve_spec

    small = estimate_bytes(resolve_spec({"topology": {"kind": "mesh", "dims": [8, 8]}}))
    big = estimate_bytes(resolve_spec({"topology": {"kind": "torus", "dims": [25, 25, 25]}}))
    # the packet pool at its limit dominates: 2^20 packets of 40 bytes for a small network, 2,048 per
    # endpoint for a large one (tests/test_counters_and_limits.py checks a run that reaches it)
    assert 40 * 2**20 < small < 50 * 2**20
    assert 1.2 * 2**30 < big < 1.6 * 2**30


def test_max_memory_refuses_before_allocating(runner):
    res = runner.invoke(app, ["run", str(TINY), "--set", "topology.dims=[64,64]", "--max-memory", "1M",
                              "--no-progress"])
    assert res.exit_code == 1 and res.stdout == ""
    assert f"error: {TINY}: topology.dims: this mesh needs about" in res.stderr and "--max-memory" in res.stderr
    bad = runner.invoke(app, ["run", str(TINY), "--max-memory", "lots"])
    assert bad.exit_code == 1 and "--max-memory: a size like 512M or 2G" in bad.stderr


def test_a_result_reruns_from_its_own_spec(runner):
    # everything needed to rerun is in the result: the resolved spec (seed included) and the version
    first = json.loads(runner.invoke(app, ["run", str(TINY), "--no-progress", "--seed", "11"]).stdout)
    assert first["spec"]["sim"]["seed"] == 11 and first["fabric_version"] == fabric.__version__
    again = fabric.simulate(first["spec"], progress=False).to_dict()
    first.pop("timing")
    again.pop("timing")
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


def test_ctrl_c_exits_130_silently_or_with_partial_statistics(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    def interrupted(*extra):
        proc = subprocess.Popen([sys.executable, "-m", "fabric", "run", str(ROOT / "topologies" / "mesh8x8.toml"),
                                 "--set", "topology.dims=[40,40]",
                                 "--set", "sim.measure_cycles=100000", "--no-progress", *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out.decode(), err.decode()

    code, out, err = interrupted()
    assert code == 130 and out == "" and "Traceback" not in err
    code, out, err = interrupted("--partial")
    assert code == 130, err
    result = json.loads(out)
    assert result["status"] == "interrupted" and 0 < result["interrupted_at"] < 101_000
    # its figures are over the cycles that ran, not the whole window
    ran = result["interrupted_at"] - 3000
    assert result["cycles"]["measure"] == max(0, min(ran, 100_000)) and result["cycles"]["total"] == result[
        "interrupted_at"]
    if result["cycles"]["measure"] >= 1000:
        assert result["throughput"]["accepted"] == pytest.approx(0.1, abs=0.01)
    assert not any("drain" in reason for reason in result["saturation_reasons"])


def test_ctrl_c_on_a_terminal_stops_a_15000_endpoint_run_within_half_a_second(tmp_path):
    import fcntl
    import os
    import pty
    import select
    import struct
    import sys
    import termios
    import time

    pid, master = pty.fork()
    if pid == 0:                                  # the child: fabric on the terminal, as a user runs it
        os.chdir(tmp_path)
        os.execv(sys.executable, [sys.executable, "-m", "fabric", "run",
                                  str(ROOT / "topologies" / "torus25x25x24.toml"),
                                  "--set", "sim.measure_cycles=10000000"])
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # a terminal has a size
    seen = b""
    deadline = time.time() + 120
    while b"cycle" not in seen and time.time() < deadline:   # the progress bar: it is running
        if select.select([master], [], [], 1)[0]:
            seen += os.read(master, 4096)
    assert b"cycle" in seen, seen
    time.sleep(3.0)                               # well into the run: its slices have grown to full size
    os.write(master, b"\x03")                   # Ctrl-C, through the terminal
    sent = time.perf_counter()
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if select.select([master], [], [], 0.01)[0]:
            try:
                os.read(master, 4096)
            except OSError:
                pass
    elapsed = time.perf_counter() - sent
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 130
    assert elapsed < 0.5, elapsed


@pytest.mark.parametrize("name", ["mesh8x8", "torus8x8", "fattree_k4n3"])
@pytest.mark.parametrize("load", [0.1, 0.45])
def test_reference_configurations_pass_the_per_cycle_check(runner, name, load):
    res = runner.invoke(app, ["run", str(ROOT / "topologies" / f"{name}.toml"), "--check", "--no-progress",
                              "--set", f"traffic.injection_rate={load}", "--set", "sim.measure_cycles=2000",
                              "--set", "traffic.packet_size=4"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["spec"]["sim"]["check"] is True


def test_the_check_reports_a_broken_invariant(monkeypatch):
    from fabric import simulation

    class Broken:
        workload = None
        now = 7

        def run(self, until, stop):
            return simulation._core.STATUS_INVARIANT

        def violation(self):
            return "input VC 1 of port 3 holds 9 flits, outside 0..8"

    monkeypatch.setattr(simulation, "make_core", lambda spec, **kw: (Broken(), None))
    res = CliRunner().invoke(app, ["run", str(TINY), "--check", "--no-progress"])
    assert res.exit_code == 70
    assert res.stderr.strip().endswith("invariant broken at cycle 7: input VC 1 of port 3 holds 9 flits, "
                                       "outside 0..8 (a bug in fabric: please report it with the spec)")
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["topologies/torus8x8.toml", "examples/allreduce_ring.toml",
                                  "examples/trace_replay.toml", "examples/background_and_hotspot.toml",
                                  "topologies/dragonfly_p2a4h2.toml", "topologies/nvl72_like.toml"])
def test_threads_give_byte_identical_results(runner, name):
    args = [str(ROOT / name), "--set", "sim.measure_cycles=1500"]
    outputs = []
    for threads in ("1", "2"):
        r = runner.invoke(app, ["run", *args, "--threads", threads])
        assert r.exit_code == 0, r.output
        result = json.loads(r.stdout)
        assert result.pop("timing")["threads"] == int(threads)
        outputs.append(json.dumps(result, sort_keys=True))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_a_bad_thread_count_is_a_user_error(threads):
    with pytest.raises(fabric.FabricError, match="threads: must be a whole number"):
        fabric.simulate(TINY, threads=threads)


def test_progress_bar_ends_full_or_counts_a_workloads_cycles(monkeypatch):
    import tqdm

    bars = []

    class Bar:
        def __init__(self, total=None, **kwargs):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, k):
            self.n += k

        def close(self):
            pass

    monkeypatch.setattr(tqdm, "tqdm", Bar)
    fabric.simulate(str(TINY), progress=True)                      # drains early: the bar fills
    assert bars[-1].total == 1000 + 10_000 and bars[-1].n == bars[-1].total
    fabric.simulate(str(ROOT / "examples" / "allreduce_ring.toml"), progress=True)
    assert bars[-1].total is None and bars[-1].n > 0               # a workload's length is not known
