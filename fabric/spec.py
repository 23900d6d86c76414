"""Load, override and validate a TOML spec into the fully resolved dict a run is built from.

The schema is declarative: one `Param` table per section here, plus the table each registered topology,
routing algorithm and traffic pattern declares, so a new kind adds its keys without editing this file.
Validation collects every problem before raising one `SpecError`, each problem phrased
``file: dotted.key: message`` so the user can fix a spec in one pass.

A routing algorithm lists the topology kinds it works on in its registry entry (``topologies=(...)``);
one that lists none works on any topology.

This module must not import numpy: the CLI imports it on every start.
"""
from __future__ import annotations

import copy
import difflib
import json
import math
import numbers
import os
import sys
import tomllib

from . import topologies, traffic  # noqa: F401  (importing them registers the built-in kinds and routings)
from .errors import FabricError, SpecError
from .params import Param
from .registry import routings, topologies as topology_kinds, traffic_patterns

__all__ = ["load_spec", "resolve_spec", "describe_schema", "SECTIONS"]

PIPELINE_STAGE_DOC = "cycles, each pipeline stage"
ALLOCATOR_NAMES = ("islip", "separable_input_first", "separable_output_first", "wavefront", "pim", "max_size")
ALLOCATOR_DOC = ("BookSim's allocators of those names: islip (separable, router.alloc_iters iterations), "
                 "separable_input_first, separable_output_first, wavefront, pim (random, router.alloc_iters "
                 "iterations), max_size (a maximum matching); docs/switches.md")
MAX_CYCLES = 10**12  # far beyond any feasible run; keeps cycle sums well inside int64
MAX_THREADS = 256    # --threads / simulate(threads=): OpenMP threads for the routers of a cycle

TOPOLOGY = (
    Param("kind", "str", "mesh", "topology kind; each kind documents its own keys"),
)
ROUTER_KEYS = (
    Param("vcs", "int", 4, "virtual channels per input port", min=1, max=64),
    Param("vc_buffer", "int", 8, "flits of buffer per VC", min=1, max=4096),
    Param("routing_delay", "int", 1, PIPELINE_STAGE_DOC, min=1, max=1000),
    Param("vc_alloc_delay", "int", 1, PIPELINE_STAGE_DOC, min=1, max=1000),
    Param("sw_alloc_delay", "int", 1, PIPELINE_STAGE_DOC, min=1, max=1000),
    Param("st_delay", "int", 1, PIPELINE_STAGE_DOC, min=1, max=1000),
    Param("alloc_iters", "int", 1, "iterations of the islip and pim allocators (BookSim's islip(N), pim(N); its "
          "alloc_iters key never reaches the router, docs/booksim-router.md)", min=1, max=64),
    Param("vc_allocator", "str", "islip", "VC allocator: " + ALLOCATOR_DOC, choices=ALLOCATOR_NAMES),
    Param("sw_allocator", "str", "islip", "switch allocator: " + ALLOCATOR_DOC, choices=ALLOCATOR_NAMES),
    Param("kind", "str", "iq", "iq: input-queued (BookSim's iq_router: VC and switch allocation, flits wait in "
          "input buffers); oq: output-queued (SuperSim's output_queued: no switch allocation, every flit that "
          "can crosses the switch into its output VC's queue; docs/switches.md)", choices=("iq", "oq")),
    Param("internal_speedup", "float", 1.0, "the router core runs this many internal steps per channel cycle "
          "(BookSim's internal_speedup; 1.5 alternates 1 and 2); above 1 flits wait in output queues",
          min=1.0, max=16.0),
    Param("output_buffer", "int", -1, "iq with internal_speedup above 1: most flits an output port's queue "
          "holds (BookSim's output_buffer_size); oq: most flits each output VC's queue holds (SuperSim's "
          "output_queue_depth); -1: unbounded (the default of both)", min=-1, max=1 << 24),
)
ROUTER = ROUTER_KEYS + (
    Param("classes", "tables", {},
          "per router class (the names the topology gives its routers: leaf and spine of a clos or fat_tree, "
          "pod and spine of a composite, router elsewhere): a table of router keys replacing the defaults for "
          "that class (vcs only where the routing splits no VCs into classes)", fields=ROUTER_KEYS),
)
LINK_CLASS = (
    Param("latency", "int", 1, "cycles on a link of this class", min=1, max=100_000),
    Param("cycles_per_flit", "int", 1, "a link of this class sends one flit every this many cycles", min=1, max=1000),
    Param("bandwidth", "float", None, "flits per cycle of a link of this class (1, 0.5, 0.25, ...): "
          "cycles_per_flit = 1 / bandwidth", min=1e-3),
)
LINK = (
    Param("latency", "int", 1, "cycles on a router-to-router link", min=1, max=100_000),
    Param("cycles_per_flit", "int", 1,
          "bandwidth: a link sends one flit every this many cycles (1 = a flit per cycle); a flit then takes "
          "cycles_per_flit - 1 cycles more to arrive", min=1, max=1000),
    Param("bandwidth", "float", None, "the same in flits per cycle (1, 0.5, 0.25, ...): cycles_per_flit = "
          "1 / bandwidth; more than 1 is not a link setting (a router port moves one flit per cycle)", min=1e-3),
    Param("classes", "tables", {},
          "per link class (the names the topology gives its links, e.g. local and global in a dragonfly): "
          "a table with latency and/or cycles_per_flit replacing the defaults for that class",
          fields=LINK_CLASS),
    Param("flit_bytes", "int", 16, "bytes a flit carries (128 bits, BookSim's channel_width): for energy per "
          "bit and bandwidths in Gb/s", min=1, max=1 << 20),
)
ROUTING = (
    Param("algorithm", "str", None, "routing algorithm; default: the topology kind's own (its default_routing)"),
)
TRAFFIC = (
    Param("pattern", "str", "uniform", "traffic pattern; each pattern documents its own keys"),
    Param("injection_rate", "float", 0.1, "offered load, flits per endpoint per cycle", min=0, max=1),
    Param("packet_size", "size_mix", 1,
          "flits per packet, or a mix: {1 = 0.8, 8 = 0.2} (size = weight) or [[1, 0.8], [8, 0.2]]",
          min=1, max=65536),
    Param("process", "str", "bernoulli", "when packets are created: bernoulli (each cycle with a probability), "
          "periodic (evenly spaced) or on_off (bursts)", choices=("bernoulli", "periodic", "on_off")),
    Param("burst_length", "float", 8.0, "on_off: mean cycles of a burst (ON period)", min=1, max=1e9),
    Param("peak_rate", "float", 1.0, "on_off: flits per cycle during a burst", min=1e-9, max=1),
    Param("classes", "table", {}, "more traffic at once: {name = {a traffic table}}, each class with its own "
          "statistics in the result"),
)
CLOSED_LOOP = ("collective", "trace", "chakra")
SIM = (
    Param("seed", "int", 1, "random seed; the same spec and seed give the same result", min=0, max=2**63 - 1),
    Param("warmup_cycles", "int", 3000, "cycles run before measuring", min=0, max=MAX_CYCLES),
    Param("measure_cycles", "int", 10000, "cycles in the measurement window; packets created in it are measured",
          min=1, max=MAX_CYCLES),
    Param("max_cycles", "int", 10_000_000,
          "collectives and traces (closed loop): the most cycles the workload may take", min=1, max=MAX_CYCLES),
    Param("check", "bool", False, "verify after every cycle: credits and buffers within bounds, flits "
          "conserved; stop at the first violation (slower)"),
    Param("deadlock_cycles", "int", 10000,
          "stop with status deadlock when flits are in the network and none moved for this many cycles "
          "(0: never)", min=0, max=MAX_CYCLES),
    Param("drain_cycles", "int", 10000,
          "most cycles spent draining measured packets after the window; 0 = no drain, stop when the window ends",
          min=0, max=MAX_CYCLES),
    Param("clock_ghz", "float", 1.0, "the clock of routers and links, GHz: turns cycles into seconds", min=1e-6,
          max=1e4),
)
# Energy (fabric/energy.py). Defaults: DSENT's 32 nm model of a 5-port router with 128-bit flits, as the
# FLOV simulator (a BookSim 2 fork, github jyhuang91/flyover, src/booksim_config.cpp) sets them; links
# by medium; README.md, "Energy and cost", gives every source
ENERGY_LINK = (
    Param("medium", "str", None, "wire (pJ/bit/mm x length), serdes or optics (pJ/bit)",
          choices=("wire", "serdes", "optics")),
    Param("pj_per_bit", "float", None, "energy per bit per traversal; overrides the medium's", min=0),
    Param("pj_per_bit_mm", "float", None, "wire: energy per bit per mm", min=0),
    Param("length_mm", "float", None, "wire: length", min=0),
)
ENERGY = (
    Param("buffer_write_pj", "float", 3.38124, "a flit written into an input buffer", min=0),
    Param("buffer_read_pj", "float", 3.1597, "a flit read from an input buffer", min=0),
    Param("crossbar_pj", "float", 1.17159, "a flit crossing the switch", min=0),
    Param("sw_allocation_pj", "float", 0.1182228, "a switch-allocation grant (both stages)", min=0),
    Param("vc_allocation_pj", "float", 0.0, "a VC-allocation grant (DSENT and BookSim do not model it)", min=0),
    Param("clock_pj", "float", 0.555204, "a router's clock, every cycle", min=0),
    Param("router_static_mw", "float", 0.4440, "leakage of a router's switch, allocator and clock tree", min=0),
    Param("port_static_mw", "float", 1.549, "leakage of a port in use (its input buffers)", min=0),
    Param("link_static_mw", "float", 0.0109, "leakage of a router-to-router channel", min=0),
    Param("link_medium", "str", "wire", "the medium of links whose class sets none", choices=("wire", "serdes", "optics")),
    Param("wire_pj_per_bit_mm", "float", 0.0323958, "on-chip wire, per bit per mm (DSENT repeated link)", min=0),
    Param("wire_length_mm", "float", 1.0, "on-chip wire length", min=0),
    Param("serdes_pj_per_bit", "float", 5.0, "electrical SerDes link, transmitter and receiver", min=0),
    Param("optics_pj_per_bit", "float", 21.25, "pluggable optics (800G OSFP, 17 W)", min=0),
    Param("endpoint_pj_per_bit", "float", 0.000621875, "injection and ejection channels", min=0),
    Param("links", "tables", {}, "per link class: medium, pj_per_bit, pj_per_bit_mm, length_mm",
          fields=ENERGY_LINK),
)
COST = (
    Param("switch", "float", 0.0, "price of a router (switch), any unit", min=0),
    Param("port", "float", 0.0, "price of a router port in use", min=0),
    Param("links", "table", {}, "price of a link (cable or transceiver pair, both directions) per link class"),
)
# Faults (fabric/faults.py): what is broken, applied to the built network before routing
FAULTS = (
    Param("links", "pairs", [], "failed links, both directions: [[router, router], ...]"),
    Param("link_fraction", "float", 0.0, "that fraction of the router-to-router links failed, drawn with seed",
          min=0, max=1),
    Param("link_class", "str", "", "link_fraction draws from this link class only (a topology's class: "
          "global, local, up...), empty: from all links"),
    Param("seed", "int", 1, "the seed of the link_fraction draw", min=0, max=2**63 - 1),
    Param("switches", "int_list", [], "failed routers: every link and endpoint port of each", min=0, min_len=0),
    Param("planes", "int_list", [], "failed planes (every switch of each)", min=0, min_len=0),
    Param("degraded", "degraded", [], "links that work at a lower bandwidth or a higher latency: "
          "[{link = [router, router], cycles_per_flit = 2, latency = 3}, ...]"),
    Param("at_cycle", "int", 0, "the cycle the links, switches and planes fail (0: before the run); packets "
          "already on their way finish on their routes (routing updown)", min=0, max=MAX_CYCLES),
)
STATS = (
    Param("interval", "int", 100, "cycles per bucket of the time series (fabric run --stats series)",
          min=1, max=MAX_CYCLES),
)

# A job (``[jobs.NAME]``, fabric/jobs.py): the keys of a [traffic] table for its workload, and these
JOB = (
    Param("endpoints", "int", None, "how many endpoints the job gets (its ranks are numbered within it)", min=1),
    Param("placement", "placement", "contiguous", 'which: "contiguous", "strided", "random" (placement_seed), '
          "or a list of endpoints"),
    Param("placement_seed", "int", 1, "placement random: the seed of the draw", min=0, max=2**63 - 1),
    Param("start", "int", 0, "the cycle the job starts", min=0, max=MAX_CYCLES),
    Param("iterations", "int", 1, "closed-loop jobs: times the workload runs, each after the last ends",
          min=1, max=1_000_000),
)
PLACEMENTS = ("contiguous", "strided", "random")

SECTIONS: dict[str, tuple[Param, ...]] = {
    "topology": TOPOLOGY,
    "router": ROUTER,
    "link": LINK,
    "routing": ROUTING,
    "traffic": TRAFFIC,
    "sim": SIM,
    "stats": STATS,
    "energy": ENERGY,
    "cost": COST,
    "faults": FAULTS,
    "jobs": (),         # a table of jobs (_resolve_jobs)
}

# Sections whose first key names a registered kind that brings its own keys.
KIND_KEYS = {
    "topology": ("kind", topology_kinds),
    "routing": ("algorithm", routings),
    "traffic": ("pattern", traffic_patterns),
}

TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "int_list": "a list of integers",
    "tables": "a table of tables",
    "table": "a table",
    "size_mix": "an integer or a mix of sizes",
    "placement": '"contiguous", "strided", "random" or a list of endpoints',
    "pairs": "a list of [router, router] pairs",
    "degraded": "a list of tables {link = [router, router], cycles_per_flit = ..., latency = ...}",
}

_INVALID = object()  # stands in for a value that failed validation, so later checks skip it


class _Problems:
    """Collects ``file: key: message`` lines; keys that came from the command line are shown as such."""

    def __init__(self, source_name: str, origins: dict[str, str]):
        self.source_name = source_name
        self.origins = origins
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        base, bracket, index = key.partition("[")
        label = self.origins.get(base, base) + bracket + index
        self.lines.append(f"{self.source_name}: {label}: {message}" if label else f"{self.source_name}: {message}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise SpecError(self.lines)


def load_spec(source, overrides=(), *, seed=None, unset=()) -> dict:
    """Read a TOML spec, apply command-line overrides, and validate it.

    Parameters
    ----------
    source : str or path-like
        Path of the TOML file, or ``"-"`` for standard input.
    overrides : iterable of str
        ``"dotted.key=VALUE"`` items, as given to ``--set``. VALUE is read as a TOML value
        (``[4, 4]``, ``0.3``, ``"x"``); text that is not a TOML value is taken as a string.
    seed : int, optional
        Replaces ``sim.seed`` (after the overrides).
    unset : iterable of str
        Dotted keys to remove from the spec before the overrides (``--unset``), so that they take
        their defaults, or can be left out for another topology kind.

    Returns
    -------
    dict
        The resolved spec: every section and key present, defaults filled in (see `resolve_spec`).

    Raises
    ------
    SpecError
        Listing every problem found, each ``"file: dotted.key: message"``.
    """
    data, source_name, origins, problems = _parse_with_overrides(source, overrides, unset, seed)
    return _resolve(data, problems)


def _anchor_paths(data, source, origins) -> None:
    """A relative ``topology.file`` or ``traffic.file`` written in a spec file is relative to that file
    (one given with --set, or in a spec read from stdin, to the working directory)."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    tables = [(section, data.get(section) if isinstance(data, dict) else None) for section in ("topology", "traffic")]
    tables += [(f"jobs.{name}", table) for name, table in (jobs.items() if isinstance(jobs, dict) else ())]
    for section, table in tables:
        if source == "-" or not isinstance(table, dict) or f"{section}.file" in origins:
            continue
        path = table.get("file")
        if isinstance(path, str) and path and not os.path.isabs(path):
            table["file"] = os.path.join(os.path.dirname(os.fspath(source)), path)


def resolve_with(data: dict, overrides=(), *, seed=None, unset=(), source_name: str = "<spec>") -> dict:
    """`resolve_spec` of a parsed spec dict after ``--unset``, ``--set`` and ``--seed`` (for the Python
    API, which takes specs as dicts too)."""
    data = copy.deepcopy(data)
    origins: dict[str, str] = {}
    problems = _Problems(source_name, origins)
    _apply_command_line(data, overrides, unset, seed, origins, problems)
    return _resolve(data, problems)


def load_raw(source, overrides=(), unset=()):
    """(the parsed spec with ``--unset`` and ``--set`` applied and paths anchored, its name for messages,
    the resolved spec), for a sweep: its workers re-resolve the parsed spec with each point's values."""
    data, source_name, _, problems = _parse_with_overrides(source, overrides, unset)
    return data, source_name, _resolve(copy.deepcopy(data), problems)


def _parse_with_overrides(source, overrides, unset=(), seed=None):
    """(the parsed spec with ``--unset``, ``--set`` and ``--seed`` applied and anchored paths, its name for
    messages, where each overridden key came from, the problems collected so far)."""
    source_name, text = _read_source(source)
    data = _parse_toml(source_name, text)
    origins: dict[str, str] = {}
    problems = _Problems(source_name, origins)
    _apply_command_line(data, overrides, unset, seed, origins, problems)
    _anchor_paths(data, source, origins)
    return data, source_name, origins, problems


def _apply_command_line(data: dict, overrides, unset, seed, origins: dict[str, str], problems) -> None:
    """``--unset`` keys removed, then ``--set`` values and ``--seed`` applied, in ``data``."""
    for key in unset:
        if not _remove_dotted(data, key.strip()):
            problems.add(f"--unset {key}", "the spec does not set this key")
    _apply_overrides(data, overrides, origins, problems)
    if seed is not None and isinstance(data.setdefault("sim", {}), dict):
        data["sim"]["seed"] = seed
        origins["sim.seed"] = "--seed"


def resolve_spec(data: dict, source_name: str = "<spec>") -> dict:
    """Validate an already-parsed spec and fill in its defaults.

    Parameters
    ----------
    data : dict
        ``{section: {key: value}}`` as parsed from TOML; missing sections and keys take their defaults.
        It is not modified.
    source_name : str
        Names the spec in error messages.

    Returns
    -------
    dict
        A new dict with the sections in the order topology, router, link, routing, traffic, sim, each
        holding its common keys, then the keys of its kind. Resolving a resolved spec returns an equal dict.

    Raises
    ------
    SpecError
        Listing every problem found.
    """
    return _resolve(data, _Problems(source_name, {}))


def describe_schema() -> dict:
    """Every section and key with its type, default and description, for docs and ``--help`` text.

    Returns
    -------
    dict
        ``{section: {"keys": {key: info}}}``, where ``info`` has ``type``, ``default``, ``doc`` and, when
        set, ``min``, ``max``, ``choices``. Sections that name a kind also have
        ``"kinds": {name: {"doc": ..., "keys": {...}, "extra": {...}}}`` for every registered kind.
    """
    schema = {}
    for section, params in SECTIONS.items():
        schema[section] = {"keys": {p.name: _describe_param(p) for p in params}}
        if section in KIND_KEYS:
            kind_key, registry = KIND_KEYS[section]
            schema[section]["keys"][kind_key]["choices"] = registry.names()
            entries = [registry.get(name) for name in registry.names()]
            schema[section]["kinds"] = {
                entry.name: {
                    "doc": _entry_doc(entry),
                    "keys": {p.name: _describe_param(p) for p in entry.params},
                    "extra": {k: copy.deepcopy(v) for k, v in entry.extra.items() if not callable(v)},
                }
                for entry in entries
            }
    return schema


def _describe_param(param: Param) -> dict:
    info = {"type": param.type, "default": copy.deepcopy(param.default), "doc": param.doc}
    for attribute in ("min", "max", "choices"):
        value = getattr(param, attribute)
        if value is not None:
            info[attribute] = list(value) if attribute == "choices" else value
    return info


def _entry_doc(entry) -> str:
    """The entry's own doc, else the first line of its module's docstring."""
    if entry.doc:
        return entry.doc
    module_doc = sys.modules[entry.func.__module__].__doc__ or ""
    return module_doc.strip().split("\n", 1)[0]


# --- reading -----------------------------------------------------------------------------------------


def _read_source(source) -> tuple[str, str]:
    """(name to show in messages, text) of a spec path or ``"-"``; unreadable input is a SpecError."""
    if source == "-":
        name = "<stdin>"
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read() if stream is not None else sys.stdin.read().encode()
    else:
        name = os.fspath(source)
        try:
            with open(name, "rb") as file:
                raw = file.read()
        except FileNotFoundError:
            raise SpecError([f"{name}: no such file"]) from None
        except IsADirectoryError:
            raise SpecError([f"{name}: is a directory, not a spec file"]) from None
        except OSError as error:
            raise SpecError([f"{name}: cannot read ({error.strerror or error})"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        raise SpecError([f"{name}: not valid UTF-8 (byte 0x{byte:02x} on line {line})"]) from None
    if not text.strip():
        raise SpecError([f"{name}: empty spec"])
    return name, text


def _parse_toml(source_name: str, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        if message.startswith(("Cannot overwrite", "Cannot declare")):
            message += ": a key or table is defined twice"
        raise SpecError([f"{source_name}: invalid TOML: {message}"]) from None


def _apply_overrides(data: dict, overrides, origins: dict[str, str], problems: _Problems) -> None:
    """Set each ``section.key=VALUE`` in ``data``, remembering which keys the command line set."""
    for item in overrides:
        key, has_equals, text = item.partition("=")
        key = key.strip()
        if not has_equals:
            problems.add(f"--set {item}", "expected KEY=VALUE, e.g. --set router.vcs=2")
            continue
        section, dot, name = key.partition(".")
        if not (dot and section and name):
            hint = _did_you_mean(key, _leaf_candidates())
            problems.add(f"--set {key}", f"KEY must be section.key, e.g. router.vcs{hint}")
            continue
        if section not in data:
            data[section] = {}
            origins[section] = f"--set {section}"
        if not isinstance(data[section], dict):
            problems.add(f"--set {key}", f"cannot set a key in {section!r}: the spec gives it a value, not a table")
            continue
        if not set_dotted(data[section], name, _parse_value(text)):
            problems.add(f"--set {key}", "cannot set a key inside a value that is not a table")
            continue
        origins[key] = f"--set {key}"


def _remove_dotted(table: dict, dotted: str) -> bool:
    """Remove the dotted key from nested tables; False when it is not there."""
    *parents, name = dotted.split(".")
    for part in parents:
        table = table.get(part) if isinstance(table, dict) else None
    if not isinstance(table, dict) or name not in table:
        return False
    del table[name]
    return True


def set_dotted(table: dict, dotted: str, value) -> bool:
    """Set ``value`` at the dotted key (link.classes.global.latency) in nested tables, creating the
    missing ones; False when a parent on the way is a value, not a table."""
    *parents, name = dotted.split(".")
    for part in parents:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            return False
    table[name] = value
    return True


def _parse_value(text: str):
    """A ``--set`` VALUE read as TOML, else as the bare string it is."""
    try:
        return tomllib.loads("v = " + text)["v"]
    except tomllib.TOMLDecodeError:
        return text


# --- validation --------------------------------------------------------------------------------------


def _resolve(data, problems: _Problems) -> dict:
    if not isinstance(data, dict):
        problems.add("", f"a spec must be a table of sections, got {_show(data)}")
        problems.raise_if_any()
    for section in data:
        if section not in SECTIONS:
            candidates = {name: name for name in SECTIONS} | _leaf_candidates()
            problems.add(section, f"unknown section{_did_you_mean(section, candidates)}")

    resolved: dict[str, dict] = {}
    kind_entries: dict[str, object] = {}
    for section, common in SECTIONS.items():
        if section == "jobs":
            continue
        table = data.get(section, {})
        if not isinstance(table, dict):
            problems.add(section, f"must be a table, got {_show(table)}")
            table = {}
        values = {}
        params = common
        keys_known = True
        if section in KIND_KEYS:
            entry = _resolve_kind(section, table, kind_entries.get("topology"), values, problems)
            kind_entries[section] = entry
            if entry is None:
                keys_known = False
            else:
                params = common + entry.params
        for param in params:
            if param.name not in values:
                values[param.name] = _check(param, table, f"{section}.{param.name}", problems)
        if keys_known:
            for name in table:
                if name not in values:
                    candidates = {p.name: f"{section}.{p.name}" for p in params}
                    problems.add(f"{section}.{name}", f"unknown key{_did_you_mean(name, candidates)}")
        resolved[section] = values

    resolved["jobs"] = _resolve_jobs(data.get("jobs", {}), data.get("traffic", {}), problems)
    _cross_check(resolved, kind_entries.get("topology"), problems)
    problems.raise_if_any()
    return resolved


def _resolve_jobs(jobs, traffic_table, problems: _Problems) -> dict:
    """``[jobs.NAME]``: each a traffic table (validated as [traffic] is, problems named jobs.NAME.key) and
    the job's own keys (JOB). A [traffic] table beside them may only hold its defaults (as a resolved
    spec does)."""
    if not isinstance(jobs, dict):
        problems.add("jobs", f"must be a table of jobs ([jobs.NAME]), got {_show(jobs)}")
        return {}
    if jobs and traffic_table and traffic_table != resolve_spec({}, "defaults")["traffic"]:
        problems.add("traffic", "with [jobs], each job is its own traffic table: move these keys into the jobs")
    out = {}
    job_keys = {p.name for p in JOB}
    for name, table in jobs.items():
        where = f"jobs.{name}"
        if not isinstance(table, dict):
            problems.add(where, f"must be a table (a traffic table and the job's keys), got {_show(table)}")
            continue
        own = {p.name: _check(p, table, f"{where}.{p.name}", problems) for p in JOB}
        if own["endpoints"] is None:
            problems.add(f"{where}.endpoints", "required: how many endpoints the job gets")
        part = {k: v for k, v in table.items() if k not in job_keys}
        if "classes" in part:
            problems.add(f"{where}.classes", "a job is one workload: make each class a job of its own")
            continue
        sub = _traffic_table(part, where, problems)
        if sub is None:
            continue
        sub.pop("classes")
        out[name] = {**sub, **own}
    return out


def _resolve_kind(section, table, topology_entry, values, problems):
    """Validate the key that names this section's kind into ``values``; return its registry entry or None."""
    kind_key, registry = KIND_KEYS[section]
    param = next(p for p in SECTIONS[section] if p.name == kind_key)
    dotted = f"{section}.{kind_key}"
    if kind_key not in table and param.default is None:  # routing.algorithm: the topology's default
        if topology_entry is None:
            values[kind_key] = _INVALID  # unknown topology: no default to take, and nothing more to say
            return None
        default = topology_entry.extra.get("default_routing")
        if default is None:
            problems.add(dotted, f"required: topology {topology_entry.name!r} has no default routing")
            values[kind_key] = _INVALID
            return None
        table = {kind_key: default}
    name = values[kind_key] = _check(param, table, dotted, problems)
    if name is _INVALID:
        return None
    try:
        entry = registry.get(name)
    except FabricError as error:
        problems.add(dotted, str(error))
        return None
    supported = entry.extra.get("topologies")
    if section == "routing" and topology_entry is not None and supported is not None \
            and topology_entry.name not in supported:
        problems.add(dotted, f"{name!r} does not route topology {topology_entry.name!r} "
                             f"(it supports: {', '.join(supported)})")
    return entry


def _resolve_classes(resolved: dict, problems: _Problems) -> None:
    """Each of ``traffic.classes`` is a traffic table of its own: validated as the section is, its
    problems named ``traffic.classes.NAME.key``."""
    t = resolved["traffic"]
    if t.get("classes") in (None, _INVALID) or not t["classes"]:
        return
    if t["pattern"] in CLOSED_LOOP:
        problems.add("traffic.classes", f"a {t['pattern']} runs alone: it cannot have more classes")
    out = {}
    for name, table in t["classes"].items():
        where = f"traffic.classes.{name}"
        if not isinstance(table, dict):
            problems.add(where, f"must be a traffic table (pattern, injection_rate, ...), got {_show(table)}")
            continue
        if "classes" in table:
            problems.add(f"{where}.classes", "a class cannot have classes of its own")
            continue
        sub = _traffic_table(table, where, problems)
        if sub is None:
            continue
        if sub["pattern"] in CLOSED_LOOP:
            problems.add(f"{where}.pattern", f"{sub['pattern']} runs alone, not as a class")
            continue
        sub.pop("classes")
        out[name] = sub
    t["classes"] = out


def _traffic_table(table: dict, where: str, problems: _Problems):
    """A traffic table nested at `where` (a class, a job), resolved as [traffic] is, or None with its problems
    added under `where` (``where.KEY: message``)."""
    try:
        return resolve_spec({"traffic": table}, "nested")["traffic"]
    except SpecError as error:
        for problem in error.problems:           # "nested: traffic.KEY: message"
            problems.add(f"{where}.{problem.removeprefix('nested: traffic.').split(': ', 1)[0]}",
                         problem.split(": ", 2)[-1].replace("'traffic.", f"'{where}."))
        return None


def _link_bandwidth(table: dict, where: str, problems: _Problems) -> None:
    """``bandwidth`` (flits per cycle) is another way to write ``cycles_per_flit``: fill that in."""
    bw = table.get("bandwidth")
    if bw is None:
        table.pop("bandwidth", None)            # not given: cycles_per_flit says it all
        return
    if bw is _INVALID:
        return
    if bw > 1:
        problems.add(f"{where}.bandwidth", f"at most 1 flit per cycle (a router port moves one flit per cycle); "
                                           f"model a faster link as parallel links, got {_show(bw)}")
        return
    cycles = round(1 / bw)
    if abs(cycles * bw - 1) > 1e-6:
        problems.add(f"{where}.bandwidth", f"must be 1 / an integer (1, 0.5, 0.25, ...), got {_show(bw)}")
    elif table.get("cycles_per_flit", cycles) not in (1, cycles):
        problems.add(f"{where}.bandwidth", f"says {cycles} cycles per flit, {where}.cycles_per_flit says "
                                           f"{table['cycles_per_flit']}")
    else:
        table["cycles_per_flit"] = cycles


def _check_router(router: dict, where: str, problems: _Problems, given=None) -> None:
    """A router's keys that must agree with each other (router, or a class's keys over it: then only what
    the keys `given` change)."""
    given = router if given is None else given
    if "output_buffer" in given and router.get("output_buffer") == 0:
        problems.add(f"{where}.output_buffer", "must be -1 (unbounded) or at least 1 flit, got 0")
    if ("kind" in given or "internal_speedup" in given) and router.get("kind") == "oq" \
            and router.get("internal_speedup") not in (1, 1.0, _INVALID):
        problems.add(f"{where}.internal_speedup", "an output-queued router (kind oq) has no internal speedup: every "
                                                  "flit crosses its switch in the cycle it can; leave it at 1")


def _cross_check(resolved: dict, topology_entry, problems: _Problems) -> None:
    """Checks that involve keys of more than one section."""
    _resolve_classes(resolved, problems)
    link = resolved["link"]
    _link_bandwidth(link, "link", problems)
    if isinstance(link.get("classes"), dict):
        for name, table in link["classes"].items():
            _link_bandwidth(table, f"link.classes.{name}", problems)
    t = resolved["traffic"]
    if t["process"] == "on_off" and _INVALID not in (t["injection_rate"], t["peak_rate"]) \
            and t["injection_rate"] > t["peak_rate"]:
        problems.add("traffic.injection_rate", f"on_off bursts at traffic.peak_rate = {t['peak_rate']:g}, so the "
                                               f"mean rate cannot exceed it, got {t['injection_rate']:g}")
    router = resolved["router"]
    _check_router(router, "router", problems)
    if isinstance(router.get("classes"), dict):
        for name, table in router["classes"].items():
            _check_router({**router, **table}, f"router.classes.{name}", problems, table)
    vcs = resolved["router"]["vcs"]
    if topology_entry is not None and vcs is not _INVALID:
        min_vcs = topology_entry.extra.get("min_vcs", 1)
        if vcs < min_vcs:
            problems.add("router.vcs", f"a {topology_entry.name} needs at least {min_vcs} VCs "
                                       f"(its deadlock avoidance uses {min_vcs} VC classes), got {vcs}")
    # a routing algorithm's checks across sections, once every key is valid on its own
    routing_entry = None
    if resolved["routing"].get("algorithm") in routings:
        routing_entry = routings.get(resolved["routing"]["algorithm"])
    if routing_entry is not None and "check" in routing_entry.extra and all(
            _INVALID not in section.values() for section in resolved.values() if isinstance(section, dict)):
        for key, message in routing_entry.extra["check"](resolved):
            problems.add(key, message)
    # a kind's own checks across its keys, once each key is valid on its own
    topo = resolved["topology"]
    if topology_entry is not None and _INVALID not in topo.values() and "check" in topology_entry.extra:
        for key, message in topology_entry.extra["check"](topo):
            problems.add(f"topology.{key}", message)


def _check(param: Param, table: dict, dotted: str, problems: _Problems):
    """The validated (and normalised) value of ``param`` from ``table``, its default if absent, or _INVALID."""
    if param.name not in table:
        return copy.deepcopy(param.default)
    value = table[param.name]
    if param.type == "tables":
        return _check_tables(param, value, dotted, problems)
    if param.type == "size_mix":
        return _check_size_mix(param, value, dotted, problems)
    if param.type == "pairs":
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
            problems.add(dotted, f"must be {TYPE_NAMES['pairs']}, got {_show(value)}")
            return _INVALID
        items = [[_check_scalar(Param("", "int", 0, "", min=0), "int", r, f"{dotted}[{i}]", problems) for r in p]
                 for i, p in enumerate(value)]
        return _INVALID if any(_INVALID in p for p in items) else items
    if param.type == "degraded":
        return _check_degraded(value, dotted, problems)
    if param.type == "placement":
        if isinstance(value, str) and value in PLACEMENTS:
            return value
        if isinstance(value, list) and value:
            items = [_check_scalar(Param("", "int", 0, "", min=0), "int", item, f"{dotted}[{i}]", problems)
                     for i, item in enumerate(value)]
            return _INVALID if _INVALID in items else items
        problems.add(dotted, f"must be {TYPE_NAMES['placement']}, got {_show(value)}")
        return _INVALID
    if param.type == "table":                # a kind's own sub-table, checked by that kind
        if not isinstance(value, dict):
            problems.add(dotted, f"must be {TYPE_NAMES['table']}, got {_show(value)}")
            return _INVALID
        return copy.deepcopy(value)
    if param.type == "int_list":
        if not isinstance(value, (list, tuple)):
            problems.add(dotted, f"must be {TYPE_NAMES['int_list']}, got {_show(value)}")
            return _INVALID
        if len(value) < param.min_len:
            problems.add(dotted, f"must have at least {param.min_len} element{'s' * (param.min_len != 1)}")
            return _INVALID
        items = [_check_scalar(param, "int", item, f"{dotted}[{i}]", problems) for i, item in enumerate(value)]
        return _INVALID if _INVALID in items else items
    return _check_scalar(param, param.type, value, dotted, problems)


DEGRADED = (
    Param("link", "pairs", None, "the link, [router, router]"),
    Param("cycles_per_flit", "int", 1, "its cycles per flit (2: half its bandwidth)", min=1, max=1000),
    Param("latency", "int", 0, "its latency in cycles (0: as built)", min=0, max=MAX_CYCLES),
)


def _check_degraded(value, dotted: str, problems: _Problems):
    """faults.degraded: a list of {link = [a, b], cycles_per_flit, latency} tables."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        problems.add(dotted, f"must be {TYPE_NAMES['degraded']}, got {_show(value)}")
        return _INVALID
    out = []
    for i, table in enumerate(value):
        where = f"{dotted}[{i}]"
        for key in table:
            if key not in {p.name for p in DEGRADED}:
                problems.add(f"{where}.{key}", "unknown key (known: link, cycles_per_flit, latency)")
        if "link" not in table:
            problems.add(f"{where}.link", "required: the [router, router] pair")
            continue
        link = _check(Param("link", "pairs", None, ""), {"link": [table["link"]]}, f"{where}.link", problems)
        cpf = _check(DEGRADED[1], table, f"{where}.cycles_per_flit", problems)
        latency = _check(DEGRADED[2], table, f"{where}.latency", problems)
        if _INVALID in (link, cpf, latency):
            continue
        if cpf == 1 and latency == 0:
            problems.add(where, "degrades nothing: give cycles_per_flit above 1 or a latency")
        out.append({"link": link[0], "cycles_per_flit": cpf, "latency": latency})
    return out


def _check_size_mix(param: Param, value, dotted: str, problems: _Problems):
    """A packet size (int), or a mix given as {size = weight, ...} or [[size, weight], ...]: the int, or a
    list of [size, weight] pairs in increasing size."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return _check_scalar(param, "int", value, dotted, problems)
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        pairs = [tuple(p) for p in value]
    else:
        problems.add(dotted, f"must be an integer or a mix like {{1 = 0.8, 8 = 0.2}}, got {_show(value)}")
        return _INVALID
    mix = {}
    for size, weight in pairs:
        if isinstance(size, str) and size.strip().isdigit():       # a TOML table's keys are strings
            size = int(size)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not param.min <= size <= param.max:
            problems.add(dotted, f"sizes must be integers from {param.min} to {param.max}, got {_show(pairs)}")
            return _INVALID
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool) or not weight >= 0 or \
                not math.isfinite(weight):
            problems.add(dotted, f"weights must be numbers >= 0, got {_show(weight)} for size {size}")
            return _INVALID
        mix[size] = mix.get(size, 0.0) + float(weight)
    if not mix or sum(mix.values()) <= 0:
        problems.add(dotted, "a mix needs at least one size with a weight above 0")
        return _INVALID
    return [[size, weight] for size, weight in sorted(mix.items())]


def mean_packet_size(size) -> float:
    """Mean flits per packet of ``traffic.packet_size`` (an int or a resolved mix)."""
    if isinstance(size, int):
        return float(size)
    return sum(s * w for s, w in size) / sum(w for _, w in size)


def _check_tables(param: Param, value, dotted: str, problems: _Problems):
    """A table of named tables, each with some of ``param.fields``; only the keys given are kept."""
    if not isinstance(value, dict):
        problems.add(dotted, f"must be {TYPE_NAMES['tables']}, got {_show(value)}")
        return _INVALID
    out, ok = {}, True
    known = {field.name: field for field in param.fields}
    for name, sub in value.items():
        where = f"{dotted}.{name}"
        if not isinstance(sub, dict):
            problems.add(where, f"must be a table (keys: {', '.join(known)}), got {_show(sub)}")
            ok = False
            continue
        out[name] = {}
        for key, item in sub.items():
            if key not in known:
                problems.add(f"{where}.{key}", f"unknown key{_did_you_mean(key, {k: f'{where}.{k}' for k in known})}")
                ok = False
                continue
            checked = _check_scalar(known[key], known[key].type, item, f"{where}.{key}", problems)
            ok = ok and checked is not _INVALID
            out[name][key] = checked
    return out if ok else _INVALID


def _check_scalar(param: Param, kind: str, value, dotted: str, problems: _Problems):
    """Check one value of type ``kind`` against ``param``'s bounds; messages show the value as written."""
    normalise = None
    if kind == "int":
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        normalise = int
    elif kind == "float":
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if ok and not math.isfinite(value):
            problems.add(dotted, f"must be a finite number, got {_show(value)}")
            return _INVALID
        normalise = float
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    else:
        raise ValueError(f"{dotted}: unknown Param type {kind!r}")
    if not ok:
        problems.add(dotted, f"must be {TYPE_NAMES[kind]}, got {_show(value)}")
        return _INVALID
    if param.min is not None and value < param.min:
        problems.add(dotted, f"must be >= {param.min}, got {_show(value)}")
        return _INVALID
    if param.max is not None and value > param.max:
        problems.add(dotted, f"must be <= {param.max}, got {_show(value)}")
        return _INVALID
    if param.choices is not None and value not in param.choices:
        allowed = ", ".join(_show(choice) for choice in param.choices)
        problems.add(dotted, f"must be one of {allowed}, got {_show(value)}")
        return _INVALID
    return normalise(value) if normalise else value


# --- messages ----------------------------------------------------------------------------------------


def _leaf_candidates() -> dict[str, str]:
    """Each common key's bare name -> its dotted name, to place a key given without its section."""
    out: dict[str, str] = {}
    for section, params in SECTIONS.items():        # (a name in two sections: the first, sim.seed before faults.seed)
        for p in params:
            out.setdefault(p.name, f"{section}.{p.name}")
    return out


def _did_you_mean(word: str, candidates: dict[str, str]) -> str:
    """' (did you mean 'router.vcs'?)' for the closest candidate, else the known names.

    ``candidates`` maps the spelling compared against ``word`` (a bare key) to the name shown (a
    dotted key); comparing bare keys keeps a shared ``router.`` prefix from making every key look
    close. Same cutoff and phrasing as `fabric.registry.suggest`.
    """
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {candidates[close[0]]!r}?)"
    return f" (known: {', '.join(sorted(set(candidates.values())))})" if candidates else ""


def _show(value, limit: int = 60) -> str:
    """A value as it would be written in TOML, shortened to about ``limit`` characters."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, float) and not math.isfinite(value):
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_show(item, limit) for item in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
