"""Link classes and link bandwidth: `link.cycles_per_flit` and `[link.classes.NAME]`."""
import json

import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app
from fabric.description import describe
from fabric.errors import FabricError, SpecError
from fabric.build import make_core
from fabric.spec import resolve_spec

from conftest import make_spec

QUIET = {"warmup_cycles": 200, "measure_cycles": 20000, "drain_cycles": 5000}


def run(spec):
    return fabric.simulate(spec, progress=False).to_dict()


@pytest.mark.parametrize("cycles_per_flit", [1, 2, 3])
def test_zero_load_latency_adds_serialization_per_link(cycles_per_flit):
    # Nearly idle 4x4 mesh: a 1-flit packet spends 4 cycles in each of H routers, 2 cycles injecting, 1
    # ejecting, and (latency + c - 1) on each of the H - 1 links: T0 = 5H + 2 + (H - 1)(c - 1)
    spec = make_spec(dims=(4, 4), rate=0.002, link={"latency": 1, "cycles_per_flit": cycles_per_flit})
    spec["sim"] = QUIET
    r = run(spec)
    links = r["hops"]["mean"]
    expected = 5 * (links + 1) + 2 + links * (cycles_per_flit - 1)
    assert r["status"] == "ok"
    assert r["latency"]["packet"]["mean"] == pytest.approx(expected, rel=0.005)


def test_slow_links_halve_the_saturation_throughput():
    spec = make_spec(dims=(4, 4), rate=1.0, warmup=500, measure=2000, drain=0)
    fast = run(spec)["throughput"]["accepted"]
    spec["link"] = {"latency": 1, "cycles_per_flit": 2}
    slow = run(spec)["throughput"]["accepted"]
    bound = describe(resolve_spec(spec))["uniform"]["saturation_bound"]
    assert bound == 0.5                     # a 4x4 mesh's channel-load bound is 1, at half the bandwidth
    assert slow <= bound < fast


def test_a_class_setting_equals_the_kind_key():
    base = {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "traffic": {"injection_rate": 0.1},
            "sim": {"warmup_cycles": 300, "measure_cycles": 1000, "drain_cycles": 2000}}
    by_key = run({**base, "topology": {**base["topology"], "global_latency": 7}})
    by_class = run({**base, "link": {"classes": {"global": {"latency": 7}}}})
    for result in (by_key, by_class):
        result.pop("timing")
        result.pop("spec")
    assert by_key == by_class


def test_slow_global_links_raise_latency_and_keep_credits_balanced():
    spec = {"topology": {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}, "traffic": {"injection_rate": 0.1},
            "sim": {"warmup_cycles": 300, "measure_cycles": 1000, "drain_cycles": 2000}}
    fast = run(spec)
    spec["link"] = {"classes": {"global": {"cycles_per_flit": 4}}}
    slow = run(spec)
    assert slow["status"] == "ok"
    assert slow["latency"]["packet"]["mean"] > fast["latency"]["packet"]["mean"] + 2
    flits = slow["flits"]
    assert flits["injected"] == flits["delivered"] + flits["in_network"]
    core, _ = make_core(resolve_spec({**spec, "traffic": {"injection_rate": 0.4}}))
    core.run(700)
    assert core.check_credits()


def test_unknown_class_is_one_clear_error():
    spec = make_spec(dims=(4, 4), link={"classes": {"global": {"latency": 3}}})
    with pytest.raises(FabricError, match=r"link.classes.global: a mesh has no link class 'global' \(its classes: link\)"):
        run(spec)


def test_class_keys_are_validated():
    with pytest.raises(SpecError) as error:
        resolve_spec({"link": {"classes": {"global": {"latency": 0, "speed": 2}, "local": 3}}})
    assert error.value.problems == [
        "<spec>: link.classes.global.latency: must be >= 1, got 0",
        "<spec>: link.classes.global.speed: unknown key "
        "(known: link.classes.global.bandwidth, link.classes.global.cycles_per_flit, link.classes.global.latency)",
        "<spec>: link.classes.local: must be a table (keys: latency, cycles_per_flit, bandwidth), got 3",
    ]


def test_set_reaches_a_class_key(tmp_path):
    path = tmp_path / "df.toml"
    path.write_text('[topology]\nkind = "dragonfly"\n[sim]\nwarmup_cycles = 10\nmeasure_cycles = 10\n')
    res = CliRunner().invoke(app, ["run", str(path), "--no-progress", "--set", "link.classes.global.latency=5"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["spec"]["link"]["classes"] == {"global": {"latency": 5}}


def test_bandwidth_in_flits_per_cycle_is_cycles_per_flit():
    assert resolve_spec({"link": {"bandwidth": 0.5}})["link"]["cycles_per_flit"] == 2
    spec = resolve_spec({"topology": {"kind": "dragonfly"}, "link": {"classes": {"global": {"bandwidth": 0.25}}}})
    assert spec["link"]["classes"]["global"]["cycles_per_flit"] == 4
    assert resolve_spec(spec) == spec
    assert "bandwidth" not in resolve_spec({})["link"]
    for bad, message in [({"bandwidth": 2}, "link.bandwidth: at most 1 flit per cycle"),
                         ({"bandwidth": 0.3}, "link.bandwidth: must be 1 / an integer"),
                         ({"bandwidth": 0.5, "cycles_per_flit": 3}, "link.bandwidth: says 2 cycles per flit")]:
        with pytest.raises(SpecError, match=message):
            resolve_spec({"link": bad})
