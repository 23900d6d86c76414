"""``fabric import booksim CONFIG [KEY=VALUE ...]``: a BookSim 2 configuration as a fabric spec.

The file is read as BookSim's own parser reads it (``src/config.l`` and ``config.y``): ``key = value;``
statements, ``//`` comments, a value a number (an integer, or a decimal with ``.`` or an exponent), a
word, or a ``{...}`` list; an integer assigns an integer field, a decimal a float field and a word a
string field, and a field of another type or an unknown name is an error, as in BookSim. Command-line
overrides ``key=value`` are parsed the same way, after the file. Every field starts at BookSim's default
(fabric/importers/_booksim_fields.py), so the spec describes what BookSim would run, not fabric's defaults.

Then each field BookSim would use is mapped to fabric's keys (docs/import.md has the table). A field set
to something fabric cannot honour is an error naming it and saying why; with ``lenient`` the mapping goes
on and the spec carries the reasons as comments.
"""
from __future__ import annotations

import math
import os
import re

from ..errors import FabricError
from ._booksim_fields import FIELDS

# the lexer's patterns, in its order (flex takes the longest match, the first rule on a tie)
_BRACES = r"\{[A-Za-z0-9_\-\.(\{\,)\}]+(\,[A-Za-z0-9_\-\.(\{\,)\}]+)*\}"
_TOKENS = [
    ("comment", r"//[^\n]*"),
    ("space", r"[ \t\r]+"),
    ("newline", r"\n"),
    ("str", _BRACES),
    ("num", r"-?[0-9]+"),
    ("fnum", r"-?[0-9]*\.[0-9]+"),
    ("fnum", r"-?(?:[0-9]*\.)?[0-9]+(?:[eE][+-]?[0-9]+)?"),
    ("str", r"[A-Za-z_\-/\.][A-Za-z0-9_\-/\.\+(\{\,)\}]*"),
    ("char", r"."),
]
_COMPILED = [(kind, re.compile(pattern)) for kind, pattern in _TOKENS]


def tokens(text: str, where: str):
    """(kind, value, line) of BookSim's lexer over text."""
    pos, line = 0, 1
    while pos < len(text):
        best, kind = None, None
        for k, pattern in _COMPILED:
            m = pattern.match(text, pos)
            if m and (best is None or m.end() > best.end()):
                best, kind = m, k
        value = best.group(0)
        pos = best.end()
        if kind == "newline":
            line += 1
        elif kind not in ("comment", "space"):
            yield kind, value, line


def parse(text: str, where: str, config: dict) -> None:
    """Apply ``key = value;`` statements to config (a field -> value dict), as BookSim does."""
    stream = list(tokens(text, where))
    i = 0
    while i < len(stream):
        part = stream[i:i + 4]
        kinds = [k for k, _, _ in part]
        line = part[0][2]
        if len(part) < 4 or kinds[0] != "str" or part[1][1] != "=" or kinds[2] not in ("str", "num", "fnum") \
                or part[3][1] != ";":
            near = " ".join(v for _, v, _ in part)
            hint = ""
            if any(v.count("{") != v.count("}") or v in ("{", "}") for _, v, _ in part):
                hint = " (unbalanced braces)"
            elif len(part) < 4 or part[-1][1] != ";":
                hint = " (each statement is key = value;)"
            raise FabricError(f"{where} line {line}: syntax error near {near!r}{hint}")
        assign(config, part[0][1], kinds[2], part[2][1], f"{where} line {line}")
        i += 4


def assign(config: dict, field: str, kind: str, text: str, where: str) -> None:
    types = FIELDS.get(field)
    wanted = {"str": "str", "num": "int", "fnum": "float"}[kind]
    if types is None:
        import difflib

        close = difflib.get_close_matches(field, list(FIELDS), n=1, cutoff=0.7)
        raise FabricError(f"{where}: {field}: BookSim has no such field"
                          + (f" (did you mean {close[0]!r}?)" if close else ""))
    if wanted not in types:
        have = " or ".join(sorted(types))
        raise FabricError(f"{where}: {field}: a {have} field, given {text!r} (BookSim: Unknown {wanted} field)")
    config[field] = (wanted, text if wanted == "str" else int(text) if wanted == "int" else float(text))


def read(path: str, overrides=()) -> dict:
    """BookSim's configuration after the file and the overrides: field -> (type, value); a field the file
    does not set keeps its default (of its first type)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError as error:
        raise FabricError(f"{path}: {error.strerror or error}") from None
    config = {}
    parse(text, os.path.basename(path), config)
    for item in overrides:
        if "=" not in item:
            raise FabricError(f"--set {item}: expected KEY=VALUE")
        parse(item + ";", f"--set {item}", config)
    return config


def value(config: dict, field: str, kind: str | None = None):
    """A field's value: as set, else BookSim's default (of `kind`, or its first type)."""
    if field in config and (kind is None or config[field][0] == kind):
        return config[field][1]
    defaults = FIELDS[field]
    return defaults[kind] if kind in defaults else next(iter(defaults.values()))


# --------------------------------------------------------------------------------------------- mapping

def _flatfly_node(dest: int, x: int, xr: int, yr: int, c: int) -> int:
    """BookSim's flatfly_transformation: where node `dest` sits, as router * c + index."""
    horizontal, horizontal_rem = divmod(dest % (x * xr), xr)
    vertical, vertical_rem = divmod(dest // (x * xr), yr)
    return (vertical * x + horizontal) * c + xr * vertical_rem + horizontal_rem


ROUTINGS = {      # (BookSim topology, routing_function) -> fabric routing.algorithm
    ("mesh", "dim_order"): "dor", ("mesh", "dor"): "dor", ("mesh", "romm"): "romm",
    ("torus", "dim_order"): "dor", ("torus", "dor"): "dor",
    ("fattree", "nca"): "nca", ("fattree", "anca"): "anca",
    ("dragonflynew", "min"): "min", ("dragonflynew", "ugal"): "ugal",
    # flatfly's ran_min: the lowest dimension whose coordinate differs first (flatfly_outport), dimension order
    ("flatfly", "ran_min"): "dor",
}
TRAFFIC = {"uniform": "uniform", "transpose": "transpose", "bitcomp": "bit_complement", "bitrev": "bit_reverse",
           "shuffle": "shuffle", "tornado": "tornado", "neighbor": "neighbor", "randperm": "random_permutation"}
ALLOCATORS = ("islip", "separable_input_first", "separable_output_first", "wavefront", "pim", "max_size")
# fields that change what BookSim simulates, and the value fabric's model has (a field left at this is fine)
FIXED = {
    "router": ("iq", "fabric's router is BookSim's iq router (or its own output-queued kind)"),
    "speculative": (0, "fabric has no speculative switch allocation"),
    "st_prepare_delay": (0, "fabric's switch traversal is one stage (st_final_delay)"),
    "credit_delay": (0, "fabric's credits take the link's latency, with no delay of their own"),
    "output_delay": (0, "fabric has no output delay"),
    "input_speedup": (1, "fabric's switch has one input per port"),
    "output_speedup": (1, "fabric's switch has one output per port"),
    "wait_for_tail_credit": (0, "fabric frees an output VC when the tail leaves"),
    "hold_switch_for_packet": (0, "fabric allocates the switch flit by flit"),
    "arb_type": ("round_robin", "fabric's arbiters are round-robin"),
    "priority": ("none", "fabric has no packet priorities"),
    "subnets": (1, "fabric has one network (planes are topology.planes of a clos)"),
    "include_queuing": (1, "fabric's packet latency includes the source queue (its network latency does not)"),
    "sim_count": (1, "a fabric run is one simulation"),
    "use_read_write": (0, "fabric has no read/write (request-reply) traffic in BookSim's form"),
    "link_failures": (0, "use [faults] (link_fraction, seed)"),
    "sim_type": ("latency", "fabric measures a fixed window (use traffic.injection_rate 1.0 for throughput)"),
    "classes": (1, "fabric's traffic classes are [traffic.classes]"),
}
# fields whose value changes nothing fabric simulates (printing, watching, BookSim's own convergence test,
# which fabric's fixed window replaces), and those the mapping below reads
IGNORED = {"print_activity", "print_csv_results", "deadlock_warn_timeout", "viewer_trace", "watch_file",
           "watch_packets", "watch_flits", "watch_transactions", "watch_out", "stats_out", "sim_power",
           "power_output_file", "tech_file", "dsent_router_config", "dsent_link_config", "latency_thres",
           "warmup_thres", "acc_warmup_thres", "stopping_thres", "acc_stopping_thres", "max_samples",
           "alloc_iters", "print_vc_stats", "channel_width", "batch_size", "batch_count", "max_outstanding_requests",
           "use_noc_latency", "x", "y", "xr", "yr", "in_ports", "out_ports",
           # read/write traffic's VC ranges and sizes (use_read_write, which fabric refuses, is what uses them)
           *(f"{kind}_{part}" for kind in ("read_request", "write_request", "read_reply", "write_reply")
             for part in ("begin_vc", "end_vc", "size"))}


def to_spec(config: dict, base: str = ".") -> tuple[dict, list]:
    """(the fabric spec, and the reasons of the fields it could not honour); each problem a line. `base`:
    the folder files named in the configuration are found in (anynet's network_file)."""
    problems = []

    def cannot(field, why):
        problems.append(f"{field} = {_shown(config, field)}: {why}")

    topology = value(config, "topology", "str")
    k, n, c = value(config, "k", "int"), value(config, "n", "int"), value(config, "c", "int")
    noc = value(config, "use_noc_latency", "int") == 1
    spec = {"topology": {}, "router": {}, "link": {}, "routing": {}, "traffic": {}, "sim": {}}
    if topology in ("mesh", "torus"):
        spec["topology"] = {"kind": topology, "dims": [k] * n}
        if c != 1:
            cannot("c", "BookSim's k-ary n-cube has one node per router (its concentrated mesh is cmesh)")
        spec["link"]["latency"] = 2 if (noc and topology == "torus") else 1
    elif topology == "fattree":
        spec["topology"] = {"kind": "fat_tree", "k": k, "n": n}
        spec["link"]["latency"] = 1
    elif topology == "flatfly":
        # BookSim's on-chip flattened butterfly (flatfly_onchip.cpp): a k x k grid of routers, each joined to
        # every router of its row and column, c nodes each: fabric's 2-D hyperx
        x, y, xr, yr = (value(config, f, "int") for f in ("x", "y", "xr", "yr"))
        if n != 2:
            cannot("n", "BookSim's flatfly is 2-D (fabric's hyperx takes any number of dimensions)")
        if (x, y) != (k, k):
            cannot("x", f"BookSim's flatfly needs x = y = k ({k}) routers a side")
        if c != xr * yr:
            cannot("c", f"BookSim's flatfly needs c = xr x yr ({xr} x {yr})")
        elif c > 1 and any(_flatfly_node(d, x, xr, yr, c) != d for d in range(k * k * c)):
            cannot("c", "BookSim's flatfly numbers its nodes by xr x yr blocks of the chip (flatfly_transformation); "
                        "fabric's hyperx numbers them router by router")
        spec["topology"] = {"kind": "hyperx", "dims": [k, k], "concentration": c}
        spec["link"]["latency"] = 1
        if noc and c > 1:
            cannot("use_noc_latency", "BookSim's flatfly then lengthens a node's channels by its distance from the "
                                      "router; fabric's endpoint channels take one cycle")
    elif topology == "anynet":
        network_file = value(config, "network_file", "str")
        if not network_file:
            cannot("network_file", "anynet needs its file")
        spec["topology"] = {"kind": "graph", "file": os.path.abspath(os.path.join(base, network_file))}
        spec["link"]["latency"] = 1
    elif topology == "dragonflynew":
        if n != 1:
            cannot("n", "fabric's dragonfly is BookSim's with n = 1 (groups of 2k routers)")
        spec["topology"] = {"kind": "dragonfly", "p": k, "a": 2 * k, "h": k, "global_latency": 100}
        spec["link"]["latency"] = 10            # BookSim's dragonflynew: local channels 10 cycles, global 100
    else:
        problems.append(f"topology = {topology}: fabric imports mesh, torus, fattree, flatfly, dragonflynew and "
                        f"anynet (not {topology})")
    routing = value(config, "routing_function", "str")
    routing_base = re.sub(r"_(mesh|torus|fattree|dragonflynew|flatfly|ni)$", "", routing)
    algorithm = ROUTINGS.get((topology, routing_base))
    if algorithm:
        spec["routing"]["algorithm"] = algorithm
        if topology == "torus":
            spec["routing"]["torus_tie"] = "random"
    elif topology == "anynet":
        spec["routing"]["algorithm"] = "ecmp"
        cannot("routing_function", "BookSim's anynet routes each pair over one fixed shortest path (min_anynet); "
                                   "fabric's ecmp spreads packets over every shortest path (taken with --lenient)")
    elif topology in ("mesh", "torus", "fattree", "dragonflynew", "flatfly"):
        known = ", ".join(r for t, r in ROUTINGS if t == topology)
        cannot("routing_function", f"fabric has no {routing} on a {topology} (it maps: {known})")
    r = spec["router"]
    r["vcs"] = value(config, "num_vcs", "int")
    r["vc_buffer"] = value(config, "vc_buf_size", "int")
    for ours, theirs in (("routing_delay", "routing_delay"), ("vc_alloc_delay", "vc_alloc_delay"),
                         ("sw_alloc_delay", "sw_alloc_delay"), ("st_delay", "st_final_delay")):
        r[ours] = value(config, theirs, "int")
    speedup = value(config, "internal_speedup", "float")
    if speedup != 1.0:
        r["internal_speedup"] = speedup
    out = value(config, "output_buffer_size", "int")
    if out != -1:
        r["output_buffer"] = out
    iterations = set()
    for field in ("vc_allocator", "sw_allocator"):
        name = value(config, field, "str")
        m = re.fullmatch(r"([a-z_]+)(?:\((\d+)\))?", name)
        if not m or m.group(1) not in ALLOCATORS:
            cannot(field, f"fabric's allocators are {', '.join(ALLOCATORS)} (islip(N): N iterations)")
            continue
        if m.group(1) != "islip":
            r[field] = m.group(1)
        iterations.add(int(m.group(2) or 1))
    if len(iterations) > 1:
        cannot("sw_allocator", "fabric takes one number of iterations for both allocators (router.alloc_iters)")
    elif iterations and iterations != {1}:
        r["alloc_iters"] = iterations.pop()
    # traffic
    t = spec["traffic"]
    pattern = value(config, "traffic", "str")
    if value(config, "injection_process", "str") not in ("bernoulli", "on_off"):
        cannot("injection_process", "fabric maps bernoulli and on_off")
    if pattern in TRAFFIC:
        t["pattern"] = TRAFFIC[pattern]
    else:
        cannot("traffic", f"fabric maps the patterns {', '.join(TRAFFIC)}")
    size = value(config, "packet_size", "int")
    rate = value(config, "injection_rate", "float")
    flits = value(config, "injection_rate_uses_flits", "int")
    t["packet_size"] = size
    t["injection_rate"] = rate if flits else rate * size      # BookSim: packets per node per cycle unless flits
    if not (0 <= t["injection_rate"] <= 1):
        cannot("injection_rate", f"{t['injection_rate']:g} flits per node per cycle is more than a node can send")
    for field in ("packet_size", "injection_rate"):
        if config.get(field, ("",))[0] == "str":
            cannot(field, "per-class lists ({...}) are not mapped: give one value")
    process = value(config, "injection_process", "str")
    if process == "on_off":
        # BookSim's (injection.cpp): two of burst_alpha, burst_beta and burst_r1 given (the third < 0), the
        # third from the rate in packets; fabric's on_off is the same Markov source, set by its mean rate,
        # its rate when ON (peak_rate) and its mean ON time (burst_length = 1 / beta)
        alpha, beta, r1 = (value(config, f, "float") for f in ("burst_alpha", "burst_beta", "burst_r1"))
        packets = t["injection_rate"] / size
        if sum(x < 0 for x in (alpha, beta, r1)) != 1:
            cannot("injection_process", "BookSim's on_off takes exactly two of burst_alpha, burst_beta and "
                                        "burst_r1 (the third < 0); it would stop here too")
        elif packets <= 0:
            cannot("injection_rate", "on_off needs a rate above 0")
        else:
            if alpha < 0:
                alpha = beta * packets / (r1 - packets)
            elif beta < 0:
                beta = alpha * (r1 - packets) / packets
            else:
                r1 = packets * (alpha + beta) / alpha
            if not (0 < beta <= 1 and 0 < alpha <= 1 and packets < r1 <= 1 and r1 * size <= 1):
                cannot("injection_process", f"on_off with alpha {alpha:g}, beta {beta:g}, r1 {r1:g}: fabric's ON "
                                            f"rate is at most a flit a cycle and above the mean")
            else:
                t.update(process="on_off", burst_length=1 / beta, peak_rate=r1 * size)
    # simulation windows: BookSim warms up for warmup_periods sample periods, then measures up to
    # max_samples of them (fabric measures all of them: it has no convergence test)
    period = value(config, "sample_period", "int")
    s = spec["sim"]
    seed = config.get("seed")
    if seed and seed[0] == "str":
        cannot("seed", "fabric's runs are reproducible: give a number")
    s["seed"] = value(config, "seed", "int")
    s["warmup_cycles"] = value(config, "warmup_periods", "int") * period
    s["measure_cycles"] = value(config, "max_samples", "int") * period
    # every other field set in the file: fine at the value fabric's model has, or without effect
    mapped = {"topology", "k", "n", "c", "routing_function", "network_file", "num_vcs", "vc_buf_size", "routing_delay",
              "vc_alloc_delay", "sw_alloc_delay", "st_final_delay", "internal_speedup", "output_buffer_size",
              "vc_allocator", "sw_allocator", "traffic", "packet_size", "injection_rate",
              "injection_rate_uses_flits", "sample_period", "warmup_periods", "seed", "injection_process",
              "burst_alpha", "burst_beta", "burst_r1"}
    for field, (kind, given) in config.items():
        if field in mapped or field in IGNORED:
            continue
        if field in FIXED:
            want, why = FIXED[field]
            if given != want:
                cannot(field, why)
        elif given != FIELDS[field].get(kind, given):
            cannot(field, "fabric has no counterpart")
    return spec, problems


def _shown(config, field):
    """A field's value as the problem lines show it."""
    return config.get(field, (None, value(config, field)))[1]


def import_config(path: str, overrides=(), lenient: bool = False) -> str:
    """The TOML spec of a BookSim configuration file (with its overrides). FabricError naming the first
    field fabric cannot honour, unless lenient (then each is a comment at the top of the spec)."""
    config = read(path, overrides)
    spec, problems = to_spec(config, os.path.dirname(os.path.abspath(path)))
    if problems and not lenient:
        raise FabricError(f"{os.path.basename(path)}: {problems[0]}"
                          + (f" (and {len(problems) - 1} more; --lenient lists them)" if len(problems) > 1 else ""))
    head = [f"# imported from BookSim 2 configuration {os.path.basename(path)}"
            + (f" with {' '.join(overrides)}" if overrides else "") + " (fabric import booksim)"]
    head += [f"# not honoured: {p}" for p in problems]
    return "\n".join(head) + "\n\n" + to_toml(spec)


def to_toml(spec: dict) -> str:
    """A spec dict as TOML: one table per section, in order; nested tables as dotted headers."""
    out = []

    def emit(prefix, table):
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if scalars or not table:
            out.append(f"[{prefix}]")
            out.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
            out.append("")
        for k, v in table.items():
            if isinstance(v, dict):
                emit(f"{prefix}.{k}", v)

    for section, table in spec.items():
        if table:
            emit(section, table)
    return "\n".join(out)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "nan"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")
