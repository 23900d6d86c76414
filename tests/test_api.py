"""The Python API: every command of the CLI as a function, with the CLI's options as keywords."""
import json

import pytest

import fabric

from conftest import ROOT

MESH = str(ROOT / "topologies" / "mesh8x8.toml")
SHORT = ["sim.warmup_cycles=200", "sim.measure_cycles=400", "sim.drain_cycles=2000"]


def test_simulate_takes_the_clis_options_as_keywords():
    r = fabric.simulate(MESH, seed=3, overrides=SHORT + ["traffic.injection_rate=0.2"], threads=2)
    assert r.spec.sim.seed == 3 and r.spec.traffic.injection_rate == 0.2
    same = fabric.simulate(fabric.load_spec(MESH, SHORT + ["traffic.injection_rate=0.2"], seed=3)).to_dict()
    mine = r.to_dict()
    mine.pop("timing"), same.pop("timing")
    assert mine == same
    as_dict = fabric.simulate({"topology": {"kind": "mesh", "dims": [4, 4]}, "sim": {"warmup_cycles": 100}},
                              seed=5, overrides=["sim.measure_cycles=300"], unset=["sim.warmup_cycles"])
    assert as_dict.spec.sim.seed == 5 and as_dict.spec.sim.measure_cycles == 300
    assert as_dict.spec.sim.warmup_cycles == 3000                         # unset: the default
    with pytest.raises(fabric.SpecError, match="--set router.vc: unknown key"):
        fabric.simulate(MESH, overrides=["router.vc=2"])


def test_a_result_reads_as_attributes_and_flat():
    r = fabric.simulate(MESH, overrides=SHORT)
    d = r.to_dict()
    assert r.status == "ok" and r.saturated is False
    assert r.latency.packet.p99 == d["latency"]["packet"]["p99"]
    assert r.throughput.accepted == d["throughput"]["accepted"] and r.throughput["offered"] == 0.1
    assert dict(r.latency.packet) == d["latency"]["packet"] and r.latency.packet == d["latency"]["packet"]
    with pytest.raises(AttributeError, match="the result has no latency.packet.p95"):
        r.latency.packet.p95
    flat = r.to_flat()
    assert flat["latency.packet.mean"] == d["latency"]["packet"]["mean"] and flat["spec.topology.dims"] == "[8, 8]"
    assert all(not isinstance(v, (dict, list)) for v in flat.values())          # one row of a DataFrame


def test_describe_validate_sweep_and_saturate_are_functions():
    assert fabric.describe(MESH)["uniform"]["saturation_bound"] == 0.5
    assert fabric.validate(MESH) == []
    assert "ugal splits the 4 VCs" in fabric.validate(str(ROOT / "topologies" / "dragonfly_p2a4h2.toml"),
                                                       overrides=["routing.algorithm='ugal'"])[0]
    with pytest.raises(fabric.FabricError, match="bit_complement works on a power-of-two"):
        fabric.validate({"topology": {"dims": [6, 6]}, "traffic": {"pattern": "bit_complement"}})
    lines = list(fabric.sweep(MESH, ["traffic.injection_rate=0.1,0.2"], overrides=SHORT, jobs=1))
    assert sorted(line["point"]["traffic.injection_rate"] for line in lines) == [0.1, 0.2]
    assert all(line["ok"] for line in lines)
    found = fabric.saturate(MESH, overrides=SHORT, tolerance=0.05)
    assert 0.35 < found["saturation_throughput"] < 0.5


def test_the_cli_prints_what_the_functions_return():
    from typer.testing import CliRunner

    from fabric.cli import app

    printed = json.loads(CliRunner().invoke(app, ["describe", MESH]).stdout)
    assert printed == fabric.describe(MESH)
