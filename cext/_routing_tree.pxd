# Tree routings (fabric/routing/nca.py, anca.py): fat trees and folded Clos networks.
from _types cimport *
from fabric._core cimport Core
from _rng cimport rng_below

cdef enum:
    ROUTE_NCA = 0x10        # nearest common ancestor, a random up port
    ROUTE_ANCA = 0x11       # the same, the less loaded of two random up ports


cdef inline dict tree_modes():
    return {"nca": ROUTE_NCA, "anca": ROUTE_ANCA}


cdef inline void route_tree(Core self, int r, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
    """Fat tree, as BookSim's fattree_nca / fattree_anca: down towards the destination once it is
    below this router, else up through a random up port (anca: the one of two random up ports
    with more free credits; the first on a tie)."""
    cdef int32_t off = dest - self.tree_lo[r]
    cdef int up0 = self.tree_up0[r], k = self.tree_nup[r], a, b, V = self.V, v, free_a = 0, free_b = 0
    in_vc.sel = CLASS_ALL
    if 0 <= off < self.tree_span[r]:
        in_vc.out_lo = <int16_t>(off // self.tree_branch[r])
        return
    if self.forced_choice >= 0:         # probe_route: every choice in turn
        in_vc.out_lo = <int16_t>(up0 + self.forced_choice % k)
        return
    a = <int>rng_below(&self.router_rng[r], k)
    if self.route_mode == ROUTE_ANCA:
        b = <int>rng_below(&self.router_rng[r], k)
        for v in range(V):
            free_a += self.credits[(p0 + up0 + a) * V + v]
            free_b += self.credits[(p0 + up0 + b) * V + v]
        if free_b > free_a:
            a = b
    in_vc.out_lo = <int16_t>(up0 + a)
