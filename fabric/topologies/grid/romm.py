"""romm: ROMM on a mesh, two phases of dimension order through a random intermediate router (Nesson &
Johnsson, "ROMM routing on mesh and torus networks", SPAA 1995; BookSim's ``romm_mesh``).

At its source router a packet draws an intermediate router uniformly from the minimal box between its
source and destination routers: each coordinate independently, from the smaller to the larger of the
two, both included (so the source and the destination themselves may be drawn, as BookSim's
``rand_min_intr_mesh``). The draw is the packet's own (from its key), whatever else is in the network.
The packet goes in dimension order to the intermediate (phase 0), then in dimension order to the
destination (phase 1). Every path stays minimal, and spreading them over the box lifts the throughput
of patterns that load a few rows or columns under plain dimension order (transpose: 0.39 accepted against
0.34 in BookSim's runs of the 8x8 mesh, tests/data/booksim_romm_README.md).

Deadlock freedom by two VC classes, as BookSim: phase 0 uses the lower half of ``router.vcs``, phase 1
the upper half, and at the destination router every VC may be used. ``router.vcs`` must be at least 2.

    [routing]
    algorithm = "romm"
"""
from ...registry import routings


def check(spec: dict):
    if spec["router"]["vcs"] < 2:
        yield "router.vcs", f"romm needs at least 2 VCs (one class per phase), got {spec['router']['vcs']}"


@routings.register("romm", topologies=("mesh",), check=check)
def compile_routing(network, routing: dict) -> dict:
    """Core routing mode, two VC classes, and a key per packet (its intermediate router)."""
    from ...constants import ROUTING_MODES

    return {"mode": ROUTING_MODES["romm_mesh"], "vc_classes": 2, "settings": {"packet_keys": True}}
