"""chakra: replay Chakra execution traces (the workload format of ASTRA-sim and MLCommons Chakra), closed loop.

``file`` names a folder holding ``NAME.RANK.et`` files (one name), or the ``NAME`` prefix itself
(``traces/allreduce`` for ``traces/allreduce.0.et``, ``.1.et``, ...); rank r runs on endpoint r, or on
``ranks_list[r]``. Each file's nodes become the run's steps (docs/workloads.md):

- ``COMM_SEND_NODE`` sends a message of ``comm_size`` bytes to rank ``comm_dst``; it is done when the
  message has arrived. The k-th send from rank a to rank b with tag ``comm_tag`` (in file order) is the
  message of the k-th ``COMM_RECV_NODE`` on rank b from ``comm_src`` a with that tag, which is done when
  the message has arrived and its own dependencies are done.
- ``COMM_COLL_NODE``: the k-th collective node of every rank is one collective over all the trace's ranks
  (``comm_type``: all-reduce, all-gather, reduce-scatter or all-to-all; ``comm_size`` bytes per rank, the
  buffer of NCCL's definitions), run with fabric's own algorithm ``algorithm``. A rank starts sending
  once its own node's dependencies are done, and its node is done when it has sent and received its last
  message of the collective.
- ``COMP_NODE`` (and any other node) takes its ``duration_micros`` and sends nothing.
- A node starts when every node in its ``data_deps`` and ``ctrl_deps`` is done.

Bytes become flits of ``link.flit_bytes`` (rounded up, at least one a message) and microseconds cycles
at ``sim.clock_ghz``. The result's ``workload`` gives the completion in cycles and seconds, each
collective's finish and bandwidths (GB/s), and each rank's finish.

    [traffic]
    pattern = "chakra"
    file = "traces/all_reduce/8npus_1MB"
"""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict, deque

from ..errors import FabricError
from ..params import Param
from ..registry import traffic_patterns
from ._messages import Messages
from ._collectives import add_collective
from .collective import BUS_FACTOR, PARAMS as COLLECTIVE_PARAMS

PARAMS = (
    Param("file", "str", "", "the trace: a folder of NAME.RANK.et files, or the path and NAME before .RANK.et"),
    *(p for p in COLLECTIVE_PARAMS if p.name in ("algorithm", "group", "segments")),
    Param("ranks_list", "int_list", [], "the endpoint of each rank (default: rank r on endpoint r)", min=0,
          min_len=0),
)
COLLECTIVES = {"ALL_REDUCE": "all_reduce", "ALL_GATHER": "all_gather", "REDUCE_SCATTER": "reduce_scatter",
               "ALL_TO_ALL": "all_to_all"}
FILE_NAME = re.compile(r"^(.*)\.(\d+)\.et$")


def trace_files(path: str) -> tuple[str, list]:
    """(shown name, [file of rank 0, rank 1, ...]) of the trace at `path` (a folder, or a NAME prefix)."""
    if os.path.isdir(path):
        folder, matches = path, [FILE_NAME.match(f) for f in sorted(os.listdir(path))]
        names = sorted({m.group(1) for m in matches if m})
        if len(names) != 1:
            found = ", ".join(names) if names else "none"
            raise FabricError(f"traffic.file: {path}: a folder of one trace's NAME.RANK.et files is needed "
                              f"(names found: {found}); name one as {os.path.join(path, 'NAME')}")
        prefix = names[0]
    else:
        folder, prefix = os.path.split(path)
        folder = folder or "."
        try:
            listing = sorted(os.listdir(folder))
        except OSError as error:
            raise FabricError(f"traffic.file: {path}: {error.strerror or error}") from None
        matches = [FILE_NAME.match(f) for f in listing]
    ranks = {int(m.group(2)): os.path.join(folder, m.group(0)) for m in matches if m and m.group(1) == prefix}
    if not ranks:
        raise FabricError(f"traffic.file: {path}: no {prefix}.RANK.et files")
    missing = sorted(set(range(max(ranks) + 1)) - set(ranks))
    if missing:
        raise FabricError(f"traffic.file: {path}: ranks 0 to {max(ranks)} need a file each; "
                          f"{prefix}.{missing[0]}.et is missing")
    return os.path.join(folder, prefix), [ranks[r] for r in range(len(ranks))]


def read(path: str, endpoints: list | None, n_endpoints: int, units: dict, algorithm: str, group: int,
         segments: int = 8):
    """(messages, workload description) of the trace at `path`, rank r on endpoints[r] (None: on r)."""
    from ._chakra_format import COLLECTIVE_TYPES, read_file

    shown, files = trace_files(path)
    n = len(files)
    if endpoints is None:
        if n > n_endpoints:
            raise FabricError(f"traffic.file: {shown}: the trace has {n} ranks, the network {n_endpoints} "
                              f"endpoints")
        endpoints = list(range(n))
    elif len(endpoints) != n:
        raise FabricError(f"traffic.ranks_list: {len(endpoints)} endpoints for the {n} ranks of {shown}")
    flit_bytes, clock_ghz = units["flit_bytes"], units["clock_ghz"]
    names = [os.path.basename(f) for f in files]
    traces = [read_file(f, name) for f, name in zip(files, names)]

    m = Messages()
    entry = {}                  # (rank, node id) -> the entry whose completion is the node's
    label = {}                  # entry -> (rank, node) for errors
    deps_of = []                # (entry, rank, node) whose deps are the node's
    sends = defaultdict(deque)  # (src, dst, tag) -> the sends' (rank, node, message, bytes), in file order
    recvs = []                  # (rank, node, step entry)
    collectives = [[] for _ in range(n)]    # per rank: (node, gate entry, done entry)
    counts = defaultdict(int)

    def where(rank, node):
        return f"traffic.file: {names[rank]}: node {node['id']} ({node['name'] or node['type']})"

    def rank_attr(rank, node, key):
        value = node["attrs"].get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise FabricError(f"{where(rank, node)}: needs the attribute {key} (a rank)")
        if not 0 <= value < n:
            raise FabricError(f"{where(rank, node)}: {key} {value} is not a rank of the trace (0 to {n - 1})")
        return value

    def size_attr(rank, node):
        value = node["attrs"].get("comm_size")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise FabricError(f"{where(rank, node)}: needs the attribute comm_size (bytes, >= 0)")
        return value

    for rank, nodes in enumerate(traces):
        ep = endpoints[rank]
        if not 0 <= ep < n_endpoints:
            raise FabricError(f"traffic.ranks_list: rank {rank} on endpoint {ep}, outside 0..{n_endpoints - 1}")
        for node in nodes:
            if (rank, node["id"]) in entry:
                raise FabricError(f"{where(rank, node)}: a second node with id {node['id']}")
            kind = node["type"]
            counts[kind if isinstance(kind, str) else f"type {kind}"] += 1
            if kind == "COMM_SEND_NODE":
                dst, size = rank_attr(rank, node, "comm_dst"), size_attr(rank, node)
                e = m.add(ep, endpoints[dst], max(1, math.ceil(size / flit_bytes)))
                sends[rank, dst, node["attrs"].get("comm_tag", 0)].append((rank, node, e, size))
            elif kind == "COMM_RECV_NODE":
                e = m.add_step(ep)
                recvs.append((rank, node, e))
            elif kind == "COMM_COLL_NODE":
                gate, e = m.add_step(ep), m.add_step(ep)
                collectives[rank].append((node, gate, e))
                label[gate] = (rank, node)
                deps_of.append((gate, rank, node))
            else:
                e = m.add_step(ep, round(node["duration_micros"] * 1000 * clock_ghz))
            entry[rank, node["id"]] = e
            label[e] = (rank, node)
            if kind != "COMM_COLL_NODE":
                deps_of.append((e, rank, node))
    for e, rank, node in deps_of:
        parents = []
        for d in node["deps"]:
            if (rank, d) not in entry:
                raise FabricError(f"{where(rank, node)}: depends on node {d}, which the file does not hold")
            parents.append(entry[rank, d])
        m.deps[e] = tuple(parents)
    # receives: the k-th from a with a tag takes the k-th send from a to this rank with that tag
    for rank, node, e in recvs:
        src, size = rank_attr(rank, node, "comm_src"), size_attr(rank, node)
        key = (src, rank, node["attrs"].get("comm_tag", 0))
        if not sends[key]:
            raise FabricError(f"{where(rank, node)}: receives from rank {src} with tag {key[2]}, and no send "
                              f"of {names[src]} is left to match it")
        s_rank, s_node, message, s_size = sends[key].popleft()
        if s_size != size:
            raise FabricError(f"{where(rank, node)}: receives {size} bytes, and the send it matches "
                              f"(node {s_node['id']} of {names[s_rank]}) sends {s_size}")
        m.deps[e] += (message,)
    for (src, dst, tag), left in sends.items():
        if left:
            s_rank, s_node, _, _ = left[0]
            raise FabricError(f"{where(s_rank, s_node)}: sends to rank {dst} with tag {tag}, and no receive "
                              f"of {names[dst]} matches it")
    # collectives: the k-th collective node of every rank is one collective
    info = []
    if any(collectives):
        counts_per_rank = [len(c) for c in collectives]
        if min(counts_per_rank) != max(counts_per_rank):
            r = counts_per_rank.index(min(counts_per_rank))
            raise FabricError(f"traffic.file: {names[r]}: {min(counts_per_rank)} collective nodes, and "
                              f"{names[counts_per_rank.index(max(counts_per_rank))]} has {max(counts_per_rank)}: "
                              f"every rank takes part in every collective")
        for k in range(counts_per_rank[0]):
            first, _, _ = collectives[0][k]
            kind, size = collectives[0][k][0]["attrs"].get("comm_type"), size_attr(0, first)
            for rank in range(n):
                node = collectives[rank][k][0]
                if node["attrs"].get("comm_type") != kind or size_attr(rank, node) != size:
                    raise FabricError(f"{where(rank, node)}: collective #{k} is {_coll_name(node, COLLECTIVE_TYPES)}"
                                      f" of {size_attr(rank, node)} bytes here, {_coll_name(first, COLLECTIVE_TYPES)}"
                                      f" of {size} bytes on rank 0")
            name = COLLECTIVE_TYPES.get(kind, kind)
            if name not in COLLECTIVES:
                raise FabricError(f"{where(0, first)}: the collective {name} is not supported (supported: "
                                  f"{', '.join(COLLECTIVES)})")
            coll = Messages()
            flits = max(1, math.ceil(size / flit_bytes))
            add_collective(coll, COLLECTIVES[name], algorithm, endpoints, flits, None, group, None, segments)
            rank_of = {ep: r for r, ep in enumerate(endpoints)}
            touching = [[] for _ in range(n)]
            base = len(m)
            for i in range(len(coll)):
                src = rank_of[coll.src[i]]
                e = m.add(coll.src[i], coll.dest[i], coll.flits[i], 0,
                          tuple(base + d for d in coll.deps[i]) + (collectives[src][k][1],), k)
                touching[src].append(e)
                touching[rank_of[coll.dest[i]]].append(e)
                label[e] = (src, collectives[src][k][0])
            for rank in range(n):
                m.deps[collectives[rank][k][2]] = tuple(touching[rank])
            info.append({"collective": COLLECTIVES[name], "bytes": size, "size_flits": flits,
                         "gates": [collectives[r][k][1] for r in range(n)],
                         "ends": [collectives[r][k][2] for r in range(n)]})
    _check_acyclic(m, label, where)
    last = [[entry[r, node["id"]] for node in nodes] for r, nodes in enumerate(traces)]
    workload = {"chakra": shown, "ranks": n, "rank_endpoints": endpoints, "flit_bytes": flit_bytes,
                "clock_ghz": clock_ghz, "algorithm": algorithm, "nodes": dict(sorted(counts.items())),
                "network_bytes": flit_bytes * sum(f for f, sent in zip(m.flits, m.sends) if sent),
                "_collectives": info, "_rank_entries": last}
    return m, workload


def _coll_name(node, types):
    kind = node["attrs"].get("comm_type")
    return types.get(kind, f"comm_type {kind}")


def _check_acyclic(m, label, where):
    """Refuse a cycle of dependencies (it would never finish), naming a node on it."""
    import numpy as np

    n = len(m)
    indegree = np.fromiter((len(d) for d in m.deps), np.int64, n)
    children = defaultdict(list)
    for child, deps in enumerate(m.deps):
        for parent in deps:
            children[parent].append(child)
    ready = deque(np.flatnonzero(indegree == 0).tolist())
    seen = 0
    while ready:
        e = ready.popleft()
        seen += 1
        for c in children.get(e, ()):
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    if seen < n:
        stuck = [e for e in np.flatnonzero(indegree > 0).tolist() if e in label]
        rank, node = label[stuck[0]] if stuck else (0, {"id": "?", "name": "", "type": ""})
        raise FabricError(f"{where(rank, node)}: is on a cycle of dependencies (sends, receives and the "
                          f"nodes they wait for), so it could never run")


def summarize(workload: dict, core, release, done, seconds_per_cycle: float) -> dict:
    """The trace's own result keys, from each entry's release and done cycles (-1: not yet)."""
    out = {}
    workload.pop("rank_endpoints")
    collectives = []
    for k, c in enumerate(workload.pop("_collectives")):
        gates, ends = done[c["gates"]], done[c["ends"]]
        item = {"index": k, "collective": c["collective"], "bytes": c["bytes"], "size_flits": c["size_flits"]}
        if (ends >= 0).all():
            start, finish = int(gates.min()), int(ends.max())
            span = max(finish - start, 1) * seconds_per_cycle
            algbw = c["bytes"] / span / 1e9
            p = len(ends)
            item.update(start_cycles=start, finish_cycles=finish, cycles=finish - start,
                        seconds=(finish - start) * seconds_per_cycle,
                        algorithm_bandwidth_gbps=round(algbw, 6),
                        bus_bandwidth_gbps=round(algbw * BUS_FACTOR[c["collective"]](p), 6))
        collectives.append(item)
    out["collectives"] = collectives
    rank_finish = []
    for entries in workload.pop("_rank_entries"):
        ends = done[entries] if entries else done[:0]
        rank_finish.append(int(ends.max()) if len(ends) and (ends >= 0).all() else None)
    out["rank_finish_cycles"] = rank_finish
    if (done >= 0).all():
        seconds = max(int(done.max()), 1) * seconds_per_cycle
        out["network_bandwidth_gbps"] = round(workload["network_bytes"] / seconds / 1e9, 6)
    return out


@traffic_patterns.register("chakra", params=PARAMS, units=True)
def make(network, traffic: dict, units: dict) -> dict:
    if not traffic["file"]:
        raise FabricError("traffic.file: required for the chakra pattern (a folder or a NAME prefix of "
                          "NAME.RANK.et files)")
    endpoints = list(traffic["ranks_list"]) or None
    messages, workload = read(traffic["file"], endpoints, network.n_endpoints, units, traffic["algorithm"],
                              traffic["group"], traffic["segments"])
    return {"messages": messages, "workload": workload, "summarize": summarize}
