"""fabric import booksim: BookSim 2 configurations read as BookSim reads them, mapped to fabric specs that run
the same network, and every field fabric cannot honour named."""
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fabric
from fabric.cli import app
from fabric.errors import FabricError
from fabric.importers.booksim import import_config, read, to_spec

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "booksim_switch_mesh8x8_uniform.cfg"
EXAMPLES = DATA / "booksim_examples"
ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path, text, name="cfg"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def imported(path, overrides=(), sets=()):
    spec = tomllib.loads(import_config(str(path), overrides))
    return fabric.spec.resolve_with(spec, list(sets))


@pytest.mark.parametrize("size, load", [(1, 0.05), (1, 0.3), (4, 0.2)])
def test_the_reference_config_runs_as_the_hand_written_spec(size, load):
    """tests/data's copy of the reference configuration, imported (with BookSim's command-line overrides of
    the packet size and load, as the reference runs were made) and run, gives the hand-written spec's
    result byte for byte, apart from the timing."""
    short = ["sim.warmup_cycles=1000", "sim.measure_cycles=2000"]
    ours = imported(REFERENCE, [f"packet_size={size}", f"injection_rate={load}"], short)
    hand = fabric.load_spec(str(ROOT / "topologies" / "mesh8x8.toml"),
                            short + [f"traffic.packet_size={size}", f"traffic.injection_rate={load}"])
    assert ours == hand
    a, b = fabric.simulate(ours, progress=False).to_dict(), fabric.simulate(hand, progress=False).to_dict()
    a.pop("timing"), b.pop("timing")
    assert a == b


def test_fields_left_out_take_booksims_defaults(tmp_path):
    spec, problems = to_spec(read(write(tmp_path, "topology = mesh; routing_function = dim_order;")))
    assert problems == []
    assert spec["router"]["vcs"] == 16 and spec["router"]["vc_buffer"] == 8        # BookSim's num_vcs, vc_buf_size
    assert spec["topology"]["dims"] == [8, 8] and spec["sim"]["seed"] == 0
    assert spec["traffic"] == {"pattern": "uniform", "packet_size": 1, "injection_rate": 0.1}


def test_the_rate_is_in_packets_unless_booksim_is_told_flits(tmp_path):
    base = "topology = torus; routing_function = dim_order; packet_size = 4; injection_rate = 0.05;"
    packets, _ = to_spec(read(write(tmp_path, base)))
    flits, _ = to_spec(read(write(tmp_path, base + " injection_rate_uses_flits = 1;")))
    assert packets["traffic"]["injection_rate"] == pytest.approx(0.2) and flits["traffic"]["injection_rate"] == 0.05
    assert packets["link"]["latency"] == 2          # BookSim's torus channels with use_noc_latency


def test_booksims_syntax(tmp_path):
    text = ("// a comment\ntopology = mesh;  // and another\nk=4 ; n = 3;\nrouting_function = dim_order_mesh;\n"
            "vc_allocator = islip(3);\nsw_allocator = islip(3);\ninternal_speedup = 1.5e0;\nwatch_out = -;\n"
            "injection_rate = {0.1,0.2};\n")
    config = read(write(tmp_path, text), ["k=2", "num_vcs=2"])
    assert config["k"] == ("int", 2) and config["internal_speedup"] == ("float", 1.5)
    assert config["injection_rate"] == ("str", "{0.1,0.2}")
    spec, problems = to_spec(config)
    assert spec["topology"]["dims"] == [2, 2, 2] and spec["router"]["alloc_iters"] == 3
    assert spec["router"]["internal_speedup"] == 1.5 and spec["routing"]["algorithm"] == "dor"
    assert problems == ["injection_rate = {0.1,0.2}: per-class lists ({...}) are not mapped: give one value"]


@pytest.mark.parametrize("text, message", [
    ("injection_rate = 1;", "cfg line 1: injection_rate: a float or str field, given '1' (BookSim: Unknown int field)"),
    ("num_vcs = 2.0;", "num_vcs: a int field, given '2.0'"),
    ("num_vc = 2;", "cfg line 1: num_vc: BookSim has no such field (did you mean 'num_vcs'?)"),
    ("topology = mesh\nk = 4;", "cfg line 1: syntax error near 'topology = mesh k' (each statement is key = value;)"),
    ("injection_rate = {0.1,0.2;", "syntax error near 'injection_rate = { 0.1' (unbalanced braces)"),
    ("topology = ring;", "topology = ring: fabric imports mesh, torus, fattree, flatfly, dragonflynew and anynet (not ring)"),
    ("topology = mesh; routing_function = min_adapt;", "routing_function = min_adapt: fabric has no min_adapt on a mesh"),
    ("topology = mesh; routing_function = dor; speculative = 1;", "speculative = 1: fabric has no speculative"),
    ("topology = flatfly; k = 4; n = 2; c = 1; x = 4; y = 4; xr = 1; yr = 1; routing_function = xyyx;",
     "routing_function = xyyx: fabric has no xyyx on a flatfly (it maps: ran_min)"),
])
def test_malformed_and_unmapped_configs_are_refused_naming_the_field(tmp_path, text, message):
    with pytest.raises(FabricError) as error:
        import_config(write(tmp_path, text))
    assert message in str(error.value)


def test_lenient_lists_what_is_not_honoured_as_comments(tmp_path):
    text = import_config(write(tmp_path, "topology = mesh; routing_function = dor; credit_delay = 2; priority = age;"),
                         lenient=True)
    assert "# not honoured: credit_delay = 2: fabric's credits take the link's latency" in text
    assert "# not honoured: priority = age: fabric has no packet priorities" in text
    tomllib.loads(text)


# BookSim's own examples: the ones whose features fabric has import and run; the others name what is missing
EXAMPLE_VERDICTS = {
    "torus88": None,
    "mesh88_lat": "wait_for_tail_credit = 1: fabric frees an output VC when the tail leaves",
    "fattree_config": "hold_switch_for_packet = 1: fabric allocates the switch flit by flit",
    "dragonflyconfig": "credit_delay = 2: fabric's credits take the link's latency",
    "flatflyconfig": "c = 4: BookSim's flatfly numbers its nodes by xr x yr blocks of the chip",
    "cmeshconfig": "topology = cmesh: fabric imports mesh, torus, fattree, flatfly, dragonflynew and",
    "singleconfig": "topology = fly: fabric imports mesh, torus, fattree, flatfly, dragonflynew and",
    "anynet_config": "routing_function = min: BookSim's anynet routes each pair over one fixed shortest path",
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_VERDICTS))
def test_booksims_examples(name):
    verdict = EXAMPLE_VERDICTS[name]
    if verdict is None:
        spec = tomllib.loads(import_config(str(EXAMPLES / name)))
        r = fabric.simulate(fabric.spec.resolve_with(spec, ["sim.warmup_cycles=300", "sim.measure_cycles=600"]),
                            progress=False).to_dict()
        assert r["status"] == "ok"
        return
    with pytest.raises(FabricError) as error:
        import_config(str(EXAMPLES / name))
    assert verdict in str(error.value)


def test_the_command_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["import", "booksim", str(REFERENCE), "--set", "packet_size=4"])
    assert res.exit_code == 0, res.stderr
    spec = tomllib.loads(res.stdout)
    assert spec["traffic"]["packet_size"] == 4 and "with packet_size=4" in res.stdout.splitlines()[0]
    out = tmp_path / "spec.toml"
    res = runner.invoke(app, ["import", "booksim", str(REFERENCE), "-o", str(out)])
    assert res.exit_code == 0 and fabric.load_spec(str(out))["router"]["vcs"] == 4
    res = runner.invoke(app, ["import", "booksim", write(tmp_path, "num_vc = 2;")])
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: cfg line 1: num_vc: BookSim has no such")


def test_anynet_imports_leniently_with_its_file_and_runs():
    """BookSim's anynet example: its file read as a graph (3 routers of 3 nodes each); only its routing has no
    exact counterpart, so --lenient maps it to ecmp and says so."""
    text = import_config(str(EXAMPLES / "anynet_config"), lenient=True)
    assert "# not honoured: routing_function = min: BookSim's anynet routes each pair over one fixed" in text
    spec = tomllib.loads(text)
    assert spec["topology"]["file"] == str(EXAMPLES / "anynet_file") and spec["routing"]["algorithm"] == "ecmp"
    r = fabric.simulate(fabric.spec.resolve_with(spec, ["sim.warmup_cycles=300", "sim.measure_cycles=600"]),
                        progress=False).to_dict()
    assert r["status"] == "ok" and r["topology"]["endpoints"] == 9


def test_a_flattened_butterfly_of_one_node_a_router_is_a_hyperx(tmp_path):
    """BookSim's flatfly with c = 1: a k x k grid of routers joined along rows and columns, routed by the lowest
    differing dimension first (flatfly_outport): fabric's 2-D hyperx with dimension order."""
    cfg = write(tmp_path, "topology = flatfly; k = 4; n = 2; c = 1; x = 4; y = 4; xr = 1; yr = 1;\n"
                          "routing_function = ran_min; num_vcs = 4; injection_rate = 0.1;")
    spec = tomllib.loads(import_config(cfg))
    assert spec["topology"] == {"kind": "hyperx", "dims": [4, 4], "concentration": 1}
    assert spec["routing"]["algorithm"] == "dor"
    ours = fabric.spec.resolve_with(spec, ["sim.warmup_cycles=300", "sim.measure_cycles=1000"])
    hand = fabric.spec.resolve_with({"topology": {"kind": "hyperx", "dims": [4, 4]}, "router": {"vcs": 4},
                                     "traffic": {"injection_rate": 0.1}, "sim": {"seed": 0}},
                                    ["sim.warmup_cycles=300", "sim.measure_cycles=1000"])
    a, b = fabric.simulate(ours, progress=False).to_dict(), fabric.simulate(hand, progress=False).to_dict()
    a.pop("timing"), b.pop("timing"), a.pop("spec"), b.pop("spec")
    assert a == b


def test_booksims_on_off_source_maps_to_fabrics(tmp_path):
    """BookSim derives the missing one of burst_alpha, burst_beta and burst_r1 from the rate in packets; fabric's
    on_off is the same two-state source set by its mean rate, ON rate and mean ON time (1 / beta)."""
    cfg = write(tmp_path, "topology = mesh; routing_function = dor; injection_process = on_off; packet_size = 2;\n"
                          "injection_rate = 0.1; burst_alpha = 0.1; burst_beta = 0.4; burst_r1 = -1.0;")
    spec, problems = to_spec(read(cfg))
    assert problems == []
    t = spec["traffic"]
    # r1 = 0.1 x (0.1 + 0.4) / 0.1 = 0.5 packets a cycle when ON: a flit a cycle; mean 0.2 flits a cycle
    assert (t["process"], t["burst_length"], t["peak_rate"], t["injection_rate"]) == ("on_off", 2.5, 1.0, 0.2)
    r = fabric.simulate(fabric.spec.resolve_with(spec, ["sim.warmup_cycles=1000", "sim.measure_cycles=6000"]),
                        progress=False).to_dict()
    assert r["throughput"]["accepted"] == pytest.approx(0.2, rel=0.08)
    with pytest.raises(FabricError, match="takes exactly two of burst_alpha, burst_beta and burst_r1"):
        import_config(write(tmp_path, "topology = mesh; routing_function = dor; injection_process = on_off;"
                                      "burst_r1 = 0.5;"))


def test_the_pipeline_delays_map_stage_by_stage(tmp_path):
    cfg = write(tmp_path, "topology = mesh; routing_function = dor; routing_delay = 2; vc_alloc_delay = 3;"
                          " sw_alloc_delay = 4; st_final_delay = 5;")
    spec, problems = to_spec(read(cfg))
    assert problems == []
    r = spec["router"]
    assert (r["routing_delay"], r["vc_alloc_delay"], r["sw_alloc_delay"], r["st_delay"]) == (2, 3, 4, 5)
