# HyperX routings (fabric/routing/dor.py, min_adaptive.py): dimension order, and minimal adaptive.
from _types cimport *
from fabric._core cimport Core

cdef enum:
    ROUTE_DOR_HYPERX = 0x20
    ROUTE_HYPERX_ADAPTIVE = 0x21


cdef inline dict hyperx_modes():
    return {"dor_hyperx": ROUTE_DOR_HYPERX, "hyperx_adaptive": ROUTE_HYPERX_ADAPTIVE}


cdef inline void route_hyperx(Core self, int r, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
    """HyperX: a hop per dimension whose coordinate differs, straight to the destination's coordinate
    (the row's ports skip the router's own), in dimension order or adaptively."""
    cdef uint32_t here = self.router_key[r], there = self.ep_key[dest]
    cdef int d, c, t
    in_vc.sel = CLASS_ALL
    if here == there:
        in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
        return
    if self.route_mode == ROUTE_HYPERX_ADAPTIVE:
        route_hyperx_adaptive(self, p0, here, there, in_vc)
        return
    d = self.bit_dim[ctz32(here ^ there)]
    c = (here >> self.coord_shift[d]) & self.coord_mask[d]
    t = (there >> self.coord_shift[d]) & self.coord_mask[d]
    in_vc.out_lo = <int16_t>(self.row_offset[d] + (t if t < c else t - 1))


cdef inline void route_hyperx_adaptive(Core self, int p0, uint32_t here, uint32_t there, InVC *in_vc) noexcept nogil:
    """HyperX minimal adaptive: of the dimensions still to correct, the one whose port towards the
    destination has the most free credits in this hop's VCs (the lowest dimension on a tie). Hop i
    uses VC class i, so hops only ever move to higher classes: deadlock-free."""
    cdef uint32_t diff = here ^ there
    cdef int hop = <int>((in_vc.front[0] >> HOPS_SHIFT) & HOPS_MASK), V = self.V
    cdef int d, c, t, port, best_port = -1, best_free = -1, free, v
    cdef uint64_t allowed
    if hop > 31:
        hop = 31
    allowed = self.class_mask[CLASS_HOP + hop]
    if self.forced_choice >= 0:          # probe_route: take the chosen unaligned dimension
        v = self.forced_choice
    else:
        v = -1
    while diff:
        d = self.bit_dim[ctz32(diff)]
        diff &= ~(self.coord_mask[d] << self.coord_shift[d])
        c = (here >> self.coord_shift[d]) & self.coord_mask[d]
        t = (there >> self.coord_shift[d]) & self.coord_mask[d]
        port = self.row_offset[d] + (t if t < c else t - 1)
        if v >= 0:
            free = 1 if v == 0 else 0
            v -= 1
        else:
            free = 0
            for c in range(V):
                if allowed >> c & 1:
                    free += self.credits[(p0 + port) * V + c]
        if free > best_free:
            best_free = free
            best_port = port
    in_vc.out_lo = <int16_t>best_port
    in_vc.sel = <uint8_t>(CLASS_HOP + hop)
