# Dimension-order routings on meshes and tori (fabric/routing/dor.py), and ROMM on meshes, dimension order
# through a random intermediate router (fabric/routing/romm.py).
from _types cimport *
from fabric._core cimport Core
from _routing_base cimport coin
from _rng cimport mix32

cdef enum:
    ROUTE_DOR_MESH = 0x00
    ROUTE_DOR_TORUS = 0x01
    ROUTE_ROMM_MESH = 0x02


cdef inline dict dor_modes():
    return {"dor_mesh": ROUTE_DOR_MESH, "dor_torus": ROUTE_DOR_TORUS, "romm_mesh": ROUTE_ROMM_MESH}


cdef inline void route_dor(Core self, int r, int p0, int p, int v, int32_t dest, InVC *in_vc) noexcept nogil:
    """Dimension order on a mesh or torus: the lowest dimension whose coordinate differs, minimally; see
    fabric/routing/dor.py for the torus's direction and dateline classes."""
    cdef uint32_t here, there
    cdef int d, c, t, k, dist2, direction, in_local, cont, high
    here = self.router_key[r]
    there = self.ep_key[dest]
    if here == there:
        in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
        in_vc.sel = CLASS_ALL
        return
    if self.route_mode == ROUTE_ROMM_MESH:
        route_romm(self, r, v, here, there, in_vc)
        return
    d = self.bit_dim[ctz32(here ^ there)]
    c = (here >> self.coord_shift[d]) & self.coord_mask[d]
    t = (there >> self.coord_shift[d]) & self.coord_mask[d]
    if self.route_mode == ROUTE_DOR_MESH:
        in_vc.out_lo = <int16_t>(2 * d + (0 if c < t else 1))
        in_vc.sel = CLASS_ALL
        return
    # Torus: direction and dateline class are chosen when the packet turns into dimension d and kept
    # for the whole dimension. A packet still in d arrived on port 2d+1 going + or 2d going -, on a
    # VC of its class, so both are read back from where it came in (BookSim: in_port ^ 1, f->ph).
    # Both cases are computed and one is picked by masks: which applies, and the shorter way round,
    # vary from head to head, and branches on them were mispredicted
    in_local = p - p0
    cont = (in_local >> 1) == d
    k = self.dims[d]
    dist2 = t - c                      # the + distance, (t - c) mod k, without a division
    dist2 += k & -<int>(dist2 < 0)
    dist2 = k - 2 * dist2
    direction = <int>(dist2 <= 0)
    if dist2 == 0 and not cont:        # halfway round (even k): the tie rule, perhaps a coin
        direction = 0 if (self.torus_tie == TIE_POSITIVE or coin(self, r)) else 1
    direction ^= (direction ^ ((in_local & 1) ^ 1)) & -cont
    # the upper VC half: staying on the class it came in on; turning, BookSim dor_next_torus's
    # rule, going + across the wrap or going - without wrapping, which is c > t either way
    high = <int>(c > t)
    high ^= (high ^ <int>(2 * v >= self.V)) & -cont
    in_vc.sel = <uint8_t>(CLASS_LOW + high)
    in_vc.out_lo = <int16_t>(2 * d + direction)


cdef inline void route_romm(Core self, int r, int v, uint32_t here, uint32_t there, InVC *in_vc) noexcept nogil:
    """ROMM on a mesh (Nesson & Johnsson 1995; BookSim's romm_mesh): dimension order to an intermediate
    router drawn for the packet at its source router, uniformly from the minimal box between the source
    and the destination, then dimension order to the destination. Phase 0 (to the intermediate) uses the
    lower half of the VCs, phase 1 the upper half: each phase is dimension order, so neither has a
    dependency cycle, and a packet only ever moves from the lower half to the upper. At the source the
    intermediate replaces the packet's key (pkt_key), which the later routers read; a packet in phase 1
    came in on an upper VC."""
    cdef int64_t flit = in_vc.front[0]
    cdef int32_t pid = flit_pid(flit)
    cdef uint32_t via, target
    cdef int phase, d, c, t
    if self.forced_choice >= 0:           # probe_route: the packet id names the intermediate router
        via = self.router_key[pid % self.n_routers]
    elif flit_hops(flit) == 0:
        via = romm_intermediate(self, here, there, self.pkt_key[pid])
        self.pkt_key[pid] = via
    else:
        via = self.pkt_key[pid]
    phase = <int>(2 * v >= self.V) if flit_hops(flit) else 0
    if via == here:
        phase = 1
    target = there if phase else via
    d = self.bit_dim[ctz32(here ^ target)]
    c = (here >> self.coord_shift[d]) & self.coord_mask[d]
    t = (target >> self.coord_shift[d]) & self.coord_mask[d]
    in_vc.out_lo = <int16_t>(2 * d + (0 if c < t else 1))
    in_vc.sel = <uint8_t>(CLASS_LOW + phase)


cdef inline uint32_t romm_intermediate(Core self, uint32_t here, uint32_t there, uint32_t key) noexcept nogil:
    """The router key of a router drawn by `key` from the minimal box between routers `here` and `there`:
    each coordinate uniform from the lower to the upper one, both included (BookSim's rand_min_intr_mesh),
    dimension d by its own hash of the key."""
    cdef uint32_t via = 0, h
    cdef int d, c, t, span
    for d in range(self.n_dims):
        c = (here >> self.coord_shift[d]) & self.coord_mask[d]
        t = (there >> self.coord_shift[d]) & self.coord_mask[d]
        span = (t - c if t > c else c - t) + 1
        h = mix32(key + <uint32_t>d * <uint32_t>0x9E3779B9) if d else key
        via |= <uint32_t>((c if c < t else t) + <int>((<uint64_t>h * <uint64_t>span) >> 32)) << self.coord_shift[d]
    return via

