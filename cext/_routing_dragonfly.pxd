# Dragonfly routings (fabric/routing/min.py, valiant.py, ugal.py): minimal, Valiant and UGAL, over the
# "consecutive" arrangement of global links.
from _types cimport *
from fabric._core cimport Core
from _routing_base cimport hop_class

cdef enum:
    ROUTE_DRAGONFLY_MIN = 0x30
    ROUTE_DRAGONFLY_VALIANT = 0x31
    ROUTE_DRAGONFLY_UGAL = 0x32     # minimal or Valiant, chosen at the source (fabric/routing/ugal.py)


cdef inline dict dragonfly_modes():
    return {"dragonfly_min": ROUTE_DRAGONFLY_MIN, "dragonfly_valiant": ROUTE_DRAGONFLY_VALIANT,
            "dragonfly_ugal": ROUTE_DRAGONFLY_UGAL}


cdef inline void route_dragonfly(Core self, int r, int in_local, int in_vc_index, int32_t dest,
                                 InVC *in_vc) noexcept nogil:
    if self.route_mode == ROUTE_DRAGONFLY_MIN:
        route_dragonfly_min(self, r, in_local, dest, in_vc)
    else:
        route_valiant(self, r, in_local, in_vc_index, dest, in_vc)


cdef inline void route_dragonfly_min(Core self, int r, int in_local, int32_t dest, InVC *in_vc) noexcept nogil:
    """Dragonfly minimal routing: to the router of this group that holds the global link to the
    destination group, across it, then to the destination router. The hop after the global one
    takes the upper VC class, every other hop the lower: the channel dependency graph is then acyclic
    (local-low, global, local-high, ejection)."""
    cdef int p = self.df_p, a = self.df_a
    cdef int dr = dest // p, i = r % a
    cdef int group = r // a, dgroup = dr // a
    if dr == r:
        in_vc.out_lo = <int16_t>(dest % p)
        in_vc.sel = CLASS_ALL
        return
    if dgroup == group:
        in_vc.sel = CLASS_HIGH if in_local >= p + a - 1 else CLASS_LOW
        in_vc.out_lo = <int16_t>local_port(self, i, dr % a)
    else:
        in_vc.sel = CLASS_LOW
        in_vc.out_lo = <int16_t>towards_group(self, i, group, dgroup)


cdef inline int local_port(Core self, int i, int j) noexcept nogil:
    """Dragonfly: the port of router index i of a group to router index j of the same group."""
    return self.df_p + (j if j < i else j - 1)


cdef inline int towards_group(Core self, int i, int group, int target) noexcept nogil:
    """Dragonfly: the port of router index i of `group` on the minimal way to another group: its
    global link there, or its local link to the router of the group that has it ("consecutive"
    arrangement: global link x of the group, x = target - group - 1 mod g, is router x // h's
    global port x % h)."""
    cdef int x = target - group - 1, j
    if x < 0:
        x += self.df_g
    j = x // self.df_h
    if j == i:
        return self.df_p + self.df_a - 1 + x % self.df_h
    return local_port(self, i, j)


cdef inline void route_valiant(Core self, int r, int in_local, int in_vc_index, int32_t dest, InVC *in_vc) noexcept nogil:
    """Dragonfly Valiant routing: minimally to an intermediate group, then minimally to the
    destination. The intermediate group is uniform over all g groups, drawn for the packet at its
    source (its key, pkt_key), so every router of the path finds the same one. The VC class is the
    number of global links crossed so far (0, 1, 2: three equal slices of the VCs), which the router
    reads back from the VC the packet came in on and the port (a global port adds one): dependencies
    only climb classes."""
    cdef int p = self.df_p, a = self.df_a, g = self.df_g
    cdef int dr = dest // p, i = r % a, target, crossed
    cdef int group = r // a
    cdef uint64_t pid = <uint64_t>((in_vc.front[0] >> PID_SHIFT) & PID_MASK)
    cdef int middle
    if self.forced_choice >= 0:
        middle = <int>((pid >> 1) % <uint64_t>g)      # probe_route: pid >> 1 stands for the group
    else:
        middle = <int>((<uint64_t>self.pkt_key[pid] * <uint64_t>g) >> 32)
    if in_local < p:
        crossed = 0                                            # injected here
    else:
        crossed = hop_class(self, in_vc_index) + (1 if in_local >= p + a - 1 else 0)
    if dr == r:
        in_vc.out_lo = <int16_t>(dest % p)
        in_vc.sel = CLASS_ALL
        return
    if self.route_mode == ROUTE_DRAGONFLY_UGAL:
        if self.forced_choice >= 0:
            # probe_route: the packet id's lowest bit stands for the source's decision
            if pid & 1:
                in_vc.front[0] |= FLIT_NONMINIMAL
        elif in_local < p and middle != group and dr // a != group:
            # UGAL-L at the source, as BookSim's ugal_dragonflynew: minimal unless its port's
            # occupied downstream buffer exceeds twice the Valiant port's plus a threshold
            if used_credits(self, r, group, dr // a) > 2 * used_credits(self, r, group, middle) + self.ugal_threshold:
                in_vc.front[0] |= FLIT_NONMINIMAL
        if not (in_vc.front[0] & FLIT_NONMINIMAL):
            middle = group              # minimal: no intermediate group
    target = middle if crossed == 0 and middle != group else dr // a
    in_vc.sel = <uint8_t>(CLASS_HOP + (crossed if crossed < 2 else 2))
    if target == group:
        in_vc.out_lo = <int16_t>local_port(self, i, dr % a)
    else:
        in_vc.out_lo = <int16_t>towards_group(self, i, group, target)


cdef inline int used_credits(Core self, int r, int group, int target) noexcept nogil:
    """Occupied downstream buffer slots (all VCs) of router r's port towards group `target`."""
    cdef int lo = self.port_indptr[r] + towards_group(self, r % self.df_a, group, target), v, used = 0
    for v in range(self.V):
        used += self.B - self.credits[lo * self.V + v]
    return used
