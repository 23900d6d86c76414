# What the routing families share: how a routing mode names its family, the coin of a router's stream,
# and the per-hop VC classes.
from _types cimport *
from fabric._core cimport Core
from _rng cimport rng_next

# A routing mode is (family << FAMILY_SHIFT) | algorithm: each family's file numbers its own algorithms,
# and _routing.route hands a head to its family by the mode's upper bits
cdef enum:
    FAMILY_SHIFT = 4
    FAMILY_DOR = 0          # _routing_dor: mesh and torus
    FAMILY_TREE = 1         # _routing_tree: fat trees and folded Clos
    FAMILY_HYPERX = 2       # _routing_hyperx
    FAMILY_DRAGONFLY = 3    # _routing_dragonfly
    FAMILY_TABLE = 4        # _routing_table: graphs


cdef inline bint coin(Core self, int r) noexcept nogil:
    """A fair coin from router r's stream (probe_route forces it)."""
    if self.forced_choice >= 0:
        return self.forced_choice & 1
    return rng_next(&self.router_rng[r]) >> 63


cdef inline int hop_class(Core self, int v) noexcept nogil:
    """Which per-hop class (0, 1, ...) input VC v belongs to."""
    cdef int c = 0
    while c < 31 and not (self.class_mask[CLASS_HOP + c] >> v & 1):
        c += 1
    return c
