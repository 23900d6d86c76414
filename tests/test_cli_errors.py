"""The CLI's error contract: a user error is exit 1, nothing on stdout, and ``error: file: key: ...`` lines on
stderr, never a traceback; a bug is exit 70 with its traceback; Ctrl-C is 130; usage errors are 2."""
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app

VALID_SPEC = '[topology]\nkind = "mesh"\ndims = [8, 8]\n\n[traffic]\ninjection_rate = 0.05\n'

# name: (spec file content (None = no file, "<dir>" = a directory), extra args, substrings of stderr)
BAD_INPUTS = {
    "fault fraction above 1": ("[faults]\nlink_fraction = 1.5\n", [], ["spec.toml: faults.link_fraction: must be <= 1, got 1.5"]),
    "fault link not a pair": ("[faults]\nlinks = [[1, 2, 3]]\n", [],
                              ["spec.toml: faults.links: must be a list of [router, router] pairs"]),
    "degraded link that degrades nothing": ('[faults]\ndegraded = [{link = [0, 1]}]\n', [],
                                            ["spec.toml: faults.degraded[0]: degrades nothing"]),
    "job key typo": ('[jobs.a]\npattern = "collective"\nendpoints = 4\nsise = 2\n', [],
                     ["spec.toml: jobs.a.sise: unknown key (did you mean 'jobs.a.size'?)"]),
    "job without endpoints": ('[jobs.a]\npattern = "collective"\n', [], ["spec.toml: jobs.a.endpoints: required"]),
    "jobs beside traffic": ('[traffic]\ninjection_rate = 0.2\n[jobs.a]\nendpoints = 4\npattern = "collective"\n', [],
                            ["spec.toml: traffic: with [jobs], each job is its own traffic table"]),
    "job placement word": ('[jobs.a]\nendpoints = 4\npattern = "collective"\nplacement = "packed"\n', [],
                           ['spec.toml: jobs.a.placement: must be "contiguous", "strided", "random" or a list']),
    "unknown key": ("[router]\nvc = 2\n", [],
                    ["spec.toml: router.vc: unknown key", "did you mean 'router.vcs'?"]),
    "unknown section": ("[rooter]\nvcs = 2\n", [],
                        ["spec.toml: rooter: unknown section", "did you mean 'router'?"]),
    "string for int": ('[router]\nvcs = "4"\n', [], ['spec.toml: router.vcs: must be an integer, got "4"']),
    "negative size": ("[router]\nvc_buffer = -1\n", [], ["spec.toml: router.vc_buffer: must be >= 1, got -1"]),
    "zero vcs": ("[router]\nvcs = 0\n", [], ["spec.toml: router.vcs: must be >= 1, got 0"]),
    "rate above 1": ("[traffic]\ninjection_rate = 1.5\n", [],
                     ["spec.toml: traffic.injection_rate: must be <= 1, got 1.5"]),
    "rate nan": ("[traffic]\ninjection_rate = nan\n", [],
                 ["spec.toml: traffic.injection_rate: must be a finite number, got nan"]),
    "missing file": (None, [], ["spec.toml: no such file"]),
    "empty file": ("", [], ["spec.toml: empty spec"]),
    "directory": ("<dir>", [], ["spec.toml: is a directory"]),
    "invalid utf-8": (b'[router]\nvcs = "\xff"\n', [], ["spec.toml: not valid UTF-8", "line 2"]),
    "invalid toml": ("[router\nvcs = 2\n", [], ["spec.toml: invalid TOML: ", "line 1"]),
    "duplicate key": ("[router]\nvcs = 2\nvcs = 3\n", [], ["spec.toml: invalid TOML: ", "line 3", "twice"]),
    "unknown router kind": ('[router]\nkind = "voq"\n', [], ["spec.toml: router.kind: must be one of"]),
    "unknown allocator": ('[router]\nsw_allocator = "islip3"\n', [], ["spec.toml: router.sw_allocator: must be one of"]),
    "oq with speedup": ('[router]\nkind = "oq"\ninternal_speedup = 2.0\n', [],
                        ["spec.toml: router.internal_speedup: an output-queued router (kind oq) has no internal speedup"]),
    "unknown router class": ("[router.classes.spine]\nvc_buffer = 4\n", [],
                             ["spec.toml: router.classes.spine: a mesh has no router class 'spine' (its classes: router)"]),
    "vcs per class with VC classes": ('[topology]\nkind = "torus"\ndims = [4, 4]\n[router.classes.router]\nvcs = 2\n', [],
                                      ["spec.toml: router.classes.router.vcs: dor splits the VCs into classes"]),
    "unknown topology kind": ('[topology]\nkind = "meshh"\n', [],
                              ["spec.toml: topology.kind: unknown topology kind 'meshh'", "did you mean 'mesh'?"]),
    "unknown routing algorithm": ('[routing]\nalgorithm = "xy"\n', [],
                                  ["spec.toml: routing.algorithm: unknown routing algorithm 'xy'"]),
    "torus with one vc": ('[topology]\nkind = "torus"\n[router]\nvcs = 1\n', [],
                          ["spec.toml: router.vcs: a torus needs at least 2 VCs", "got 1"]),
    "set without =": (VALID_SPEC, ["--set", "router.vcs"],
                      ["spec.toml: --set router.vcs: expected KEY=VALUE"]),
    "set unknown key": (VALID_SPEC, ["--set", "router.vc=2"],
                        ["spec.toml: --set router.vc: unknown key", "did you mean 'router.vcs'?"]),
    "set bad value": (VALID_SPEC, ["--set", "router.vcs=0"], ["spec.toml: --set router.vcs: must be >= 1, got 0"]),
    "rate inf": ("[traffic]\ninjection_rate = inf\n", [],
                 ["spec.toml: traffic.injection_rate: must be a finite number, got inf"]),
    "negative rate": ("[traffic]\ninjection_rate = -0.1\n", [],
                      ["spec.toml: traffic.injection_rate: must be >= 0, got -0.1"]),
    "bool for int": ("[router]\nvcs = true\n", [], ["spec.toml: router.vcs: must be an integer, got true"]),
    "float for int": ("[router]\nvcs = 2.5\n", [], ["spec.toml: router.vcs: must be an integer, got 2.5"]),
    "list for int": ("[router]\nvcs = [2]\n", [], ["spec.toml: router.vcs: must be an integer, got [2]"]),
    "table for int": ("[router]\nvcs = {a = 1}\n", [], ["spec.toml: router.vcs: must be an integer, got a table"]),
    "negative dim": ("[topology]\ndims = [-4, 4]\n", [], ["spec.toml: topology.dims[0]: must be >= 1, got -4"]),
    "empty dims": ("[topology]\ndims = []\n", [], ["spec.toml: topology.dims: must have at least 1 element"]),
    "dims not a list": ("[topology]\ndims = 8\n", [], ["spec.toml: topology.dims: must be a list of integers, got 8"]),
    "section not a table": ("router = 5\n", [], ["spec.toml: router: must be a table, got 5"]),
    "unknown traffic pattern": ('[traffic]\npattern = "transposed"\n', [],
                                ["spec.toml: traffic.pattern: unknown traffic pattern 'transposed'",
                                 "did you mean 'transpose'?"]),
    "unknown process": ('[traffic]\nprocess = "poisson"\n', [], ["spec.toml: traffic.process: must be one of"]),
    "zero packet size": ("[traffic]\npacket_size = 0\n", [], ["spec.toml: traffic.packet_size: must be >= 1, got 0"]),
    "bad size mix": ('[traffic]\npacket_size = {"0" = 1.0}\n', [],
                     ["spec.toml: traffic.packet_size: sizes must be integers from 1 to 65536"]),
    "zero link latency": ("[link]\nlatency = 0\n", [], ["spec.toml: link.latency: must be >= 1, got 0"]),
    "bandwidth above 1": ("[link]\nbandwidth = 2.0\n", [], ["spec.toml: link.bandwidth: at most 1 flit per cycle"]),
    "unknown link class key": ("[link.classes.global]\nspeed = 2\n", [],
                               ["spec.toml: link.classes.global.speed: unknown key"]),
    "deeply nested junk": ("[topology.a.b.c.d]\nx = 1\n", [], ["spec.toml: topology.a: unknown key"]),
    "routing for another topology": ('[routing]\nalgorithm = "nca"\n', [],
                                     ["spec.toml: routing.algorithm: 'nca' does not route topology 'mesh'"]),
    "odd clos radix": ('[topology]\nkind = "clos"\nradix = 7\n', [],
                       ["spec.toml: topology.radix: must be even"]),
    "ugal with 2 vcs": ('[topology]\nkind = "dragonfly"\n[routing]\nalgorithm = "ugal"\n[router]\nvcs = 2\n', [],
                        ["spec.toml: router.vcs: ugal on a dragonfly needs at least 3 VCs"]),
    "negative seed": ("[sim]\nseed = -1\n", [], ["spec.toml: sim.seed: must be >= 0, got -1"]),
    "zero measure": ("[sim]\nmeasure_cycles = 0\n", [], ["spec.toml: sim.measure_cycles: must be >= 1, got 0"]),
    "binary file": (b"\x00\x01\x02\x03PK\x03\x04", [], ["spec.toml: invalid TOML"]),
    "graph without its file": ('[topology]\nkind = "graph"\nfile = "edges.csv"\n', [],
                               ["spec.toml: topology.file: ", "edges.csv: no such file"]),
    "composite bad pod": ('[topology]\nkind = "composite"\n[topology.pod]\nkind = "hyperx"\ndims = [1]\n', [],
                          ["spec.toml: topology.pod.dims[0]: must be >= 2, got 1"]),
    "class bad rate": ("[traffic.classes.hot]\ninjection_rate = 3\n", [],
                       ["spec.toml: traffic.classes.hot.injection_rate: must be <= 1, got 3"]),
    "closed loop in a class": ('[traffic.classes.x]\npattern = "trace"\n', [],
                               ["spec.toml: traffic.classes.x.pattern: trace runs alone, not as a class"]),
    "on_off above its peak": ('[traffic]\nprocess = "on_off"\npeak_rate = 0.1\ninjection_rate = 0.2\n', [],
                              ["spec.toml: traffic.injection_rate: on_off bursts at traffic.peak_rate = 0.1"]),
    "set into a value": (VALID_SPEC, ["--set", "router.vcs.x=2"], ["spec.toml: router.vcs: must be an integer, got a table"]),
}


def write_spec(directory: Path, content) -> str:
    """Create spec.toml in ``directory`` as ``content`` says and return the name to pass on the command line."""
    path = directory / "spec.toml"
    if content == "<dir>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path.name


def assert_user_error(exit_code, stdout, stderr, expected):
    assert exit_code == 1, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), stderr
    for part in expected:
        assert part in stderr, f"{part!r} not in {stderr!r}"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def engine_calls(monkeypatch):
    """Stand in for `fabric.simulation` (the compiled core is not needed to test the CLI); records each call."""
    calls = []

    class Result:
        status = "ok"

        def __init__(self, spec):
            self.spec = spec

        def to_json(self):
            return json.dumps({"status": "ok", "spec": self.spec})

    def simulate(spec, progress=None):
        calls.append({"spec": spec, "progress": progress})
        return Result(spec)

    engine = types.ModuleType("fabric.simulation")
    engine.simulate = simulate
    monkeypatch.setitem(sys.modules, "fabric.simulation", engine)
    return calls


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_one_line_per_problem_user_error(runner, tmp_path, command, case):
    content, extra_args, expected = BAD_INPUTS[case]
    name = write_spec(tmp_path, content)
    result = runner.invoke(app, [command, name, *extra_args])
    assert_user_error(result.exit_code, result.stdout, result.stderr, expected)


def test_all_problems_are_listed_one_per_line(runner, tmp_path):
    name = write_spec(tmp_path, "[router]\nvcs = 0\nvc = 1\n[traffic]\ninjection_rate = 2\n")
    result = runner.invoke(app, ["validate", name])
    assert_user_error(result.exit_code, result.stdout, result.stderr, [])
    assert result.stderr.splitlines() == [
        "error: spec.toml: router.vcs: must be >= 1, got 0",
        "error: spec.toml: router.vc: unknown key (did you mean 'router.vcs'?)",
        "error: spec.toml: traffic.injection_rate: must be <= 1, got 2",
    ]


def test_bad_spec_on_stdin_names_stdin(runner):
    result = runner.invoke(app, ["validate", "-"], input="[router]\nvcs = 0\n")
    assert_user_error(result.exit_code, result.stdout, result.stderr, ["<stdin>: router.vcs: must be >= 1"])


def test_valid_spec_validates_silently(runner, tmp_path):
    result = runner.invoke(app, ["validate", write_spec(tmp_path, VALID_SPEC)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_valid_spec_on_stdin_with_overrides(runner):
    result = runner.invoke(app, ["validate", "-", "--set", "topology.dims=[4,4]", "--set", "traffic.pattern=uniform"],
                           input=VALID_SPEC)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"fabric {fabric.__version__}\n"


@pytest.mark.parametrize("args", [["run"], ["validate"], ["run", "x.toml", "--bogus"], ["frobnicate"],
                                  ["run", "x.toml", "--seed", "many"], ["run", "x.toml", "--threads", "0"],
                                  ["run", "x.toml", "--threads", "two"]])
def test_usage_errors_exit_2(runner, args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""


# --- run, with a stand-in engine ---------------------------------------------------------------------


def test_run_prints_the_result_json_and_a_newline(runner, tmp_path, engine_calls):
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC), "--seed", "7", "--set", "router.vcs=2"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1
    printed = json.loads(result.stdout)
    assert printed["spec"]["sim"]["seed"] == 7 and printed["spec"]["router"]["vcs"] == 2
    assert engine_calls[0]["progress"] is None


@pytest.mark.parametrize("flag, progress", [("--progress", True), ("--no-progress", False)])
def test_run_passes_the_progress_choice(runner, tmp_path, engine_calls, flag, progress):
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC), flag])
    assert result.exit_code == 0, result.stderr
    assert engine_calls[0]["progress"] is progress


def test_run_output_file(runner, tmp_path, engine_calls):
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC), "--output", "out.json"])
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads((tmp_path / "out.json").read_text())["status"] == "ok"


def test_run_output_to_a_missing_directory_is_a_user_error(runner, tmp_path, engine_calls):
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC), "--output", "nowhere/out.json"])
    assert_user_error(result.exit_code, result.stdout, result.stderr, ["nowhere/out.json: cannot write"])


def test_engine_error_is_a_user_error(runner, tmp_path, engine_calls, monkeypatch):
    def refuse(spec, progress=None):
        raise fabric.FabricError("topology.dims: 2 routers are too few for this pattern")

    monkeypatch.setattr(sys.modules["fabric.simulation"], "simulate", refuse)
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC)])
    assert_user_error(result.exit_code, result.stdout, result.stderr, ["error: spec.toml: topology.dims: 2 routers"])


@pytest.mark.parametrize("exception, exit_code", [(KeyboardInterrupt, 130), (BrokenPipeError, 141)])
def test_interrupt_and_closed_pipe_exit_quietly(runner, tmp_path, engine_calls, monkeypatch, exception, exit_code):
    def stop(spec, progress=None):
        raise exception()

    monkeypatch.setattr(sys.modules["fabric.simulation"], "simulate", stop)
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC)])
    assert (result.exit_code, result.stdout, result.stderr) == (exit_code, "", "")


def test_a_bug_shows_its_traceback_and_exits_70(runner, tmp_path, engine_calls, monkeypatch):
    def crash(spec, progress=None):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(sys.modules["fabric.simulation"], "simulate", crash)
    result = runner.invoke(app, ["run", write_spec(tmp_path, VALID_SPEC)])
    assert result.exit_code == 70
    assert result.stdout == ""
    assert "Traceback" in result.stderr and "ZeroDivisionError: boom" in result.stderr
    assert "internal error, please report" in result.stderr.splitlines()[-1]


# --- end to end, in a fresh interpreter --------------------------------------------------------------


def run_fabric(args, cwd, stdin=""):
    """Run ``python -m fabric ARGS`` importing the same `fabric` this test session imports."""
    env = dict(os.environ, PYTHONPATH=str(Path(fabric.__file__).resolve().parent.parent))
    return subprocess.run([sys.executable, "-m", "fabric", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", ["unknown key", "invalid utf-8", "missing file", "set without ="])
def test_user_errors_end_to_end(tmp_path, case):
    content, extra_args, expected = BAD_INPUTS[case]
    name = write_spec(tmp_path, content)
    for command in ("validate", "run"):
        process = run_fabric([command, name, *extra_args], cwd=tmp_path)
        assert_user_error(process.returncode, process.stdout, process.stderr, expected)


def test_valid_spec_end_to_end(tmp_path):
    process = run_fabric(["validate", write_spec(tmp_path, VALID_SPEC)], cwd=tmp_path)
    assert (process.returncode, process.stdout, process.stderr) == (0, "", "")
    process = run_fabric(["--version"], cwd=tmp_path)
    assert (process.returncode, process.stdout) == (0, f"fabric {fabric.__version__}\n")


def test_cli_and_spec_do_not_import_numpy(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(fabric.__file__).resolve().parent.parent))
    code = "import sys, fabric.cli, fabric.spec; assert 'numpy' not in sys.modules, 'numpy imported'"
    process = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr


def test_the_catalogue_is_long():
    assert len(BAD_INPUTS) >= 40


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_an_unreadable_file_is_one_error_line():
    # tests run as root here, so file permissions cannot make a file unreadable; /proc/self/mem opens
    # but every read of it from offset 0 fails
    res = CliRunner().invoke(app, ["validate", "/proc/self/mem"])
    assert_user_error(res.exit_code, res.stdout, res.stderr, ["error: /proc/self/mem: cannot read ("])


# Specs whose keys are each valid, refused only once the network and traffic are built: `validate` must
# refuse them too, with run's own message, so that run never rejects what validate accepted.
BUILT_INPUTS = {
    "bit pattern on 36 endpoints": ('[topology]\ndims = [6, 6]\n[traffic]\npattern = "bit_complement"\n',
                                    "traffic.pattern: bit_complement works on a power-of-two number of endpoints"),
    "hotspot past the last endpoint": ('[topology]\ndims = [8, 8]\n[traffic]\npattern = "hotspot"\nhotspots = [64]\n',
                                       "traffic.hotspots: endpoint 64 does not exist (there are 64)"),
    "more endpoints than the core holds": ("[topology]\ndims = [1500, 1500]\n",
                                           "topology: 2250000 endpoints, more than the core's 2097151"),
    "more memory than there is": ("[topology]\ndims = [20000, 20000]\n", "topology.dims: this mesh needs about"),
    "a fault on a link that does not exist": ('[routing]\nalgorithm = "updown"\n[faults]\nlinks = [[0, 9]]\n',
                                              "faults.links[0]: routers 0 and 9 have no link between them"),
    "faults that disconnect everything": ('[topology]\ndims = [2, 2]\n[routing]\nalgorithm = "updown"\n'
                                          '[faults]\nswitches = [0, 1, 2]\n',
                                          "faults: no two endpoints are joined any more"),
    "a routing that cannot go around faults": ('[faults]\nlinks = [[0, 1]]\n',
                                               "routing.algorithm: dor cannot route around failed links"),
    "jobs sharing an endpoint": ('[jobs.a]\npattern = "collective"\nendpoints = 2\nplacement = [0, 1]\n'
                                 '[jobs.b]\npattern = "collective"\nendpoints = 2\nplacement = [1, 2]\n',
                                 "jobs.b.placement: endpoint 1 is also job a's: jobs may not share an endpoint"),
    "a job larger than the network": ('[jobs.a]\npattern = "collective"\nendpoints = 65\n',
                                      "jobs.a.endpoints: 65 endpoints, and 64 of the 64 are left"),
}


@pytest.mark.parametrize("name", BUILT_INPUTS)
def test_validate_refuses_what_run_refuses(runner, tmp_path, name):
    content, expected = BUILT_INPUTS[name]
    path = write_spec(tmp_path, content)
    for command in ("validate", "run"):
        res = runner.invoke(app, [command, path, "--no-progress"] if command == "run" else [command, path])
        assert_user_error(res.exit_code, res.stdout, res.stderr, [f"spec.toml: {expected}"])


def test_validate_warns_of_a_vc_class_with_one_vc(runner, tmp_path):
    path = write_spec(tmp_path, '[topology]\nkind = "dragonfly"\n[routing]\nalgorithm = "ugal"\n[router]\nvcs = 4\n')
    res = runner.invoke(app, ["validate", path])
    assert res.exit_code == 0 and res.stdout == ""
    assert res.stderr == ("warning: spec.toml: router.vcs: ugal splits the 4 VCs into 3 classes, so a class has a "
                          "single VC, which costs throughput; 6 or more VCs give every class two\n")
    assert runner.invoke(app, ["validate", path, "--set", "router.vcs=6"]).stderr == ""


MESH = str(Path(__file__).resolve().parents[1] / "topologies" / "mesh8x8.toml")
QUICK = ["--set", "sim.warmup_cycles=50", "--set", "sim.measure_cycles=100", "--set", "sim.drain_cycles=500"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["run", MESH, *QUICK, "--no-progress"],
                                     ["sweep", MESH, *QUICK, "--vary", "traffic.injection_rate=0.1", "-j", "1"],
                                     ["describe", MESH]])
def test_a_full_disk_on_stdout_is_a_one_line_error(tmp_path, command):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "fabric", *command], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "error: <stdout>: cannot write the output (No space left on device)\n"


def test_a_closed_pipe_ends_quietly_with_sigpipes_status(tmp_path):
    # the reader takes one line and goes: the sweep stops without a word, as `yes | head -1` does (141)
    proc = subprocess.run(f"{sys.executable} -m fabric sweep {MESH} {' '.join(QUICK)} "
                          f"--vary traffic.injection_rate=0.01:0.3:0.01 -j 1 | head -1; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 141 and proc.stderr == ""
    assert json.loads(proc.stdout)["ok"] is True
    # a run writes its one object at once, into the pipe's buffer, before the reader goes: 0, as `cat`
    proc = subprocess.run(f"{sys.executable} -m fabric run {MESH} {' '.join(QUICK)} --no-progress | head -1; "
                          f"exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash", capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "{\n" and proc.stderr == ""


def test_a_garbage_scheduler_address_is_a_one_line_error(runner, tmp_path):
    pytest.importorskip("distributed")
    res = runner.invoke(app, ["sweep", MESH, "--vary", "traffic.injection_rate=0.1", "--scheduler", "garbage"])
    assert_user_error(res.exit_code, res.stdout, res.stderr,
                      ["--scheduler: 'garbage' is not a scheduler address such as tcp://127.0.0.1:8786"])


# Hostile Chakra traces (tests/test_chakra.py has every rule; these go through the command line): the
# spec names the trace folder; each is one error line naming the trace file and node.
def _node(i, kind, deps=(), **attrs):
    return {"id": i, "name": f"n{i}", "type": kind, "deps": list(deps), "attrs": attrs}


BAD_TRACES = {
    "truncated": ([[_node(0, "COMM_SEND_NODE", comm_dst=1, comm_size=64)],
                   [_node(0, "COMM_RECV_NODE", comm_src=0, comm_size=64)]], 7,
                  ["t.1.et: truncated: node #0 at byte"]),
    "cyclic": ([[_node(0, "COMP_NODE", deps=[1]), _node(1, "COMP_NODE", deps=[0])], [_node(0, "COMP_NODE")]], 0,
               ["t.0.et: node 0 (n0): is on a cycle of dependencies"]),
    "send without receive": ([[_node(0, "COMM_SEND_NODE", comm_dst=1, comm_size=64)], [_node(0, "COMP_NODE")]], 0,
                             ["t.0.et: node 0 (n0): sends to rank 1 with tag 0, and no receive of t.1.et matches"]),
    "more ranks than endpoints": ([[_node(0, "COMP_NODE")]] * 5, 0, ["the trace has 5 ranks, the network 4 endpoints"]),
}


@pytest.mark.parametrize("case", BAD_TRACES)
def test_hostile_chakra_traces_are_one_line_user_errors(runner, tmp_path, case):
    pytest.importorskip("google.protobuf")
    from fabric.traffic._chakra_format import write_file

    ranks, cut, expected = BAD_TRACES[case]
    (tmp_path / "trace").mkdir()
    for r, nodes in enumerate(ranks):
        write_file(str(tmp_path / "trace" / f"t.{r}.et"), nodes)
    if cut:
        data = (tmp_path / "trace" / "t.1.et").read_bytes()
        (tmp_path / "trace" / "t.1.et").write_bytes(data[:-cut])
    name = write_spec(tmp_path, '[topology]\nkind = "clos"\nlevels = 1\nradix = 4\n'
                                '[traffic]\npattern = "chakra"\nfile = "trace"\n')
    for command in ("validate", "run"):
        res = runner.invoke(app, [command, name])
        assert_user_error(res.exit_code, res.stdout, res.stderr, ["spec.toml: traffic.file: ", *expected])


# Malformed BookSim configurations for `fabric import booksim` (tests/test_import.py has the rest)
BAD_BOOKSIM = {
    "unbalanced braces": ("injection_rate = {0.1,0.2;\n", "cfg line 1: syntax error near"),
    "unknown topology": ("topology = hypercube;\n", "topology = hypercube: fabric imports mesh, torus, fattree"),
    "a typo in a key": ("topology = mesh;\nrouting_funtion = dim_order;\n",
                        "cfg line 2: routing_funtion: BookSim has no such field (did you mean 'routing_function'?)"),
    "an integer for a decimal": ("internal_speedup = 2;\n", "internal_speedup: a float field, given '2'"),
    "a missing file": (None, "cfg: No such file or directory"),
}


@pytest.mark.parametrize("case", BAD_BOOKSIM)
def test_malformed_booksim_configs_are_one_line_user_errors(runner, tmp_path, case):
    text, expected = BAD_BOOKSIM[case]
    if text is not None:
        (tmp_path / "cfg").write_text(text)
    res = runner.invoke(app, ["import", "booksim", str(tmp_path / "cfg")])
    assert_user_error(res.exit_code, res.stdout, res.stderr, [expected])
