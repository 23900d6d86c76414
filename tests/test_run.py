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
    assert set(out.pop("timing")) == {"wall_seconds", "router_cycles_per_second", "flit_hops_per_second"}
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
