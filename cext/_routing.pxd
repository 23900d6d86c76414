# Routing: route computation for the head flit at the front of an input VC. Each family of routings has
# its file, with its modes and algorithms (_routing_dor, _routing_tree, _routing_hyperx,
# _routing_dragonfly, _routing_table; what they share is in _routing_base); route hands a head to the
# family of the network's routing mode.
from _types cimport *
from fabric._core cimport Core
from _routing_base cimport FAMILY_SHIFT, FAMILY_DOR, FAMILY_TREE, FAMILY_HYPERX, FAMILY_DRAGONFLY, FAMILY_TABLE
from _routing_dor cimport route_dor
from _routing_tree cimport route_tree
from _routing_hyperx cimport route_hyperx
from _routing_dragonfly cimport route_dragonfly
from _routing_table cimport route_table


cdef inline void route(Core self, int r, int p0, int p, int v, InVC *in_vc) noexcept nogil:
    """Route computation for the head at the front of input VC (p, v) of router r (its first port p0, the
    VC's state in_vc): sets the local output port (in_vc.out_lo) and the output-VC class allowed
    (in_vc.sel). Mesh and torus come first: the shortest path for the commonest networks."""
    cdef int32_t dest = flit_dest(in_vc.front[0])
    if self.route_mode >> FAMILY_SHIFT == FAMILY_DOR:
        route_dor(self, r, p0, p, v, dest, in_vc)
    else:
        route_other(self, r, p0, p, v, dest, in_vc)


cdef inline void route_other(Core self, int r, int p0, int p, int v, int32_t dest, InVC *in_vc) noexcept nogil:
    """The families other than mesh and torus (kept apart, so the mesh and torus path stays short)."""
    cdef int family = self.route_mode >> FAMILY_SHIFT
    if family == FAMILY_TREE:
        route_tree(self, r, p0, dest, in_vc)
    elif family == FAMILY_HYPERX:
        route_hyperx(self, r, p0, dest, in_vc)
    elif family == FAMILY_DRAGONFLY:
        route_dragonfly(self, r, p - p0, v, dest, in_vc)
    elif family == FAMILY_TABLE:
        route_table(self, r, p, p0, dest, in_vc)
