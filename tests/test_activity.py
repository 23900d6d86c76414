"""Inside a run (`--stats`): the activity counters add up to the core's own counts, per-link loads match
the exact expected channel loads of the oblivious routings, a transpose shows its hot links, the time
series adds up to the window and shows a collective's steps; the tables and the summary."""
import json

import numpy as np
import pytest

import fabric
from fabric import activity
from fabric.build import make_core, link_settings
from fabric.spec import load_spec

from conftest import ROOT

MESH = str(ROOT / "topologies" / "mesh8x8.toml")


def read_window(spec):
    """(core, net, the activity over the window, the core's counters at the window's start and end)."""
    core, net = make_core(spec, stats=True)
    s = spec["sim"]
    core.run(s["warmup_cycles"])
    start, c0 = core.activity(), core.counters()
    core.run(s["warmup_cycles"] + s["measure_cycles"])
    end, c1 = core.activity(), core.counters()
    return core, net, activity.window_activity(start, end), c0, c1


@pytest.mark.parametrize("sets", [
    ["traffic.injection_rate=0.3", "traffic.packet_size=4"],
    ["topology.kind='torus'", "router.vcs=2", "traffic.injection_rate=0.9"],           # saturated
    ["traffic.classes.b={pattern='transpose', injection_rate=0.05}", "router.routing_delay=2"],
], ids=["mesh", "torus-saturated", "two-classes"])
def test_counters_add_up_to_the_core_counts(sets):
    spec = load_spec(MESH, sets + ["sim.warmup_cycles=500", "sim.measure_cycles=1500", "stats.interval=64"])
    core, net, w, c0, c1 = read_window(spec)
    delta = {k: c1[k] - c0[k] for k in c0}
    _, cpf = link_settings(net, spec["link"])
    t = activity.tables(net, w, w["now"], cpf, core.series(), 64, spec, ("main", "b"), now=core.now)
    links, routers, endpoints = t["links"], t["routers"], t["endpoints"]
    on_links = links["kind"] == "link"
    assert links["flits"][on_links].sum() == delta["flit_hops"] > 0          # flits carried = flit-hops
    assert links["flits"][~on_links].sum() == delta["delivered_flits"]       # the ejection channels
    assert routers["flits_switched"].sum() == links["flits"].sum()           # every traversal leaves by a port
    assert endpoints["accepted_flits"].sum() == delta["delivered_flits"]
    assert endpoints["injected_flits"].sum() == delta["injected_flits"]
    assert endpoints["created_flits"].sum() == delta["created_flits"]
    assert endpoints["created_packets"].sum() == delta["created_packets"]
    assert endpoints["delivered_packets"].sum() == c1["measured_delivered"]
    assert (routers["sa_grants"] <= routers["sa_requests"]).all() and (routers["va_grants"] <= routers["va_requests"]).all()
    # the buffers' flit-cycles: at most vcs x depth per input VC per cycle, and a flit buffered for a cycle counts
    assert 0 < w["vc_cycles"].sum() <= net.n_ports * spec["router"]["vcs"] * spec["router"]["vc_buffer"] * w["now"]
    # the series: its buckets inside the window add up to the window's own counts
    series = t["series"]
    inside = (series["start"] >= 500) & (series["end"] <= 2000) & (series["class"] == series["class"][0])
    accepted = (series["accepted"] * (series["end"] - series["start"]) * net.n_endpoints)[inside].sum()
    created = (series["created"] * (series["end"] - series["start"]) * net.n_endpoints)[inside].sum()
    assert round(accepted) == c1["window_ejected_flits"]
    assert round(created) == c1["window_created_flits"]


def test_credit_stalls_are_counted_where_flits_wait():
    # a saturated torus with one VC per class: flits wait for credits, and only on links
    spec = load_spec(MESH, ["topology.kind='torus'", "router.vcs=2", "router.vc_buffer=2", "traffic.injection_rate=0.8",
                            "sim.warmup_cycles=300", "sim.measure_cycles=1000"])
    _, net, w, _, _ = read_window(spec)
    assert w["credit_stall"][net.port_kind == 1].sum() > 0
    assert w["credit_stall"][net.port_kind == 2].sum() == 0                  # ejection always has room


# every oblivious routing (dor on the three grids, nca on both trees, dragonfly min, ecmp, updown)
OBLIVIOUS = [("mesh8x8", []), ("torus8x8", []), ("hyperx4x4x4", []), ("fattree_k4n3", []),
             ("clos_r16", ["routing.algorithm='nca'"]), ("dragonfly_p2a4h2", []), ("petersen", []),
             ("petersen", ["routing.algorithm='updown'"])]


@pytest.mark.parametrize("name, sets", OBLIVIOUS, ids=[n + "-".join(s) for n, s in OBLIVIOUS])
def test_link_loads_match_the_exact_expected_loads(name, sets):
    # the stats tables' link loads over a long run at half of Θ*, against the walk of the routing that
    # makes Θ* exact (bounds.channel_loads): the busiest tenth of the links within 5% (or 5 sigma)
    from fabric.bounds import Demand, channel_loads, saturation_bound

    path = str(ROOT / "topologies" / f"{name}.toml")
    spec = load_spec(path, sets)
    core, net = make_core(spec)
    theta, how = saturation_bound(spec, core, net)
    assert how.startswith("exact") or how.startswith("channel-load")
    expected = channel_loads(core, net, Demand.of({"uniform": True}, net))
    rate = round(0.5 * theta, 3)
    cycles = 20_000
    result = fabric.simulate(path, overrides=sets + [f"traffic.injection_rate={rate}", "sim.warmup_cycles=1000",
                                                     f"sim.measure_cycles={cycles}", "sim.drain_cycles=0"],
                             stats="links", progress=False)
    links = result.tables["links"]
    link = links["kind"] == "link"
    port = links["port"][link]
    busiest = np.argsort(expected[port])[::-1][: max(1, len(port) // 10)]
    want = rate * expected[port[busiest]]
    measured = links["utilisation"][link][busiest]
    allowed = np.maximum(0.05 * want, 5 * np.sqrt(want / cycles))
    assert np.max(np.abs(measured - want) / allowed) < 1


def test_transpose_shows_its_hot_links():
    # dimension order under transpose turns every packet at the diagonal router of its row: the links into
    # and out of the corner routers (0,0) and (7,7) carry 7 flows each, the most of any link
    result = fabric.simulate(MESH, overrides=["traffic.pattern='transpose'", "traffic.injection_rate=0.1",
                                              "sim.warmup_cycles=1000", "sim.measure_cycles=20000"],
                             stats="links", progress=False)
    assert result.tables["links"]["utilisation"].max() <= 1
    summary = result.to_dict()["stats"]
    net = fabric.build_network(MESH)
    router = {tuple(c): r for r, c in enumerate(net.router_coords.tolist())}
    corner_links = {(router[(1, 0)], router[(0, 0)]), (router[(0, 0)], router[(0, 1)]),
                    (router[(6, 7)], router[(7, 7)]), (router[(7, 7)], router[(7, 6)])}
    top = summary["busiest_links"]
    assert len(top) == activity.BUSIEST
    assert {(link["router"], link["to_router"]) for link in top[:4]} == corner_links
    for link in top[:4]:
        assert link["utilisation"] == pytest.approx(0.7, rel=0.05)
    assert all(link["utilisation"] <= top[3]["utilisation"] for link in top[4:])
    # and the heat map has them: on each panel, its hottest cell is a router next to a corner of the diagonal
    from fabric.plot_stats import link_grids

    grids = link_grids(result.tables["links"], fabric.simulate(MESH, overrides=["sim.warmup_cycles=10",
                       "sim.measure_cycles=10"], stats="routers", progress=False).tables["routers"])
    hottest = {key: np.unravel_index(np.nanargmax(g), g.shape)[::-1] for key, g in grids.items()}   # (x, y)
    assert hottest == {(0, "+"): (6, 7), (0, "-"): (1, 0), (1, "+"): (0, 0), (1, "-"): (7, 7)}


def test_series_of_a_ring_all_reduce_shows_its_steps():
    # the accepted flits of a ring all-reduce rise and fall once per step of the ring: the series' strongest
    # period is the step time the workload reports
    result = fabric.simulate(str(ROOT / "examples" / "allreduce_ring.toml"), overrides=["stats.interval=4"],
                             stats="series", progress=False)
    steps = result.to_dict()["workload"]["steps"]
    step = np.mean([s["cycles"] for s in steps])
    series = result.tables["series"]
    accepted = series["accepted"] - series["accepted"].mean()
    spectrum = np.abs(np.fft.rfft(accepted))
    spectrum[0] = 0
    period = len(accepted) / np.argmax(spectrum) * 4
    assert period == pytest.approx(step, rel=0.05)
    delivered = (series["accepted"] * (series["end"] - series["start"])).sum() * result.to_dict()["topology"]["endpoints"]
    assert round(delivered) == result.to_dict()["flits"]["delivered"]


def test_summary_and_tables(tmp_path):
    result = fabric.simulate(MESH, overrides=["sim.warmup_cycles=200", "sim.measure_cycles=1000"], stats=True,
                             progress=False)
    d = result.to_dict()["stats"]
    assert set(result.tables) == set(activity.KINDS)
    assert d["window_cycles"] == 1000
    assert 0.9 < d["fairness"]["jain_accepted"] <= 1
    groups = d["link_utilisation"]["groups"]
    assert set(groups) == {"dim 0 +", "dim 0 -", "dim 1 +", "dim 1 -", "ejection"}
    assert groups["dim 0 +"]["links"] == 56 and sum(groups["dim 0 +"]["histogram"]) == 56
    assert len(d["worst_endpoints"]) == activity.WORST
    latencies = [e["latency_mean"] for e in d["worst_endpoints"]]
    assert latencies == sorted(latencies, reverse=True)
    json.dumps(d)                                           # plain JSON types only
    from fabric.table_files import write_tables

    files = write_tables(result.tables, tmp_path / "stats", fmt="csv")
    assert sorted(f.name for f in files) == ["endpoints.csv", "links.csv", "routers.csv", "series.csv"]
    header = (tmp_path / "stats" / "links.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["port", "router", "local_port", "kind"]


def test_jain():
    assert activity.jain([1, 1, 1, 1]) == 1
    assert activity.jain([1, 0, 0, 0]) == 0.25
    assert activity.jain([0, 0]) is None


def test_series_edges_follow_the_window():
    spec = {"sim": {"warmup_cycles": 250, "measure_cycles": 1000}}
    start, end = activity.series_edges(spec, 100, 15)
    assert start[:5].tolist() == [0, 50, 150, 250, 350] and end[:4].tolist() == [50, 150, 250, 350]
    assert 1250 in start and 1250 in end                   # an edge at the window's end
    assert (start[1:] == end[:-1]).all()


def test_without_stats_nothing_is_counted():
    core, _ = make_core(load_spec(MESH, ["sim.warmup_cycles=10", "sim.measure_cycles=10"]))
    core.run(20)
    assert core.activity() is None and core.series() is None
    assert "stats" not in fabric.simulate(MESH, overrides=["sim.warmup_cycles=10", "sim.measure_cycles=10"],
                                          progress=False).to_dict()


@pytest.mark.parametrize("topology, sets", [
    ("mesh8x8", []), ("torus8x8", ["topology.dims=[4,4,2]"]), ("dragonfly_p2a4h2", []), ("fattree_k4n3", []),
])
def test_pictures_of_a_stats_folder(tmp_path, topology, sets):
    pytest.importorskip("matplotlib")
    from fabric.plot_stats import plot_stats

    result = fabric.simulate(str(ROOT / "topologies" / f"{topology}.toml"),
                             overrides=sets + ["sim.warmup_cycles=100", "sim.measure_cycles=500"], stats=True,
                             progress=False)
    from fabric.table_files import write_tables

    write_tables(result.tables, tmp_path, fmt="csv")
    for what in ("links", "series"):
        plot_stats(tmp_path, tmp_path / f"{what}.png", what)
        assert (tmp_path / f"{what}.png").stat().st_size > 1000


def test_stats_on_the_command_line(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "fabric", "run", MESH, "--set", "sim.measure_cycles=300",
                          "--set", "sim.warmup_cycles=100", "--stats", "links,endpoints", "--stats-dir", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "busiest_links" in json.loads(run.stdout)["stats"]
    assert sorted(p.stem for p in out.iterdir()) == ["endpoints", "links"]
    bad = subprocess.run([sys.executable, "-m", "fabric", "run", MESH, "--stats", "links,bogus"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "error: --stats: unknown statistics bogus (known: links, routers, endpoints, series)"]
    picture = subprocess.run([sys.executable, "-m", "fabric", "plot", str(out), "--stats", "series",
                              "--output", str(tmp_path / "s.png")], capture_output=True, text=True)
    assert picture.returncode == 1 and "no series table" in picture.stderr


def test_energy_of_one_packet_is_the_hand_calculation(tmp_path):
    # one 1-flit message from router (0,0) to router (3,3) of a 4x4 mesh: 6 links, 7 routers; the
    # run is the message's life, so every event is inside the window
    (tmp_path / "one.csv").write_text("cycle,source,destination,size\n5,0,15,1\n")
    spec = {"topology": {"kind": "mesh", "dims": [4, 4]}, "traffic": {"pattern": "trace", "file": str(tmp_path / "one.csv"),
                                                                       "packet_size": 1},
            "energy": {"links": {"link": {"medium": "wire", "length_mm": 2.0}}}, "sim": {"clock_ghz": 2.0}}
    result = fabric.simulate(spec, stats=True, progress=False).to_dict()
    e = result["energy"]
    p = result["spec"]["energy"]
    cycles = result["stats"]["window_cycles"]             # the run, from cycle 0 to the tail's arrival
    bits = 128
    assert e["events"] == {"buffer_writes": 7, "buffer_reads": 7, "crossbar": 7, "vc_allocations": 7,
                           "sw_allocations": 7, "link_bits": {"link": 6 * bits}, "endpoint_bits": 2 * bits}
    dynamic = (7 * (p["buffer_write_pj"] + p["buffer_read_pj"] + p["crossbar_pj"] + p["sw_allocation_pj"]
                    + p["vc_allocation_pj"]) + 16 * cycles * p["clock_pj"]
               + 6 * bits * p["wire_pj_per_bit_mm"] * 2.0 + 2 * bits * p["endpoint_pj_per_bit"]) * 1e-12
    seconds = cycles / 2e9
    static = (16 * p["router_static_mw"] + (16 + 48) * p["port_static_mw"] + 48 * p["link_static_mw"]) * 1e-3 * seconds
    assert e["joules"] == pytest.approx(dynamic + static, rel=1e-5)
    assert e["seconds"] == pytest.approx(seconds)
    assert e["pj_per_bit"] == pytest.approx((dynamic + static) / 1e-12 / bits, rel=1e-5)
    assert sum(e["by_part"].values()) == pytest.approx(e["joules"], rel=1e-5)


def test_energy_scales_with_the_activity():
    # twice the load: the dynamic energy follows the events (about twice), the static part stays
    runs = [fabric.simulate(MESH, overrides=[f"traffic.injection_rate={rate}", "sim.warmup_cycles=500",
                                             "sim.measure_cycles=5000"], stats=True, progress=False).to_dict()["energy"]
            for rate in (0.1, 0.2)]
    low, high = runs
    assert high["by_part"]["static"] == low["by_part"]["static"]
    assert high["by_part"]["clock"] == low["by_part"]["clock"]
    for part, event in (("crossbar", "crossbar"), ("buffers", "buffer_writes")):
        ratio = high["by_part"][part] / low["by_part"][part]
        assert ratio == pytest.approx(high["events"][event] / low["events"][event], rel=0.01)
        assert 1.8 < ratio < 2.2


def test_describe_gives_the_static_side_and_cost():
    d = fabric.describe(str(ROOT / "topologies" / "dragonfly_p2a4h2.toml"),
                        overrides=["cost.switch=1000", "cost.port=10", "cost.links={global=300, local=50}"])
    s = d["static"]
    assert s["switches"] == 36 and s["ports"] == 36 * 7 and s["links_by_class"] == {"local": 108, "global": 72}
    total = 36 * 1000 + 252 * 10 + 72 / 2 * 300 + 108 / 2 * 50
    assert s["cost"]["total"] == total and s["cost"]["per_endpoint"] == pytest.approx(total / 72)
    assert s["bisection_gbps"] == d["bisection_links"]["count"] / 2 * 128
    assert s["cost"]["bisection_gbps_per_unit"] == pytest.approx(s["bisection_gbps"] / total, rel=1e-5)
    assert "cost" not in fabric.describe(MESH)["static"]
    with pytest.raises(fabric.FabricError, match="energy.links.global: a mesh has no link class"):
        fabric.describe(MESH, overrides=["energy.links={global={medium='optics'}}"])


def test_a_sweep_writes_a_folder_per_point(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "fabric", "sweep", MESH, "--vary", "traffic.injection_rate=0.1,0.2",
                          "--set", "sim.measure_cycles=300", "--set", "sim.warmup_cycles=100", "--jobs", "1",
                          "--stats-dir", str(tmp_path / "s")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    folders = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert folders == ["traffic.injection_rate=0.1", "traffic.injection_rate=0.2"]
    assert {line["stats_dir"] for line in lines} == {str(tmp_path / "s" / f) for f in folders}
    assert all("stats" in line and "energy" in line for line in lines)
    assert sorted(p.stem for p in (tmp_path / "s" / folders[0]).iterdir()) == sorted(activity.KINDS)


def test_parquet_tables_read_back(tmp_path):
    pytest.importorskip("pyarrow")
    from fabric.plot_stats import read_table
    from fabric.table_files import write_tables

    result = fabric.simulate(MESH, overrides=["sim.warmup_cycles=100", "sim.measure_cycles=300"], stats=True,
                             progress=False)
    files = write_tables(result.tables, tmp_path)
    assert sorted(f.suffix for f in files) == [".parquet"] * 4
    links = read_table(tmp_path, "links")
    assert np.array_equal(links["flits"], result.tables["links"]["flits"])
    assert list(links["group"][:2]) == list(result.tables["links"]["group"][:2])
