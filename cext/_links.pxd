# Links: flits and credits in flight. A link carries one flit per cycle with a fixed latency, kept as R
# time slots (slot = cycle & rmask) of one entry per port; per router and slot a byte per local port says
# which input VC a flit arrives at (arrive) or which output VC a credit returns to (credit_in). The
# sender writes the slot (router.traverse, sources.endpoint_send); the receiver reads it here.
from _types cimport *
from fabric._core cimport Core, mask_words, port_words
from _statistics cimport stat_flit_seen


cdef inline int receive(Core self, int r, int p0, Shape *shape, Count *counts) noexcept nogil:
    """A: credits arriving at router r's output VCs this cycle. B: flits that arrived on their input
    links last cycle were written into their buffers then and are usable from now on; doing the
    write here, just before its first use, keeps the input-VC state in cache. Only the ports whose
    byte the sender set in credit_in / arrive are visited."""
    cdef int V = self.V, B = self.B, WV, WP, p, i, q, w, b
    cdef int64_t flit
    cdef uint64_t *cm
    cdef uint64_t *am
    cdef uint64_t bytes
    cdef int16_t *credits = &self.credits[p0 * V]
    cdef int64_t *link_flit = self.link_prev
    cdef InVC *in_vc
    WV = mask_words(self, shape)
    WP = port_words(self, shape)
    cm = &self.cm_now[r * WP]
    am = &self.am_prev[r * WP]
    for w in range(WP):
        bytes = cm[w]
        cm[w] = 0
        while bytes:
            credits[pop_port_byte(&bytes, w, V)] += 1
        bytes = am[w]
        am[w] = 0
        while bytes:
            b = pop_port_byte(&bytes, w, V)
            self.vcmask[r * WV + (b >> 6)] |= (<uint64_t>1) << (b & 63)
            p = p0 + self.vc_port[b]
            flit = link_flit[p]
            link_flit[p] = -1
            i = p0 * V + b
            in_vc = &self.ivc[i]
            q = in_vc.count
            if q < 2:
                in_vc.front[q] = flit
            elif q >= B:
                return 1
            else:
                q += in_vc.ring - 2
                if q >= B - 2:
                    q -= B - 2
                self.buf[<int64_t>i * B + q] = flit
            in_vc.count += 1
            if Count is Counting:
                stat_flit_seen(self, in_vc)
            # a head is routed soon, by its destination's key: a random line of ep_key, which the
            # sweep over the network's state has likely pushed out of the caches since last use
            prefetch(&self.ep_key[(flit >> DEST_SHIFT) & DEST_MASK], 0)
    return 0


cdef inline bint take_credit(Core self, int i) noexcept nogil:
    """Output VC i (global port * V + VC) spends a credit for a flit sent or queued towards the far buffer;
    True if it had none (an invariant broken: the caller stops the run)."""
    cdef int q = self.credits[i] - 1
    self.credits[i] = <int16_t>q
    return q < 0


cdef inline int send_flit(Core self, Work *w, int o, int ov, int64_t flit, bint head, cycle_t arrival,
                          bint credit) noexcept nogil:
    """Put the flit on output port o's channel, to arrive at cycle `arrival`: over the link into the far
    input VC ov (spending that VC's credit with `credit`), or out through the ejection channel (1 cycle,
    always accepts; the endpoint's side waits until every router has stepped, see _packets.eject). One
    flit per output per cycle and a fixed latency keep the link's slot free: a store, no load (the
    conservation and credit checks catch a violation). Returns ST_INVARIANT for a missing credit."""
    cdef Port *pout = &self.port[o]
    cdef int64_t slot
    if pout.kind == PORT_LINK:
        slot = arrival & self.rmask
        (<uint8_t *> self.arrive)[slot * self.slot_bytes + pout.peer_byte] = <uint8_t>(ov + 1)
        self.link_flit[slot * self.n_ports + pout.peer] = flit
        w.flit_hops += 1
        if self.fault_at >= 0 and self.now >= self.fault_at and self.port_failed[o]:
            w.drained += 1
        if credit and take_credit(self, o * self.V + ov):
            return ST_INVARIANT
    else:
        w.eject_flit[w.n_eject] = flit
        w.eject_at[w.n_eject] = 2 * arrival + head
        w.n_eject += 1
    return ST_OK
