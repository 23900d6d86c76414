"""The cycle-accurate core on small networks: exact zero-load latencies, conservation, credits,
determinism, hop counts and throughput."""
import json

import numpy as np
import pytest

import fabric
from fabric.build import make_core
from fabric.spec import resolve_spec

from conftest import make_spec


def run(**kw):
    return fabric.simulate(make_spec(**kw), progress=False).to_dict()


def without_timing(result):
    out = dict(result)
    out.pop("timing")
    return json.dumps(out, sort_keys=True)


# ---------------------------------------------------------------- exact latencies
# A packet created at t reaches its first router's buffer at t+2, spends rd+va+sa+st cycles in each of
# the H routers it crosses, L cycles on each of the H-1 links between them and 1 on the ejection channel;
# P flits add P-1 (the reference README's T0 = 5H + 2 for the mesh, 6H + 1 for the torus).

def zero_load(h, latency=1, stages=4, size=1):
    return 2 + stages * h + latency * (h - 1) + 1 + size - 1


def test_single_router_latency_is_exact_at_any_load():
    # one router, one endpoint sending to itself: nothing can contend, so every packet takes T0
    for rate in (0.05, 0.5, 0.95):
        r = run(dims=[1], rate=rate, warmup=100, measure=2000)
        assert r["latency"]["packet"] == {"mean": 7.0, "p50": 7, "p99": 7, "max": 7}
        assert r["hops"]["mean"] == 0.0


@pytest.mark.parametrize("kind,latency,router,size,expected", [
    ("mesh", 1, {}, 1, zero_load(2)),                                   # 12 = 5H + 2
    ("mesh", 3, {}, 1, zero_load(2, latency=3)),                        # longer link
    ("mesh", 1, {"routing_delay": 3}, 1, zero_load(2, stages=6)),       # longer pipeline
    ("mesh", 1, {"st_delay": 2, "vc_alloc_delay": 2}, 1, zero_load(2, stages=6)),
    ("mesh", 1, {}, 4, zero_load(2, size=4)),                           # serialization
    ("torus", 2, {}, 1, zero_load(2, latency=2)),                       # 13 = 6H + 1
])
def test_two_router_zero_load_latency(kind, latency, router, size, expected):
    # two routers, each endpoint sends only to the other: the typical packet sees no contention
    r = run(kind=kind, dims=[2], rate=0.02, size=size, latency=latency, allow_self=False,
            warmup=200, measure=5000, router=router)
    assert r["latency"]["packet"]["p50"] == expected
    assert r["hops"]["mean"] == 1.0
    assert expected <= r["latency"]["packet"]["mean"] < expected + 0.2


def test_mesh8x8_zero_load_matches_the_analytic_value():
    # uniform traffic with self-traffic on an 8x8 mesh: mean hops 5.25, T0 = 5 * 6.25 + 2 = 33.25
    r = run(rate=0.005, measure=20000)
    assert r["hops"]["mean"] == pytest.approx(5.25, abs=0.1)
    t0 = zero_load(r["hops"]["mean"] + 1)
    assert t0 <= r["latency"]["packet"]["mean"] < t0 + 0.3


# ---------------------------------------------------------------- conservation and credits

CASES = [
    dict(kind="mesh", dims=[4, 4], rate=0.2),
    dict(kind="mesh", dims=[8, 8], rate=1.0, size=4),                  # far past saturation
    dict(kind="mesh", dims=[3, 2, 2], rate=0.3, concentration=2),
    dict(kind="torus", dims=[4, 4], rate=0.3, latency=2),
    dict(kind="torus", dims=[5, 3], rate=0.8, size=3),                  # odd ring, saturated
    dict(kind="torus", dims=[4, 4, 4], rate=0.2, vcs=2, buffer=2),
    dict(kind="torus", dims=[6], rate=0.5, routing={"torus_tie": "positive"}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['kind']}{c['dims']}@{c['rate']}")
def test_every_flit_is_accounted_for_and_credits_balance(case):
    spec = resolve_spec(make_spec(warmup=300, measure=1500, drain=0, **case))
    core, net = make_core(spec)
    for until in (17, 400, 1800):  # check mid-run too, not only at the end
        core.run(until)
        c = core.counters()
        assert c["created_flits"] == c["delivered_flits"] + core.flits_in_network() + c["source_flits"]
        assert c["injected_flits"] == c["delivered_flits"] + core.flits_in_network()
        assert core.check_credits()
        occupancy = core.buffer_occupancy()
        assert occupancy.min() >= 0 and occupancy.max() <= spec["router"]["vc_buffer"]


def test_result_reports_conservation():
    r = run(rate=0.6, measure=2000, drain=0)
    f = r["flits"]
    assert f["created"] == f["delivered"] + f["in_network"] + f["in_source_queues"]
    assert r["saturated"] and r["status"] == "saturated"


# ---------------------------------------------------------------- determinism

def test_same_seed_gives_the_same_bytes_and_another_seed_does_not():
    a = run(kind="torus", dims=[4, 4], rate=0.3, measure=1000)
    b = run(kind="torus", dims=[4, 4], rate=0.3, measure=1000)
    c = run(kind="torus", dims=[4, 4], rate=0.3, measure=1000, seed=2)
    assert without_timing(a) == without_timing(b)
    assert without_timing(a) != without_timing(c)


@pytest.mark.parametrize("case", [
    dict(kind="torus", dims=[4, 4], rate=0.6, size=4, buffer=3),                 # saturated, wormhole
    dict(kind="mesh", dims=[5, 3], rate=0.3, size=2, buffer=2, concentration=2),
    dict(kind="torus", dims=[3, 3, 3], rate=0.2, size=1, router={"sw_alloc_delay": 2}),
])
def test_the_general_router_step_gives_what_the_plain_one_gives(monkeypatch, case):
    # the core has two compiled copies of its router step; meshes and tori with one-cycle route and VC
    # allocation stages run the Plain one. Forcing the General one must not change a byte
    import fabric.simulation as simulation

    spec = make_spec(warmup=300, measure=600, drain=3000, **case)
    plain = fabric.simulate(spec, progress=False).to_dict()
    original = simulation.make_core

    def general_core(*args, **kwargs):
        core, net = original(*args, **kwargs)
        assert core.plain
        core.plain = False
        return core, net

    monkeypatch.setattr(simulation, "make_core", general_core)
    general = fabric.simulate(spec, progress=False).to_dict()
    assert plain["throughput"]["accepted"] > 0.05
    assert without_timing(plain) == without_timing(general)


# ---------------------------------------------------------------- routing

def mean_ring_distance(k, wrap):
    d = np.abs(np.arange(k)[:, None] - np.arange(k)[None, :])
    return float(np.minimum(d, k - d).mean() if wrap else d.mean())


@pytest.mark.parametrize("kind,dims", [("mesh", [8, 8]), ("mesh", [5, 3, 2]), ("torus", [8, 8]),
                                       ("torus", [5, 4, 3])])
def test_dimension_order_routes_are_minimal(kind, dims):
    # mean hops of uniform traffic (self included) equals the mean minimal distance
    r = run(kind=kind, dims=dims, rate=0.02, measure=20000)
    expected = sum(mean_ring_distance(k, kind == "torus") for k in dims)
    assert r["hops"]["mean"] == pytest.approx(expected, rel=0.02)


def test_torus_tie_rule_changes_routes_but_not_hop_counts():
    a = run(kind="torus", dims=[4], rate=0.2, measure=5000)
    b = run(kind="torus", dims=[4], rate=0.2, measure=5000, routing={"torus_tie": "positive"})
    assert a["hops"]["mean"] == pytest.approx(b["hops"]["mean"], rel=0.05)
    assert without_timing(a) != without_timing(b)


# ---------------------------------------------------------------- throughput and measurement

@pytest.mark.parametrize("kind,latency,loads", [("mesh", 1, (0.1, 0.2, 0.3)), ("torus", 2, (0.1, 0.25, 0.4))])
def test_accepted_equals_offered_below_saturation(kind, latency, loads):
    for load in loads:
        r = run(kind=kind, latency=latency, rate=load, measure=5000)
        assert not r["saturated"]
        assert r["throughput"]["accepted"] == pytest.approx(load, rel=0.02)
        assert r["packets"]["delivered"] == r["packets"]["measured"]


def test_overload_is_reported_as_saturated_with_what_was_measured():
    r = run(rate=0.7, measure=2000)
    assert r["status"] == "saturated" and r["saturated"]
    assert r["saturation_reasons"]
    assert 0.3 < r["throughput"]["accepted"] < 0.5        # mesh 8x8 sustains about 0.4 (BookSim: 0.41)
    assert r["latency"]["packet"]["mean"] > 100


def test_no_traffic():
    r = run(rate=0.0, measure=500)
    assert r["status"] == "ok"
    assert r["packets"] == {"measured": 0, "delivered": 0}
    assert r["latency"]["packet"] == {"mean": None, "p50": None, "p99": None, "max": None}
    assert r["throughput"]["accepted"] == 0.0


def test_percentile_is_the_nearest_rank():
    from fabric.traffic._messages import nearest_rank as _percentile

    hist = np.array([0, 3, 0, 5, 1, 1])          # latencies 1, 1, 1, 3, 3, 3, 3, 3, 4, 5 (n = 10)
    assert _percentile(hist, 10, 0.30) == 1      # rank 3
    assert _percentile(hist, 10, 0.31) == 3      # rank ceil(3.1) = 4
    assert _percentile(hist, 10, 0.50) == 3
    assert _percentile(hist, 10, 0.90) == 4      # rank 9
    assert _percentile(hist, 10, 0.99) == 5      # rank ceil(9.9) = 10
    assert _percentile(hist, 0, 0.5) is None


def test_percentiles_are_nearest_rank_of_the_histogram():
    spec = resolve_spec(make_spec(dims=[4, 4], rate=0.3, measure=2000))
    r = fabric.simulate(spec, progress=False).to_dict()
    # the same run, stepped by hand, and its histogram's latencies sorted out one by one
    core, _ = make_core(spec)
    s = spec["sim"]
    end = s["warmup_cycles"] + s["measure_cycles"]
    core.run(end)
    core.run(end + s["drain_cycles"], True)
    hist_packet, hist_network = core.histograms()
    for hist, lat in ((hist_packet, r["latency"]["packet"]), (hist_network, r["latency"]["network"])):
        samples = np.repeat(np.arange(len(hist)), hist)
        n = len(samples)
        assert n == r["packets"]["delivered"]
        assert lat["p50"] == samples[int(np.ceil(0.50 * n)) - 1]
        assert lat["p99"] == samples[int(np.ceil(0.99 * n)) - 1]
        assert lat["max"] == samples[-1]
        assert lat["mean"] == pytest.approx(samples.mean(), abs=1e-6)


def test_drain_limit_marks_the_run_saturated():
    r = run(rate=0.9, measure=1000, drain=10)
    assert r["saturated"]
    assert "did not drain" in " ".join(r["saturation_reasons"])
    assert r["packets"]["delivered"] < r["packets"]["measured"]


def test_the_core_is_told_every_setting_by_name():
    import dataclasses

    from fabric.core_config import CoreConfig
    from fabric.build import prepare

    _, _, _, _, cfg = prepare(resolve_spec(make_spec(dims=[4, 4])))
    assert isinstance(cfg, CoreConfig)
    fields = {f.name for f in dataclasses.fields(CoreConfig)}
    with pytest.raises(TypeError, match="missing 1 required"):
        CoreConfig(**{k: getattr(cfg, k) for k in fields - {"vcs"}})
    with pytest.raises(TypeError, match="unexpected keyword argument 'vc'"):
        CoreConfig(**{k: getattr(cfg, k) for k in fields}, vc=4)
