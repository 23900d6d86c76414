"""fabric sweep, saturate, plot and the output formats."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from fabric.cli import app
from fabric.errors import FabricError
from fabric.sweeps import parse_values, plan, point_seed

from conftest import ROOT

MESH = str(ROOT / "topologies" / "mesh8x8.toml")
SHORT = ["--set", "sim.warmup_cycles=200", "--set", "sim.measure_cycles=400", "--set", "sim.drain_cycles=2000"]
EIGHT = ["--vary", "traffic.injection_rate=0.05:0.2:0.05", "--vary", "traffic.packet_size=1,4"]


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def without_timing(records):
    out = []
    for r in records:
        r = dict(r)
        r.pop("timing", None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def test_values_ranges_products_and_zips():
    assert parse_values("k", "0.1:0.5:0.1") == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert parse_values("k", "1:10:4") == [1, 5, 9]
    assert parse_values("k", "[4, 4],[8, 8]") == [[4, 4], [8, 8]]
    assert parse_values("k", "uniform,transpose") == ["uniform", "transpose"]
    assert len(plan(["a=1,2,3", "b=x,y"])) == 6
    assert plan(["a=1,2", "b=3,4"], ["a,b"]) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]
    with pytest.raises(FabricError, match="--zip a,b: the keys have"):
        plan(["a=1,2", "b=3"], ["a,b"])
    with pytest.raises(FabricError, match="--vary k: a range needs step > 0"):
        parse_values("k", "1:0:1")
    assert point_seed(1, {"a": 1}) == point_seed(1, {"a": 1}) != point_seed(2, {"a": 1})
    assert point_seed(1, {"a": 1, "sim.seed": 9}) == 9


def test_eight_points_same_lines_with_one_or_two_jobs():
    runner = CliRunner()
    one = runner.invoke(app, ["sweep", MESH, *EIGHT, *SHORT, "--jobs", "1"])
    two = runner.invoke(app, ["sweep", MESH, *EIGHT, *SHORT, "--jobs", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    a, b = lines(one.stdout), lines(two.stdout)
    assert len(a) == 8 and all(r["ok"] for r in a)
    assert without_timing(a) == without_timing(b)
    assert len({r["seed"] for r in a}) == 8


def test_a_failing_point_is_a_line_and_the_sweep_goes_on():
    res = CliRunner().invoke(app, ["sweep", MESH, "--vary", "router.vcs=0,2", *SHORT, "--jobs", "1"])
    assert res.exit_code == 0
    bad, good = sorted(lines(res.stdout), key=lambda r: r["point"]["router.vcs"])
    assert bad["ok"] is False and "router.vcs: must be >= 1, got 0" in bad["error"]
    assert good["ok"] is True and good["status"] == "ok"


def test_bad_spec_or_vary_is_a_user_error():
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate"])
    assert res.exit_code == 1 and "expected KEY=VALUES" in res.stderr
    res = runner.invoke(app, ["sweep", MESH, "--vary", "a=1", "--resume"])
    assert res.exit_code == 1 and "--resume needs --output" in res.stderr


def sweep_process(out, *extra):
    # run from the output's directory: `python -m` puts the working directory first on sys.path, and
    # the source tree's fabric/ (no compiled core) must not shadow the installed package
    return subprocess.Popen([sys.executable, "-m", "fabric", "sweep", MESH, "--vary",
                             "traffic.injection_rate=0.02:0.4:0.02", "--set", "sim.warmup_cycles=1000",
                             "--set", "sim.measure_cycles=4000", "--jobs", "1", "--output", str(out), *extra],
                            stderr=subprocess.PIPE, cwd=out.parent)


def wait_for_lines(path, n, proc, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the sweep ended early ({proc.returncode}): {proc.stderr.read().decode()}")
        time.sleep(0.05)
    raise AssertionError(f"{path}: fewer than {n} lines after {timeout} s")


def test_a_killed_sweep_resumes_with_every_point_once(tmp_path):
    out = tmp_path / "sweep.ndjson"
    proc = sweep_process(out)
    wait_for_lines(out, 3, proc)
    proc.kill()
    proc.wait()
    with open(out, "a") as f:
        f.write('{"point": {"traffic.injection_rate": 0.3')          # a line cut short by the kill
    before = lines(out.read_text().rsplit("\n", 1)[0])
    assert 3 <= len(before) < 20
    proc = sweep_process(out, "--resume")
    assert proc.wait(timeout=300) == 0
    after = lines(out.read_text())
    points = [r["point"]["traffic.injection_rate"] for r in after]
    assert len(points) == 20 and len(set(points)) == 20
    assert after[: len(before)] == before                    # the finished points were kept as they were


def workers_of(pid):
    """The worker processes (multiprocessing's spawned children) of process `pid` still running, from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if int(ppid) == pid and state != "Z" and b"spawn_main" in cmdline:
            out.append(int(entry))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; workers die with the parent on Linux")
def test_workers_end_with_a_killed_sweep(tmp_path):
    # a parent killed outright runs no cleanup: its workers must not run on with the points handed to them
    proc = subprocess.Popen([sys.executable, "-m", "fabric", "sweep", MESH, "--vary", "traffic.injection_rate=0.1,0.2,0.3",
                             "--set", "sim.measure_cycles=100000000", "--jobs", "2", "--output", str(tmp_path / "s.ndjson")],
                            stderr=subprocess.PIPE, cwd=tmp_path)
    end = time.time() + 120
    while len(workers_of(proc.pid)) < 2 and time.time() < end and proc.poll() is None:
        time.sleep(0.1)
    workers = workers_of(proc.pid)
    assert len(workers) == 2
    proc.kill()
    proc.wait()
    end = time.time() + 20
    while any(os.path.exists(f"/proc/{w}") and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
              for w in workers) and time.time() < end:
        time.sleep(0.1)
    still = [w for w in workers if os.path.exists(f"/proc/{w}")
             and open(f"/proc/{w}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
    for w in still:
        os.kill(w, signal.SIGKILL)
    assert still == []


def test_ctrl_c_stops_cleanly_with_whole_lines(tmp_path):
    out = tmp_path / "sweep.ndjson"
    proc = sweep_process(out)
    wait_for_lines(out, 2, proc)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    text = out.read_text()
    assert text.endswith("\n")
    assert all(r["ok"] for r in lines(text))


def test_dask_scheduler_gives_the_local_results():
    distributed = pytest.importorskip("distributed")
    runner = CliRunner()
    local = runner.invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate=0.1,0.2", *SHORT, "--jobs", "1"])
    with distributed.LocalCluster(host="127.0.0.1", n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = runner.invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate=0.1,0.2", *SHORT,
                                     "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    assert without_timing(lines(local.stdout)) == without_timing(lines(remote.stdout))


def test_sweep_and_saturate_give_the_same_answers_on_two_threads():
    runner = CliRunner()
    grid = ["--vary", "traffic.injection_rate=0.1,0.3"]
    one = runner.invoke(app, ["sweep", MESH, *grid, *SHORT, "--jobs", "1"])
    two = runner.invoke(app, ["sweep", MESH, *grid, *SHORT, "--jobs", "1", "--threads", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert without_timing(lines(one.stdout)) == without_timing(lines(two.stdout))
    assert {r["timing"]["threads"] for r in lines(two.stdout)} == {2}
    quick = ["--tolerance", "0.05", *SHORT]
    found = [runner.invoke(app, ["saturate", MESH, *quick, "--threads", n]) for n in ("1", "2")]
    assert all(r.exit_code == 0 for r in found) and json.loads(found[0].stdout)["points"]
    assert found[0].stdout == found[1].stdout


def test_saturate_finds_the_booksim_knee_of_the_mesh():
    res = CliRunner().invoke(app, ["saturate", MESH, "--set", "sim.measure_cycles=3000"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["saturation_throughput"] == pytest.approx(0.419, abs=0.03)   # BookSim's knee, 1-flit packets
    assert out["bracket"][1] - out["bracket"][0] <= 0.01
    assert len(out["points"]) >= 5


def test_plot_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    runner = CliRunner()
    data = tmp_path / "s.ndjson"
    res = runner.invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate=0.1,0.3,0.45", *SHORT,
                              "--vary", "traffic.packet_size=1,4", "--output", str(data), "--jobs", "2"])
    assert res.exit_code == 0, res.output
    png = tmp_path / "curve.png"
    res = runner.invoke(app, ["plot", str(data), "--x", "throughput.offered", "--y", "latency.packet.mean",
                              "--group", "point.traffic.packet_size", "--output", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    res = runner.invoke(app, ["plot", str(data), "--x", "nope", "--y", "latency.packet.mean", "--output", str(png)])
    assert res.exit_code == 1 and "no result has both nope and latency.packet.mean" in res.stderr
    # log axes and limits
    log = tmp_path / "log.svg"
    res = runner.invoke(app, ["plot", str(data), "--x", "throughput.offered", "--y", "latency.packet.mean",
                              "--log-y", "--xlim", "0,0.5", "--ylim", ",1000", "--output", str(log)])
    assert res.exit_code == 0, res.output
    assert "<svg" in log.read_text()


def test_plot_reads_run_and_saturate_output(tmp_path):
    pytest.importorskip("matplotlib")
    runner = CliRunner()
    run = tmp_path / "run.json"
    assert runner.invoke(app, ["run", MESH, *SHORT, "--output", str(run), "--no-progress"]).exit_code == 0
    res = runner.invoke(app, ["plot", str(run), "--x", "throughput.offered", "--y", "latency.packet.mean",
                              "--output", str(tmp_path / "run.png")])
    assert res.exit_code == 0, res.output
    sat = tmp_path / "sat.json"
    sat.write_text(json.dumps({"saturation_throughput": 0.42, "points": [
        {"offered": 0.01, "accepted": 0.01, "latency": 33.0, "status": "ok"},
        {"offered": 0.5, "accepted": 0.41, "latency": 900.0, "status": "saturated"}]}))
    res = runner.invoke(app, ["plot", str(sat), "--x", "offered", "--y", "latency",
                              "--output", str(tmp_path / "sat.png")])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("case, expected", [
    ("binary", "not a text file of JSON results"),
    ("missing folder", "--output: "),
    ("misspelled group", "--group point.traffic.packet_sise: no result in"),
    ("bad limits", "--xlim: expected LOW,HIGH"),
])
def test_plot_mistakes_are_one_line_errors(tmp_path, case, expected):
    pytest.importorskip("matplotlib")
    data = tmp_path / "s.ndjson"
    data.write_text(json.dumps({"ok": True, "point": {"traffic.packet_size": 1},
                                "throughput": {"offered": 0.1}, "latency": {"packet": {"mean": 30.0}}}) + "\n")
    args = ["plot", str(data), "--x", "throughput.offered", "--y", "latency.packet.mean",
            "--output", str(tmp_path / "p.png")]
    if case == "binary":
        data.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00")
    elif case == "missing folder":
        args[-1] = str(tmp_path / "no" / "p.png")
    elif case == "misspelled group":
        args += ["--group", "point.traffic.packet_sise"]
    else:
        args += ["--xlim", "0"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.startswith("error: ") and expected in res.stderr and res.stderr.count("\n") == 1


def test_formats_share_one_helper():
    runner = CliRunner()
    tiny = str(ROOT / "tests" / "specs" / "tiny_mesh.toml")
    import csv

    csv_run = runner.invoke(app, ["run", tiny, "--format", "csv", "--no-progress"])
    header, row = csv.reader(csv_run.stdout.splitlines())
    assert len(header) == len(row)
    values = dict(zip(header, row))
    assert values["spec.topology.dims"] == "[3, 3]" and values["saturated"] == "false"
    assert float(values["latency.packet.mean"]) > 0
    table = runner.invoke(app, ["run", tiny, "--format", "table", "--no-progress"])
    rows = dict(line.split(None, 1) for line in table.stdout.splitlines())
    assert 15 < len(rows) < 30 and "spec.topology.dims" not in rows            # the figures, not a dump
    assert rows["status"] == "ok" and rows["saturation_reasons"] == "-"
    assert float(rows["latency.packet.mean"]) > 0 and rows["topology.routers"] == "9"
    assert "True" not in table.stdout and "False" not in table.stdout and "None" not in table.stdout
    csv_sweep = runner.invoke(app, ["sweep", tiny, "--vary", "traffic.injection_rate=0.1,0.2", "--format", "csv",
                                    "--jobs", "1"])
    rows = list(csv.reader(csv_sweep.stdout.splitlines()))
    assert len(rows) == 3 and "point.traffic.injection_rate" in rows[0]
    bad = runner.invoke(app, ["run", tiny, "--format", "xml"])
    assert bad.exit_code == 2


def test_a_misspelled_vary_key_is_refused_before_anything_runs(monkeypatch):
    import fabric.sweeps

    monkeypatch.setattr(fabric.sweeps, "execute", lambda *a, **k: pytest.fail("the sweep started"))
    res = CliRunner().invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rat=0.1,0.2"])
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.startswith(f"error: {MESH}: --vary traffic.injection_rat: unknown key")
    assert "did you mean 'traffic.injection_rate'?" in res.stderr


def test_a_sweep_whose_points_all_failed_exits_1():
    # each value is out of range: every point is an ok: false line, and the sweep says it failed
    res = CliRunner().invoke(app, ["sweep", MESH, "--vary", "router.vcs=0,-1", "--jobs", "1"])
    assert res.exit_code == 1
    assert [r["ok"] for r in lines(res.stdout)] == [False, False]
    assert res.stderr == "error: every point of the sweep failed (2); the first error is in its line\n"
    some = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--vary", "router.vcs=0,2", "--jobs", "1"])
    assert some.exit_code == 0 and sorted(r["ok"] for r in lines(some.stdout)) == [False, True]


def test_resume_refuses_a_file_made_with_other_settings(tmp_path):
    out = tmp_path / "mesh.ndjson"
    first = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--vary", "traffic.injection_rate=0.1",
                                     "--output", str(out), "--jobs", "1"])
    assert first.exit_code == 0, first.output
    other = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--set", "router.vcs=2", "--vary",
                                     "traffic.injection_rate=0.1,0.2", "--output", str(out), "--resume"])
    assert other.exit_code == 1
    assert "--resume: the file's point" in other.stderr and "router.vcs = 4" in other.stderr
    assert "this sweep has 2" in other.stderr
    assert len(out.read_text().splitlines()) == 1                     # the file is as it was
    same = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--vary", "traffic.injection_rate=0.1,0.2",
                                    "--output", str(out), "--resume", "--jobs", "1"])
    assert same.exit_code == 0 and len(out.read_text().splitlines()) == 2
    csv = CliRunner().invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate=0.1", "--output", str(out),
                                   "--resume", "--format", "csv"])
    assert csv.exit_code == 1 and "--resume reads the finished points back from NDJSON" in csv.stderr


def test_output_replaces_the_file_as_its_help_says(tmp_path):
    out = tmp_path / "mesh.ndjson"
    out.write_text("old line\n")
    res = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--vary", "traffic.injection_rate=0.1",
                                   "--output", str(out), "--jobs", "1"])
    assert res.exit_code == 0 and "old line" not in out.read_text()
    helptext = CliRunner().invoke(app, ["sweep", "--help"]).stdout
    assert "replacing it" in " ".join(helptext.split())


def test_sweep_table_has_a_header_and_a_row_per_point():
    res = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--vary", "traffic.injection_rate=0.1,0.2",
                                   "--format", "table", "--jobs", "1"])
    rows = res.stdout.splitlines()
    assert rows[0].split() == ["point.traffic.injection_rate", "status", "throughput.accepted",
                               "latency.packet.mean", "latency.packet.p99", "hops.mean", "workload.completion_cycles"]
    assert len(rows) == 3 and all(r.split()[1] == "ok" and r.split()[-1] == "-" for r in rows[1:])
    assert "=" not in res.stdout


def test_saturate_has_the_options_of_run_and_sweep(tmp_path):
    runner = CliRunner()
    quick = ["--tolerance", "0.05", *SHORT, "--no-progress"]
    one = json.loads(runner.invoke(app, ["saturate", MESH, *quick, "--seed", "3"]).stdout)
    out = tmp_path / "sat.json"
    res = runner.invoke(app, ["saturate", MESH, *quick, "--seed", "3", "--jobs", "2", "--output", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    two = json.loads(out.read_text())
    # two loads a round: a different path to the same knee, within both tolerances
    assert abs(two["saturation_throughput"] - one["saturation_throughput"]) <= 0.05
    assert two["bracket"][1] - two["bracket"][0] <= 0.05
    csv = runner.invoke(app, ["saturate", MESH, *quick, "--format", "csv"]).stdout.splitlines()
    assert csv[0] == "offered,accepted,latency,status" and len(csv) == len(one["points"]) + 1
    table = runner.invoke(app, ["saturate", MESH, *quick, "--format", "table"]).stdout
    assert table.startswith("saturation_throughput") and "offered" in table
    assert runner.invoke(app, ["saturate", MESH, *quick, "--seed", "3"]).stdout == json.dumps(one, indent=1) + "\n"


def test_saturate_refuses_a_closed_loop_workload():
    res = CliRunner().invoke(app, ["saturate", str(ROOT / "examples" / "allreduce_ring.toml")])
    assert res.exit_code == 1 and res.stdout == ""
    assert "traffic.pattern: saturate searches the injection rate of open-loop traffic" in res.stderr


def test_unset_lets_one_spec_sweep_across_topology_kinds():
    res = CliRunner().invoke(app, ["sweep", MESH, *SHORT, "--unset", "topology.dims", "--unset",
                                   "topology.concentration", "--unset", "routing.algorithm",
                                   "--vary", "topology.kind=mesh,fat_tree", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    found = {r["point"]["topology.kind"]: r for r in lines(res.stdout)}
    assert found["mesh"]["ok"] and found["fat_tree"]["ok"]
    assert found["mesh"]["spec"]["topology"]["dims"] == [8, 8] and found["fat_tree"]["topology"]["endpoints"] == 64
    bad = CliRunner().invoke(app, ["run", MESH, "--unset", "topology.dimz"])
    assert bad.exit_code == 1 and "--unset topology.dimz: the spec does not set this key" in bad.stderr
