"""ecmp: shortest-path routing over distance tables, for any connected network (any topology kind).

Every port whose far router is one hop nearer the destination is a candidate; a hash of the packet's
random key (drawn for it at its source) and the router picks one uniformly, so a pair's packets spread
evenly over all its shortest paths (equal-cost multi-path). Deadlock freedom by VC classes per hop:
hop i uses the i-th of D equal slices of the VCs (D the graph's diameter), so every channel dependency
goes to a higher class. ``router.vcs`` must be at least the diameter.

    [routing]
    algorithm = "ecmp"
"""
from ...params import Param
from ...registry import routings


PARAMS = (Param("hop_classes", "bool", True,
                "a VC class per hop (deadlock-free); false: any VC, which can deadlock (to test detection)"),)


def _diameter(topo: dict) -> int:
    from ...registry import topologies
    from ._tables import links, shortest

    net = topologies.get(topo["kind"]).func(topo, {"latency": 1, "cycles_per_flit": 1, "classes": {}})
    _, src, dst = links(net)
    return int(shortest(net.n_routers, src, dst).max())


def check(spec: dict):
    from ...errors import FabricError

    if not spec["routing"]["hop_classes"]:
        return
    try:
        diameter = _diameter(spec["topology"])
    except FabricError:
        return              # the topology's own check reports it
    if spec["router"]["vcs"] < diameter:
        yield "router.vcs", (f"ecmp on this graph (diameter {diameter}) needs at least {diameter} VCs, one "
                             f"class per hop, got {spec['router']['vcs']}")


@routings.register("ecmp", params=PARAMS, check=check, oblivious=True)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode, the shortest-path table and one VC class per hop."""
    from ...constants import ROUTING_MODES
    from ._tables import tables

    arrays = tables(network, "ecmp")
    tables_only = {k: v for k, v in arrays.items() if k.startswith(("dist", "port"))}
    return {"mode": ROUTING_MODES["table_ecmp"], "arrays": tables_only,
            "settings": {"hop_classes": arrays["diameter"], "ecmp_any_vc": not routing["hop_classes"],
                         "packet_keys": True}}
