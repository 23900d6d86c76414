"""`fabric describe`: exact counts and closed-form bounds for the example specs, and no measurement above
the saturation bound it prints."""
import json

import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app
from fabric.description import describe
from fabric.spec import resolve_spec

from conftest import ROOT


@pytest.mark.parametrize("spec, expected", [
    ({"topology": {"kind": "mesh", "dims": [8, 8]}},
     {"routers": 64, "endpoints": 64, "diameter": 14, "mean_minimal_hops": 5.25, "radix_histogram": {"3": 4, "4": 24, "5": 36},
      "bisection_links": {"count": 16, "exact": True}, "uniform": {"max_channel_load": 2.0, "saturation_bound": 0.5}}),
    ({"topology": {"kind": "torus", "dims": [8, 8]}},
     {"diameter": 8, "mean_minimal_hops": 4.0, "bisection_links": {"count": 32, "exact": True},
      "uniform": {"max_channel_load": 1.0, "saturation_bound": 1.0}}),
    ({"topology": {"kind": "torus", "dims": [5, 5]}},      # odd k: hops (k^2-1)/4k per dimension
     {"diameter": 4, "mean_minimal_hops": 2.4, "bisection_links": {"count": 20, "exact": False}}),
    ({"topology": {"kind": "fat_tree", "k": 4, "n": 3}},
     {"routers": 48, "endpoints": 64, "radix_histogram": {"4": 16, "8": 32}, "diameter": 4,
      "mean_minimal_hops": 3.375, "uniform": {"max_channel_load": 0.9375, "saturation_bound": 1.0}}),
    ({"topology": {"kind": "hyperx", "dims": [4, 4, 4], "concentration": 4}},
     {"routers": 64, "endpoints": 256, "radix_histogram": {"13": 64}, "diameter": 3, "mean_minimal_hops": 2.25,
      "bisection_links": {"count": 128, "exact": True}, "uniform": {"max_channel_load": 1.0, "saturation_bound": 1.0}}),
    ({"topology": {"kind": "hyperx", "dims": [8, 8, 8, 8], "concentration": 4}},
     {"routers": 4096, "endpoints": 16384, "radix_histogram": {"32": 4096}}),
])
def test_counts_and_bounds(spec, expected):
    got = describe(resolve_spec(spec))
    for key, value in expected.items():
        assert got[key] == value, key


def test_mean_hops_match_a_long_low_load_run():
    for spec in ({"topology": {"kind": "mesh", "dims": [5, 3]}}, {"topology": {"kind": "torus", "dims": [4, 5]}}):
        spec = {**spec, "traffic": {"injection_rate": 0.05},
                "sim": {"warmup_cycles": 200, "measure_cycles": 20000, "drain_cycles": 2000}}
        predicted = describe(resolve_spec(spec))["mean_minimal_hops"]
        measured = fabric.simulate(spec, progress=False).to_dict()["hops"]["mean"]
        assert measured == pytest.approx(predicted, rel=0.02)


SMALL_PRESETS = ["mesh8x8", "torus8x8", "fattree_k4n3", "hyperx4x4x4", "clos_r16", "dragonfly_p2a4h2",
                 "petersen", "nvl72_like"]


@pytest.mark.parametrize("name", SMALL_PRESETS + [pytest.param(name, marks=pytest.mark.slow)
                                                  for name in ("clos3_r16", "ubmesh_like")])
def test_measured_throughput_never_above_the_bound(name):
    path = ROOT / "topologies" / f"{name}.toml"
    spec = fabric.load_spec(path, ["traffic.injection_rate=0.9", "sim.warmup_cycles=500",
                                   "sim.measure_cycles=1500", "sim.drain_cycles=0"])
    bound = describe(spec)["uniform"]["saturation_bound"]
    accepted = fabric.simulate(spec, progress=False).to_dict()["throughput"]["accepted"]
    assert accepted <= bound * 1.01


def test_cli_prints_json():
    result = CliRunner().invoke(app, ["describe", str(ROOT / "topologies" / "torus8x8.toml")])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["uniform"]["saturation_bound"] == 1.0
