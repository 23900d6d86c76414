# Distance-table routings on graphs (fabric/routing/updown.py, ecmp.py): up*/down* and ECMP.
from _types cimport *
from fabric._core cimport Core
from _rng cimport mix32

cdef enum:
    ROUTE_TABLE_UPDOWN = 0x40   # up*/down* over distance tables (fabric/routing/updown.py)
    ROUTE_TABLE_ECMP = 0x41     # shortest paths, a VC class per hop (fabric/routing/ecmp.py)


cdef inline dict table_modes():
    return {"table_updown": ROUTE_TABLE_UPDOWN, "table_ecmp": ROUTE_TABLE_ECMP}


cdef inline void route_table(Core self, int r, int p, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
    """Distance-table routing on a graph: the ports whose far router is one hop nearer the
    destination router are the candidates, and a hash of the packet's key and the router picks one,
    uniformly, so the packets of a pair spread evenly over every equal-cost path (ECMP). up*/down*:
    a packet that came in over a down link may only go down; before that, up links lead on by the
    up*/down* distance and down links by the down-only one. ecmp: shortest paths, hop i on VC class i."""
    cdef int t = self.ep_router[dest], n = self.n_routers, q, count = 0, pick, p1 = self.port_indptr[r + 1]
    cdef int hop, want, came_down = 0
    cdef uint32_t h
    cdef bint after = self.fault_at >= 0 and (in_vc.front[0] & FLIT_AFTER_FAULT) != 0
    cdef int16_t *row_any = (self.dist_any_after if after else self.dist_any) + <int64_t>t
    cdef int16_t *row_down = (self.dist_down_after if after else self.dist_down) + <int64_t>t
    cdef int32_t *far = self.port_far_after if after else self.port_far
    cdef int8_t *up = self.port_up_after if after else self.port_up
    if t == r:
        in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
        in_vc.sel = CLASS_ALL
        return
    if self.route_mode == ROUTE_TABLE_ECMP:
        hop = <int>((in_vc.front[0] >> HOPS_SHIFT) & HOPS_MASK)
        in_vc.sel = <uint8_t>(CLASS_ALL if self.ecmp_any_vc else CLASS_HOP + (hop if hop < 31 else 31))
        want = row_any[<int64_t>r * n] - 1
    else:
        in_vc.sel = CLASS_ALL
        came_down = far[p] >= 0 and up[p]
        want = (row_down[<int64_t>r * n] if came_down else row_any[<int64_t>r * n]) - 1
    # two passes over the ports: count the candidates, then take the chosen one
    for q in range(p0, p1):
        count += table_candidate(self, q, n, want, came_down, row_any, row_down, far, up)
    if count == 0:
        in_vc.out_lo = 0                # never: fabric/routing/_tables.py checks every pair has a way
        return
    if self.forced_choice >= 0:         # probe_route: every choice in turn
        pick = self.forced_choice % count
    else:
        h = mix32(self.pkt_key[(in_vc.front[0] >> PID_SHIFT) & PID_MASK] ^ (<uint32_t>r * <uint32_t>0x9E3779B1))
        pick = <int>((<uint64_t>h * <uint64_t>count) >> 32)
    for q in range(p0, p1):
        if table_candidate(self, q, n, want, came_down, row_any, row_down, far, up):
            if pick == 0:
                in_vc.out_lo = <int16_t>(q - p0)
                return
            pick -= 1


cdef inline int table_candidate(Core self, int q, int n, int want, int came_down, int16_t *row_any,
                                 int16_t *row_down, int32_t *far, int8_t *up) noexcept nogil:
    """1 if port q leads one hop nearer, by the table the packet's phase uses."""
    cdef int w = far[q]
    if w < 0:
        return 0
    if self.route_mode == ROUTE_TABLE_ECMP:
        return row_any[<int64_t>w * n] == want
    if up[q]:
        return not came_down and row_any[<int64_t>w * n] == want
    return row_down[<int64_t>w * n] == want
