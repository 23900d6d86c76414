"""The spec loader: defaults, overrides, and that every problem is reported at once, each naming file and key."""
import io
import json
import math
import re
import sys

import pytest
from hypothesis import given, strategies as st

from fabric.errors import SpecError
from fabric.registry import Entry, routings, topologies
from fabric.spec import describe_schema, load_spec, resolve_spec, SECTIONS

DEFAULTS = {
    "topology": {"kind": "mesh", "dims": [8, 8], "concentration": 1},
    "router": {"vcs": 4, "vc_buffer": 8, "routing_delay": 1, "vc_alloc_delay": 1, "sw_alloc_delay": 1,
               "st_delay": 1, "alloc_iters": 1, "vc_allocator": "islip",
               "sw_allocator": "islip", "kind": "iq",
               "internal_speedup": 1.0, "output_buffer": -1, "classes": {}},
    "link": {"latency": 1, "cycles_per_flit": 1, "classes": {}, "flit_bytes": 16},
    "routing": {"algorithm": "dor", "torus_tie": "random"},
    "traffic": {"pattern": "uniform", "injection_rate": 0.1, "packet_size": 1, "process": "bernoulli",
                "burst_length": 8.0, "peak_rate": 1.0, "classes": {}, "allow_self": True},
    "sim": {"seed": 1, "warmup_cycles": 3000, "measure_cycles": 10000, "max_cycles": 10_000_000, "check": False, "deadlock_cycles": 10000,
            "drain_cycles": 10000, "clock_ghz": 1.0},
    "stats": {"interval": 100},
    "energy": {"buffer_write_pj": 3.38124, "buffer_read_pj": 3.1597, "crossbar_pj": 1.17159, "sw_allocation_pj": 0.1182228,
               "vc_allocation_pj": 0.0, "clock_pj": 0.555204, "router_static_mw": 0.444, "port_static_mw": 1.549,
               "link_static_mw": 0.0109, "link_medium": "wire", "wire_pj_per_bit_mm": 0.0323958, "wire_length_mm": 1.0,
               "serdes_pj_per_bit": 5.0, "optics_pj_per_bit": 21.25, "endpoint_pj_per_bit": 0.000621875, "links": {}},
    "cost": {"switch": 0.0, "port": 0.0, "links": {}},
    "faults": {"links": [], "link_fraction": 0.0, "link_class": "", "seed": 1, "switches": [], "planes": [],
               "degraded": [], "at_cycle": 0},
    "jobs": {},
}
PROBLEM = re.compile(r"^spec\.toml: (--set |--seed)?[a-z_]*(\.[a-z_]+)?(\[\d+\])?: \S")


@pytest.fixture
def write_spec(tmp_path, monkeypatch):
    """Write TOML text to ./spec.toml in a fresh directory and return the name the user would type."""
    monkeypatch.chdir(tmp_path)

    def write(text, name="spec.toml"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        return name

    return write


def problems_of(source, overrides=(), **kwargs):
    with pytest.raises(SpecError) as caught:
        load_spec(source, overrides, **kwargs)
    return caught.value.problems


# --- defaults and resolution ---------------------------------------------------------------------------


def test_minimal_spec_gets_every_default_in_order(write_spec):
    spec = load_spec(write_spec("[topology]\nkind = \"mesh\"\n"))
    assert spec == DEFAULTS
    assert list(spec) == ["topology", "router", "link", "routing", "traffic", "sim", "stats", "energy", "cost", "faults", "jobs"]
    assert {s: list(keys) for s, keys in spec.items()} == {s: list(keys) for s, keys in DEFAULTS.items()}


def test_empty_dict_resolves_to_defaults():
    assert resolve_spec({}) == DEFAULTS


def test_resolve_spec_is_idempotent_and_leaves_its_input_alone():
    data = {"topology": {"kind": "torus", "dims": [4, 4]}, "traffic": {"injection_rate": 1}}
    before = json.dumps(data)
    resolved = resolve_spec(data)
    assert json.dumps(data) == before
    assert resolve_spec(resolved) == resolved
    assert resolved["traffic"]["injection_rate"] == 1.0 and isinstance(resolved["traffic"]["injection_rate"], float)


def test_defaults_are_not_shared_between_specs():
    first = resolve_spec({})
    first["topology"]["dims"].append(8)
    assert resolve_spec({})["topology"]["dims"] == [8, 8]


def test_routing_algorithm_defaults_to_the_topology_kinds_own():
    spec = resolve_spec({"topology": {"kind": "torus"}})
    assert spec["routing"]["algorithm"] == topologies.get("torus").extra["default_routing"]


def test_spec_values_are_kept(write_spec):
    spec = load_spec(write_spec(
        "[topology]\nkind = \"torus\"\ndims = [4, 4, 4]\n[router]\nvcs = 2\n"
        "[traffic]\ninjection_rate = 0.35\npacket_size = 4\n[sim]\ndrain_cycles = 0\n"))
    assert spec["topology"] == {"kind": "torus", "dims": [4, 4, 4], "concentration": 1}
    assert spec["router"]["vcs"] == 2
    assert spec["traffic"]["injection_rate"] == 0.35 and spec["traffic"]["packet_size"] == 4
    assert spec["sim"]["drain_cycles"] == 0


# --- overrides ---------------------------------------------------------------------------------------


def test_overrides_are_read_as_toml_values_or_bare_strings(write_spec):
    spec = load_spec(write_spec("[router]\nvcs = 2\n"), [
        "topology.dims=[4,4]",
        "traffic.pattern=uniform",
        "router.vcs=6",
        "traffic.injection_rate=0.25",
        "traffic.allow_self=false",
        'routing.torus_tie="positive"',
    ])
    assert spec["topology"]["dims"] == [4, 4]
    assert spec["traffic"]["pattern"] == "uniform"
    assert spec["router"]["vcs"] == 6
    assert spec["traffic"]["injection_rate"] == 0.25
    assert spec["traffic"]["allow_self"] is False
    assert spec["routing"]["torus_tie"] == "positive"


def test_override_can_change_the_kind_and_its_keys(write_spec):
    spec = load_spec(write_spec("[topology]\ndims = [4, 4]\n"), ["topology.kind=torus", "router.vcs=2"])
    assert spec["topology"]["kind"] == "torus"


def test_seed_argument_replaces_sim_seed(write_spec):
    name = write_spec("[sim]\nseed = 5\n")
    assert load_spec(name, ["sim.seed=6"], seed=7)["sim"]["seed"] == 7
    assert load_spec(name)["sim"]["seed"] == 5


def test_bad_seed_argument_is_named(write_spec):
    assert problems_of(write_spec("[sim]\n"), seed=-1) == ["spec.toml: --seed: must be >= 0, got -1"]


def test_override_with_unknown_key_says_it_came_from_set(write_spec):
    assert problems_of(write_spec("[router]\n"), ["router.vc=2"]) == [
        "spec.toml: --set router.vc: unknown key (did you mean 'router.vcs'?)"]


def test_override_with_bad_value_says_it_came_from_set(write_spec):
    assert problems_of(write_spec("[router]\n"), ["topology.dims=[4,0]"]) == [
        "spec.toml: --set topology.dims[1]: must be >= 1, got 0"]


def test_override_into_unknown_section(write_spec):
    assert problems_of(write_spec("[router]\n"), ["rooter.vcs=2"]) == [
        "spec.toml: --set rooter: unknown section (did you mean 'router'?)"]


@pytest.mark.parametrize("override, expected", [
    ("router.vcs", "spec.toml: --set router.vcs: expected KEY=VALUE, e.g. --set router.vcs=2"),
    ("vcs=2", "spec.toml: --set vcs: KEY must be section.key, e.g. router.vcs (did you mean 'router.vcs'?)"),
    ("=2", "spec.toml: --set : KEY must be section.key, e.g. router.vcs"),
])
def test_malformed_overrides(write_spec, override, expected):
    [problem] = problems_of(write_spec("[router]\n"), [override])
    assert problem.startswith(expected)


# --- every problem at once ---------------------------------------------------------------------------


def test_three_mistakes_give_three_problems(write_spec):
    problems = problems_of(write_spec(
        "[router]\nvcs = 0\nvc_buffer = \"8\"\n[traffic]\ninjection_rate = 2.0\n"))
    assert problems == [
        "spec.toml: router.vcs: must be >= 1, got 0",
        'spec.toml: router.vc_buffer: must be an integer, got "8"',
        "spec.toml: traffic.injection_rate: must be <= 1, got 2.0",
    ]


def test_file_and_override_problems_are_reported_together(write_spec):
    problems = problems_of(write_spec("[router]\nvcs = 0\n[sim]\nwarmup = 5\n"), ["link.latency=0", "oops"])
    assert len(problems) == 4
    assert all(PROBLEM.match(p) for p in problems), problems


def test_unknown_key_suggests_the_closest(write_spec):
    assert problems_of(write_spec("[router]\nvc = 2\n")) == [
        "spec.toml: router.vc: unknown key (did you mean 'router.vcs'?)"]


def test_unknown_key_without_a_close_match_lists_the_known_ones(write_spec):
    [problem] = problems_of(write_spec("[link]\nspeed = 2\n"))
    assert problem == ("spec.toml: link.speed: unknown key "
                       "(known: link.bandwidth, link.classes, link.cycles_per_flit, link.flit_bytes, link.latency)")


def test_key_at_the_top_level_points_to_its_section(write_spec):
    assert problems_of(write_spec("seed = 2\n")) == ["spec.toml: seed: unknown section (did you mean 'sim.seed'?)"]


def test_section_that_is_not_a_table(write_spec):
    assert problems_of(write_spec("router = 4\n")) == ["spec.toml: router: must be a table, got 4"]


@pytest.mark.parametrize("line, expected", [
    ("[router]\nvcs = true", "router.vcs: must be an integer, got true"),
    ("[router]\nvcs = 2.0", "router.vcs: must be an integer, got 2.0"),
    ("[router]\nvcs = 65", "router.vcs: must be <= 64, got 65"),
    ("[traffic]\ninjection_rate = nan", "traffic.injection_rate: must be a finite number, got nan"),
    ("[traffic]\ninjection_rate = inf", "traffic.injection_rate: must be a finite number, got inf"),
    ("[traffic]\ninjection_rate = -0.1", "traffic.injection_rate: must be >= 0, got -0.1"),
    ("[traffic]\ninjection_rate = \"0.1\"", 'traffic.injection_rate: must be a number, got "0.1"'),
    ("[traffic]\nprocess = \"poisson\"",
     'traffic.process: must be one of "bernoulli", "periodic", "on_off", got "poisson"'),
    ("[traffic]\nallow_self = 1", "traffic.allow_self: must be true or false, got 1"),
    ("[topology]\ndims = 4", "topology.dims: must be a list of integers, got 4"),
    ("[topology]\ndims = []", "topology.dims: must have at least 1 element"),
    ("[topology]\ndims = [4, \"4\"]", 'topology.dims[1]: must be an integer, got "4"'),
    ("[topology]\nkind = 3", "topology.kind: must be a string, got 3"),
    ("[sim]\nseed = 9223372036854775808", "sim.seed: must be <= 9223372036854775807, got 9223372036854775808"),
    ("[sim]\nmeasure_cycles = 0", "sim.measure_cycles: must be >= 1, got 0"),
    ("[router]\nvcs = {a = 1}", "router.vcs: must be an integer, got a table"),
])
def test_value_problems(write_spec, line, expected):
    assert problems_of(write_spec(line + "\n")) == [f"spec.toml: {expected}"]


def test_float_keys_accept_integers(write_spec):
    assert load_spec(write_spec("[traffic]\ninjection_rate = 1\n"))["traffic"]["injection_rate"] == 1.0


# --- kinds and cross-checks --------------------------------------------------------------------------


def test_unknown_topology_kind_still_reports_other_sections_without_spurious_keys(write_spec):
    problems = problems_of(write_spec(
        "[topology]\nkind = \"meshh\"\ndims = [4, 4]\n[router]\nvcs = 0\n"))
    assert problems == [
        "spec.toml: topology.kind: unknown topology kind 'meshh' (did you mean 'mesh'?)",
        "spec.toml: router.vcs: must be >= 1, got 0",
    ]


def test_unknown_routing_algorithm_and_pattern(write_spec):
    problems = problems_of(write_spec(
        "[routing]\nalgorithm = \"xy\"\ntorus_tie = \"random\"\n[traffic]\npattern = \"unifrom\"\nallow_self = 1\n"))
    assert problems[0].startswith("spec.toml: routing.algorithm: unknown routing algorithm 'xy'")
    assert problems[1] == "spec.toml: traffic.pattern: unknown traffic pattern 'unifrom' (did you mean 'uniform'?)"
    assert len(problems) == 2


def test_kind_keys_are_checked_against_the_kind(write_spec):
    assert problems_of(write_spec("[traffic]\nallow_self = true\nallowself = true\n")) == [
        "spec.toml: traffic.allowself: unknown key (did you mean 'traffic.allow_self'?)"]


def test_torus_with_one_vc_is_refused_with_the_reason(write_spec):
    [problem] = problems_of(write_spec("[topology]\nkind = \"torus\"\n[router]\nvcs = 1\n"))
    assert problem.startswith("spec.toml: router.vcs: a torus needs at least 2 VCs (")
    assert problem.endswith("), got 1")


def test_routing_that_does_not_support_the_topology_names_what_it_supports(write_spec, monkeypatch):
    fat_tree_only = Entry("nca_test", lambda *a: None, (), "test", {"topologies": ("fat_tree",)})
    monkeypatch.setitem(routings._entries, "nca_test", fat_tree_only)
    assert problems_of(write_spec("[routing]\nalgorithm = \"nca_test\"\n")) == [
        "spec.toml: routing.algorithm: 'nca_test' does not route topology 'mesh' (it supports: fat_tree)"]


# --- reading -----------------------------------------------------------------------------------------


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"[router]\nvcs = 3\n")))
    assert load_spec("-")["router"]["vcs"] == 3


def test_stdin_problems_name_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("[router]\nvcs = 0\n"))
    assert problems_of("-") == ["<stdin>: router.vcs: must be >= 1, got 0"]


def test_path_objects_are_accepted(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text("[link]\nlatency = 3\n")
    assert load_spec(path)["link"]["latency"] == 3


@pytest.mark.parametrize("content, expected", [
    (b"", ["spec.toml: empty spec"]),
    (b"  \n\t\n", ["spec.toml: empty spec"]),
    (b"[router]\nvcs = \"\xff\"\n", ["spec.toml: not valid UTF-8 (byte 0xff on line 2)"]),
    # the rest of the line is tomllib's own message, which may change between Python versions
    (b"[router\n", ["spec.toml: invalid TOML: ", "line 1"]),
    (b"[router]\nvcs = 2\nvcs = 3\n", ["spec.toml: invalid TOML: ", "line 3", "a key or table is defined twice"]),
    (b"[router]\n[router]\n", ["spec.toml: invalid TOML: ", "line 2", "a key or table is defined twice"]),
])
def test_unreadable_content(tmp_path, monkeypatch, content, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.toml").write_bytes(content)
    [problem] = problems_of("spec.toml")
    assert problem.startswith(expected[0])
    assert all(part in problem for part in expected[1:])


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(b"\xef\xbb\xbf[router]\nvcs = 2\n")
    assert load_spec(path)["router"]["vcs"] == 2


def test_missing_file_and_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    assert problems_of("nope.toml") == ["nope.toml: no such file"]
    assert problems_of("specs") == ["specs: is a directory, not a spec file"]


# --- schema and properties ---------------------------------------------------------------------------


def test_describe_schema_documents_every_key_and_kind():
    schema = describe_schema()
    json.dumps(schema)
    assert list(schema) == list(SECTIONS)
    for section, params in SECTIONS.items():
        assert [p.name for p in params] == list(schema[section]["keys"])
        for info in schema[section]["keys"].values():
            assert info["doc"] and info["type"]
    assert set(schema["topology"]["kinds"]) == set(topologies.names())
    assert set(schema["routing"]["kinds"]) == set(routings.names())
    for section in ("topology", "routing", "traffic"):
        for kind in schema[section]["kinds"].values():
            assert kind["doc"]
            assert all(info["doc"] for info in kind["keys"].values())


@given(vcs=st.integers(-5, 100), rate=st.floats(allow_nan=True, allow_infinity=True))
def test_resolution_keeps_valid_values_and_names_invalid_ones(vcs, rate):
    data = {"router": {"vcs": vcs}, "traffic": {"injection_rate": rate}}
    valid = 1 <= vcs <= 64 and math.isfinite(rate) and 0 <= rate <= 1
    if valid:
        spec = resolve_spec(data, "s.toml")
        assert (spec["router"]["vcs"], spec["traffic"]["injection_rate"]) == (vcs, rate)
        assert resolve_spec(spec) == spec
    else:
        with pytest.raises(SpecError) as caught:
            resolve_spec(data, "s.toml")
        assert all(p.startswith(("s.toml: router.vcs: ", "s.toml: traffic.injection_rate: "))
                   for p in caught.value.problems)


# --- fuzz: whatever the spec holds, the loader returns a spec or raises SpecError, nothing else --------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fabric.spec import SECTIONS  # noqa: E402

_keys = st.sampled_from(sorted({p.name for params in SECTIONS.values() for p in params}
                               | {"kind", "dims", "algorithm", "pattern", "file", "pod", "classes", "x", ""}))
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                     st.text(max_size=8), st.sampled_from(["mesh", "torus", "graph", "composite", "uniform", "dor"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_keys, inner, max_size=4)), max_leaves=12)
_specs = st.dictionaries(st.sampled_from(list(SECTIONS) + ["junk"]),
                         st.one_of(st.dictionaries(_keys, _values, max_size=6), _scalars), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_specs)
def test_fuzzed_specs_never_crash_the_loader(data):
    try:
        resolved = resolve_spec(data)
    except SpecError as error:
        assert error.problems and all(p.startswith("<spec>: ") for p in error.problems)
    else:
        assert list(resolved) == list(SECTIONS)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_fuzzed_bytes_never_crash_the_loader(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "spec.toml"
    path.write_bytes(raw)
    try:
        load_spec(str(path))
    except SpecError as error:
        assert error.problems
