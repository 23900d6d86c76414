"""Every random path choice is a fair draw for each packet: Valiant's intermediate group, the ECMP and
up*/down* ports and the plane. The flits each path carried are counted in the core (port counters), for
one flow, at low load (one packet in flight at a time, so the packet pool reuses the same slot) and at
high load, and the spread passes a chi-square test of uniformity at significance ALPHA. The seeds are
fixed, so each test is repeatable; ALPHA says how unlikely a fair draw is to fail it."""
import math

import numpy as np
import pytest

from fabric.build import make_core
from fabric.spec import load_spec, resolve_spec

from conftest import ROOT

ALPHA = 0.001
RING = str(ROOT / "tests" / "specs" / "graph_ring6.csv")


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for X chi-square with df degrees of freedom: 1 - P(df/2, x/2), the regularized lower
    incomplete gamma function by its power series (Numerical Recipes, 6.2)."""
    a, z = df / 2, x / 2
    if z <= 0:
        return 1.0
    term = total = 1 / a
    n = 1
    while term > total * 1e-15:
        term *= z / (a + n)
        total += term
        n += 1
    return max(0.0, 1 - total * math.exp(-z + a * math.log(z) - math.lgamma(a)))


def uniformity_p(counts, expected_shares=None) -> float:
    counts = np.asarray(counts, float)
    shares = np.full(len(counts), 1 / len(counts)) if expected_shares is None else np.asarray(expected_shares)
    expected = counts.sum() * shares
    return chi2_sf(float(((counts - expected) ** 2 / expected).sum()), len(counts) - 1)


def test_chi2_sf_matches_tables():
    # critical values at 0.001 from standard tables (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.4)
    for df, critical in ((1, 10.828), (7, 24.322), (17, 40.790)):
        assert chi2_sf(critical, df) == pytest.approx(0.001, rel=2e-3)


def one_flow(tmp_path, source, dest, rate, **sections):
    """A spec where only `source` sends, to `dest`, at `rate` flits per cycle."""
    matrix = tmp_path / "flow.csv"
    matrix.write_text(f"{source},{dest},1\n")
    spec = {"traffic": {"pattern": "matrix", "file": str(matrix), "injection_rate": rate},
            "sim": {"warmup_cycles": 0, "measure_cycles": 1000, "drain_cycles": 0}}
    for section, values in sections.items():
        spec.setdefault(section, {}).update(values)
    return resolve_spec(spec)


def counted(spec, cycles):
    core, net = make_core(spec, count_ports=True)
    core.run(cycles)
    return core, net, core.port_flit_counts()


DRAGONFLY = {"kind": "dragonfly", "p": 2, "a": 4, "h": 2}          # 9 groups of 4 routers, 72 endpoints


@pytest.mark.parametrize("rate, cycles", [(0.01, 150_000), (1.0, 3_000)], ids=["low", "high"])
def test_valiant_intermediate_group_is_uniform_per_packet(tmp_path, rate, cycles):
    # endpoint 0 (group 0) to endpoint 8 (router 4, group 1): the intermediate group X is uniform over
    # the 9 groups; X = 0 or 1 is the minimal path, over the one global link from group 0 to group 1,
    # and each other X leaves group 0 over its own global link (router (X-1)//2, port p+a-1+(X-1)%2)
    spec = one_flow(tmp_path, 0, 8, rate, topology=DRAGONFLY, routing={"algorithm": "valiant"}, router={"vcs": 6})
    _, net, flits = counted(spec, cycles)
    out = [int(flits[net.port_indptr[(x - 1) // 2] + 5 + (x - 1) % 2]) for x in range(1, 9)]
    assert sum(out) >= 1000
    # 7 packets in 9 pass through a third group
    assert uniformity_p(out, [2 / 9] + [1 / 9] * 7) > ALPHA, out


@pytest.mark.parametrize("rate, cycles", [(0.01, 150_000), (1.0, 2_000)], ids=["low", "high"])
@pytest.mark.parametrize("algorithm", ["ecmp", "updown"])
def test_ring_pair_spreads_over_both_shortest_paths(tmp_path, algorithm, rate, cycles):
    # router 0 to router 3 of a 6-router ring: two paths of 3 hops (up*/down* rooted at 0: both go down)
    spec = one_flow(tmp_path, 0, 3, rate, topology={"kind": "graph", "file": RING},
                    routing={"algorithm": algorithm})
    _, net, flits = counted(spec, cycles)
    links = [q for q in range(net.port_indptr[0], net.port_indptr[1]) if net.port_kind[q] == 1]
    out = [int(flits[q]) for q in links]
    assert len(out) == 2 and sum(out) >= 1000
    assert uniformity_p(out) > ALPHA, out


@pytest.mark.parametrize("policy", ["hash", "random"])
def test_plane_is_uniform_per_packet_at_low_load(tmp_path, policy):
    spec = load_spec(str(ROOT / "topologies" / "nvl72_like.toml"), [f"topology.plane_policy={policy!r}"])
    flow = one_flow(tmp_path, 0, 5, 0.01)
    spec["traffic"], spec["sim"] = flow["traffic"], flow["sim"]
    _, net, flits = counted(spec, 120_000)
    out = flits[net.endpoint_planes[5]]                 # endpoint 5's ejection port in each plane
    assert out.sum() >= 1000
    assert uniformity_p(out) > ALPHA, out


@pytest.mark.parametrize("policy", ["hash", "random"])
def test_plane_is_uniform_per_packet_at_high_load(policy):
    # a permutation at 0.9: each destination hears from one source, so its ejection ports count one flow
    spec = load_spec(str(ROOT / "topologies" / "nvl72_like.toml"),
                     [f"topology.plane_policy={policy!r}", "traffic.pattern='random_permutation'",
                      "traffic.injection_rate=0.9"])
    _, net, flits = counted(spec, 2_500)
    per_flow = flits[net.endpoint_planes]               # (destination, plane)
    assert per_flow[0].sum() >= 1000
    for dest in (0, 1, 2):
        assert uniformity_p(per_flow[dest]) > ALPHA, per_flow[dest]
    # and the planes' shares of all the traffic are even
    assert uniformity_p(per_flow.sum(axis=0)) > ALPHA


# Θ* is called exact for the oblivious routings because the walk splits each flow evenly over the ways
# a routing's draws can take. With per-packet draws that is what the network does: the flits each link
# carries in a long run at half of Θ* match the walk's expected loads, on the busiest tenth of the links.
OBLIVIOUS_PRESETS = [("mesh8x8", []), ("torus8x8", []), ("fattree_k4n3", []),
                     ("clos_r16", ["routing.algorithm='nca'"]), ("clos3_r16", []), ("hyperx4x4x4", []),
                     ("dragonfly_p2a4h2", []), ("petersen", []), ("petersen", ["routing.algorithm='updown'"]),
                     ("nvl72_like", []), pytest.param("ubmesh_like", [], marks=pytest.mark.slow)]


@pytest.mark.parametrize("name, sets", OBLIVIOUS_PRESETS, ids=lambda x: x if isinstance(x, str) else "-".join(x))
def test_measured_channel_loads_match_the_even_split(name, sets):
    from fabric.bounds import Demand, channel_loads, saturation_bound
    from fabric.network import PORT_LINK

    spec = load_spec(str(ROOT / "topologies" / f"{name}.toml"), sets)
    core, net = make_core(spec)
    theta, how = saturation_bound(spec, core, net)
    expected = channel_loads(core, net, Demand.of({"uniform": True}, net))
    rate = round(0.5 * theta, 3) if not how.startswith("upper bound") else 0.1     # below saturation
    if net.planes > 1:          # one switch per plane: the channels that split are the ejection channels
        expected = np.zeros(net.n_ports)
        expected[net.endpoint_planes.ravel()] = 1 / net.planes
        links = net.endpoint_planes.ravel()
    spec = load_spec(str(ROOT / "topologies" / f"{name}.toml"), sets + [f"traffic.injection_rate={rate}"])
    core, net = make_core(spec, count_ports=True)
    warm, cycles = 1000, 12_000 if net.n_endpoints >= 512 else 30_000
    core.run(warm)
    before = core.port_flit_counts()
    core.run(warm + cycles)
    measured = (core.port_flit_counts() - before) / cycles
    if net.planes == 1:
        links = np.flatnonzero(net.port_kind == PORT_LINK)
    busiest = links[np.argsort(expected[links])[::-1][: max(1, len(links) // 10)]]
    want = rate * expected[busiest]
    # within 5%, or five standard deviations of the count where a link's count is small (over up to
    # 1,600 links, a fair split passes 5 sigma with probability 0.999)
    allowed = np.maximum(0.05 * want, 5 * np.sqrt(want / cycles))
    worst = np.max(np.abs(measured[busiest] - want) / allowed)
    assert worst < 1, (worst, (measured[busiest] / want).min(), (measured[busiest] / want).max())


@pytest.mark.parametrize("rate, cycles", [(0.01, 150_000), (1.0, 3_000)], ids=["low", "high"])
def test_romm_intermediate_router_is_uniform_per_packet(tmp_path, rate, cycles):
    # router (0,0) to router (3,3) of a 4x4 mesh: the intermediate (x, y) is uniform over all 16 routers.
    # Phase 0 goes along row 0 to column x, then up it to y; phase 1 along row y to column 3, then up.
    # So the + y link out of (x, 0), x < 3, carries the packets of column x with y >= 1 (3 in 16 each),
    # and the + x link out of (0, y), y >= 1, those of (0, y) alone (1 in 16 each)
    spec = one_flow(tmp_path, 0, 15, rate, topology={"kind": "mesh", "dims": [4, 4]}, routing={"algorithm": "romm"})
    core, net, flits = counted(spec, cycles)
    c = core.counters()
    assert c["sum_hops"] == 6 * c["measured_delivered"] > 0      # every path minimal
    router = {tuple(c): r for r, c in enumerate(net.router_coords.tolist())}
    plus_x, plus_y = 0, 2                                   # local ports: 2d is dimension d's + way
    port = lambda xy, local: int(flits[net.port_indptr[router[xy]] + local])
    total = port((0, 0), plus_x) + port((0, 0), plus_y)
    assert total >= 1000
    turns = [port((x, 0), plus_y) for x in range(3)]
    assert uniformity_p(turns + [total - sum(turns)], [3 / 16] * 3 + [7 / 16]) > ALPHA, (turns, total)
    rows = [port((0, y), plus_x) for y in (1, 2, 3)]
    assert uniformity_p(rows) > ALPHA, rows
    assert sum(rows) == pytest.approx(3 / 16 * total, rel=0.2)
