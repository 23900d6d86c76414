# The input-queued router: one router's step in one cycle. A head flit written into its buffer at cycle a
# does route computation at a+1 (routing_delay cycles), then VC allocation (vc_alloc_delay), then switch
# allocation (sw_alloc_delay) and switch traversal (st_delay); non-speculative. Body flits need only switch
# allocation. The step receives (_links), routes (_routing), allocates (_allocators) and traverses.
from _types cimport *
from fabric._core cimport Core, mask_words, port_words, setup_of
from _links cimport receive, send_flit, take_credit
from _routing cimport route
from _allocators cimport (switch_allocate, switch_allocate_iterated, vc_allocate, va_alone, switch_allocate_matching,
                          vc_allocate_matching, grant_vc)
from _statistics cimport stat_flit_left, stat_credit_stall, stat_router_step
from _output_queues cimport departure, queue_flit, send_queued, credit_cycle, steps_in


cdef inline int router_cycle(Core self, Work *w, int r, Shape *shape, Count *counts) noexcept nogil:
    """Router r's cycle with output queues: its internal steps (internal_speedup of them a cycle, BookSim's
    Router::Evaluate; each runs every stage once, at the same simulated time), then each output port
    sends a queued flit."""
    cdef int k, status
    w.steps = <int>steps_in(setup_of(self, r), self.now)
    for k in range(w.steps):
        w.step = k
        status = router_step(self, w, r, shape, counts)
        if status != ST_OK:
            w.step = 0
            return status
    w.step = 0
    w.steps = 1
    return send_queued(self, w, r, self.port_indptr[r], counts)


cdef inline int router_step(Core self, Work *w, int r, Shape *shape, Count *counts) noexcept nogil:
    """One cycle of router r. The stages are functions of their own: the hot loops then keep fewer
    values live and spill less (measured +5-10% for the scan)."""
    cdef int p0 = self.port_indptr[r], p1 = self.port_indptr[r + 1]
    cdef int n_in = p1 - p0, li, j, n_sa = 0, n_va = 0, n_win, flags, status
    cdef RouterSetup *rs = setup_of(self, r)
    cdef int wait = rs.va - 1
    if Shape is Queued and rs.kind == KIND_OQ:
        return oq_step(self, w, r, p0, shape, counts)

    # A and B: credits and flits arriving at our ports; C. route computation, and gather VC- and
    # switch-allocation requests
    w.rs = rs
    flags = scan(self, w, r, p0, &n_va, &n_sa, shape, counts)
    if flags < 0:
        return ST_INVARIANT

    # D. VC allocation: iSLIP over (input VC) x (output VC), one iteration, or the allocator chosen
    if rs.vc_alloc >= ALLOC_WAVEFRONT:
        if n_va:
            vc_allocate_matching(self, w, rs, r, p0, n_in * self.V, n_va)
    elif flags & VA_SHARED:
        vc_allocate(self, w, rs, r, p0, n_in * self.V, n_va)
    else:
        for j in range(n_va):
            va_alone(self, w.va_req[j], r, p0, w.va_cand[j], wait)

    # E. switch allocation: iSLIP over input ports x output ports, one iteration; the winners
    # (the requests that keep their place in req_*) then cross the switch
    if (rs.sw_alloc >= ALLOC_WAVEFRONT and n_sa) or (
            rs.sa_iters > 1 and flags & SA_CONFLICT):
        # a matching, or several iterations: the winners stay where they are, marked in w.won (iSLIP: by
        # the iteration they won in, 1 moving the pointers)
        if rs.sw_alloc >= ALLOC_WAVEFRONT:
            n_win = switch_allocate_matching(self, w, rs, r, n_in, n_sa)
        else:
            n_win = switch_allocate_iterated(self, w, rs, p0, n_in, n_sa)
        if Count is Counting:
            stat_router_step(self, r, n_va, n_sa, n_win)
        for j in range(n_sa):
            if w.won[j]:
                status = traverse(self, w, r, p0, w.req_in[j], w.req_out[j], w.req_vc[j], w.won[j] == 1,
                                  shape, counts)
                if status != ST_OK:
                    return status
        return ST_OK
    n_win = switch_allocate(self, w, rs, p0, n_in, n_sa) if flags & SA_CONFLICT else n_sa
    if Count is Counting:
        stat_router_step(self, r, n_va, n_sa, n_win)
    for j in range(n_win):
        status = traverse(self, w, r, p0, w.req_in[j], w.req_out[j], w.req_vc[j], True, shape, counts)
        if status != ST_OK:
            return status
    return ST_OK


cdef inline bint waiting(Core self, Work *w, InVC *in_vc, Shape *shape) noexcept nogil:
    """The VC's current pipeline stage has cycles to go: count one down (once a cycle, in the first
    internal step: a stage of d > 1 cycles ends in the first step of its last cycle, as in BookSim, and
    the next stage starts in the step after). Plain stages take one cycle, so there is nothing to count."""
    if Shape is not Plain:
        if in_vc.wait:
            if Shape is General or w.step == 0:
                in_vc.wait -= 1
            return True
    return False


cdef inline int scan(Core self, Work *w, int r, int p0, int *n_va, int *n_sa, Shape *shape,
                     Count *counts) noexcept nogil:
    """Visit router r's input VCs holding flits, port by port: route new heads, and append VC- and
    switch-allocation requests. An input port asks for an output once, through the VC that comes
    first in round-robin order from the port's VC pointer.

    Which outputs were asked for is kept in bit masks over the output's index mod 64, in registers.
    With more than 64 ports two outputs can share a bit; a shared bit then only flags a conflict
    that is not there, and the allocators give what they give without it (each output grants its
    one requester, each input accepts its one grant), so the masks never change a result."""
    cdef int V = self.V, wi, b, li, v, lo, j, dist, vptr = 0, cur_li = -1, n, WV
    cdef uint64_t bits, bit, cand, held, rc_word, va_word, routed
    cdef uint64_t *words
    cdef uint64_t *rc_words
    cdef uint64_t *va_words
    cdef InVC *ivc = &self.ivc[p0 * V]
    cdef InVC *in_vc
    # outputs asked for: in VC allocation once and more than once; in switch allocation by any
    # input and by the input port being scanned
    cdef uint64_t va_once = 0, va_more = 0, sa_any = 0, sa_this = 0
    cdef int flags = 0, nva = 0, nsa = 0
    # A and B: credits and flits arriving
    WV = mask_words(self, shape)
    words = &self.vcmask[r * WV]
    rc_words = &self.rc_mask[r * WV]
    va_words = &self.va_mask[r * WV]
    if receive(self, r, p0, shape, counts):
        return -1
    for wi in range(WV):
        held = words[wi]
        rc_word = rc_words[wi]
        va_word = va_words[wi]
        routed = 0
        # C. route computation for the heads at the front of idle VCs (each stage has a loop of its
        # own: a branch on the VC's stage would be mispredicted at most visits)
        bits = held & rc_word
        while bits:
            b = 64 * wi + ctz64(bits)
            bit = bits & -bits
            bits &= bits - 1
            in_vc = &ivc[b]
            if waiting(self, w, in_vc, shape):
                continue
            route(self, r, p0, p0 + self.vc_port[b], self.vc_index[b], in_vc)
            in_vc.state = VC_ROUTED
            routed |= bit
            if Shape is not Plain:
                in_vc.wait = <uint16_t>(w.rs.rd - 1)
        # VC-allocation requests of routed heads. A request no free output VC can grant would
        # change nothing (iSLIP pointers move only on a grant), so it is not made
        bits = held & va_word
        while bits:
            b = 64 * wi + ctz64(bits)
            bits &= bits - 1
            in_vc = &ivc[b]
            if waiting(self, w, in_vc, shape):
                continue
            lo = in_vc.out_lo
            cand = self.class_mask[in_vc.sel] & self.pstate[p0 + lo].free_vcs
            if Shape is Queued and self.oq_port[p0 + lo].n >= w.rs.oq_limit:
                cand = 0            # its output queue is full (BookSim: no VC request then)
            if cand:
                bit = (<uint64_t>1) << (lo & 63)
                va_more |= va_once & bit
                va_once |= bit
                w.va_req[nva] = p0 * V + b
                w.va_cand[nva] = cand
                nva += 1
        # switch-allocation requests of VCs holding an output VC, in VC order (an input port's
        # requests stay together)
        bits = held & ~(rc_word | va_word)
        while bits:
            b = 64 * wi + ctz64(bits)
            bits &= bits - 1
            in_vc = &ivc[b]
            if waiting(self, w, in_vc, shape):
                continue
            lo = in_vc.out_lo
            if Shape is Queued and self.oq_port[p0 + lo].n >= w.rs.oq_limit:
                continue
            if self.credits[(p0 + lo) * V + in_vc.sel] <= 0:
                if Count is Counting:
                    stat_credit_stall(self, p0 + lo)
                continue
            if Shape is General or (Shape is Queued and not w.rs.queued):   # (a queue paces its link)
                if self.any_slow and self.port_free[p0 + lo] > self.now:
                    continue
            li = self.vc_port[b]
            v = self.vc_index[b]
            if li != cur_li:
                cur_li = li
                vptr = self.pstate[p0 + li].sa_vptr
                sa_this = 0
            dist = v - vptr
            if dist < 0:
                dist += V
            n = nsa
            bit = (<uint64_t>1) << (lo & 63)
            if sa_this & bit:
                # this input may already ask for that output (its requests are the last ones):
                # keep the VC first in round robin
                j = n - 1
                while j >= 0 and w.req_in[j] == li and w.req_out[j] != lo:
                    j -= 1
                if j >= 0 and w.req_in[j] == li:
                    if dist < (w.req_vc[j] - vptr + V) % V:
                        w.req_vc[j] = v
                    continue
            if sa_this or sa_any & bit:
                flags |= SA_CONFLICT     # this input asks for a second output, or a second
                                         # input for this output
            sa_this |= bit
            sa_any |= bit
            w.req_in[n] = li
            w.req_out[n] = lo
            w.req_vc[n] = v
            nsa = n + 1
        # the heads routed now ask for VCs from the next cycle
        rc_words[wi] = rc_word & ~routed
        va_words[wi] = va_word | routed
    n_va[0] = nva
    n_sa[0] = nsa
    w.va_more = va_more
    if va_more:
        flags |= VA_SHARED
    return flags


cdef inline int traverse(Core self, Work *w, int r, int p0, int li, int lo, int v, bint first,
                          Shape *shape, Count *counts) noexcept nogil:
    """Input port li, VC v won output port lo: move its front flit through the switch. Fields of
    self are read into locals first: the byte-wide stores below may alias anything, and would
    otherwise force them to be reloaded."""
    cdef int V = self.V, B = self.B
    cdef int p = p0 + li, o = p0 + lo, i = p * V + v, q, word
    cdef InVC *in_vc = &self.ivc[i]
    cdef int ov = in_vc.sel
    cdef int64_t flit = in_vc.front[0], slot
    cdef cycle_t now = self.now, arrival
    cdef int64_t rmask = self.rmask, slot_bytes = self.slot_bytes
    cdef Port *pin = &self.port[p]
    cdef Port *pout = &self.port[o]
    cdef PortState *ps = self.pstate
    cdef int head = in_vc.state == VC_ACTIVE_HEAD, count = in_vc.count - 1
    # leave the input buffer; the next flit moves to the front
    in_vc.count = count
    in_vc.front[0] = in_vc.front[1]     # (nothing, if the VC is now empty)
    if count > 1:
        q = in_vc.ring
        in_vc.front[1] = self.buf[<int64_t>i * B + q]
        in_vc.ring = q + 1 if q + 1 < B - 2 else 0
    # an empty VC leaves the router's busy mask
    q = i - p0 * V
    if Shape is Plain:
        word = r                # (q < 64)
    else:
        word = r * self.WV + (q >> 6)
    self.vcmask[word] &= ~((<uint64_t>(count == 0)) << (q & 63))
    # tail: release the output VC; the input VC is free for the next packet's head
    if flit & FLIT_TAIL:
        ps[o].free_vcs |= (<uint64_t>1) << ov
        in_vc.state = VC_IDLE
        self.rc_mask[word] |= (<uint64_t>1) << (q & 63)
    else:
        in_vc.state = VC_ACTIVE
    # round-robin pointers move past the winner (iSLIP; n_in and V stand for 0, see PortState)
    # (the switch allocator's pointers only on a first-iteration match, as iSLIP; the input's VC pointer on every one)
    if first:
        ps[o].sa_gptr = li + 1
        ps[p].sa_aptr = lo + 1
    ps[p].sa_vptr = v + 1
    # the freed slot's credit crosses the reverse channel
    cdef bint queued = False
    if Shape is Queued:
        queued = setup_of(self, r).queued
    if queued:
        slot = (credit_cycle(self, p) + pin.credit_delay) & rmask
    else:
        slot = (now + pin.credit_delay) & rmask
    if pin.kind == PORT_LINK:
        (<uint8_t *> self.credit_in)[slot * slot_bytes + pin.peer_byte] = <uint8_t>(v + 1)
    else:
        # at most one flit leaves an injection buffer per cycle: one credit per (endpoint, plane)
        w.ep_credit[slot * w.cap + w.ep_credit_n[slot]] = pin.peer * V + v
        w.ep_credit_n[slot] += 1
    if queued:
        return to_queue(self, w, r, p0, li, o, ov, flit, head, in_vc, counts)
    # onto the output link, or out through the ejection channel (1 cycle, always accepts)
    arrival = now + pout.flit_delay
    if Count is Counting:
        ps[o].flits += 1
        stat_flit_left(self, in_vc)
    if Shape is not Plain:
        if self.any_slow:
            self.port_free[o] = now + self.port_cpf[o]
    if pout.kind == PORT_LINK and head and ((flit >> HOPS_SHIFT) & HOPS_MASK) < HOPS_MASK:
        flit += 1 << HOPS_SHIFT     # saturates at MAX_HOPS rather than spill into the dest bits
    return send_flit(self, w, o, ov, flit, head, arrival, True)


cdef inline int to_queue(Core self, Work *w, int r, int p0, int li, int o, int ov, int64_t flit, bint head, InVC *in_vc,
                         Count *counts) noexcept nogil:
    """The flit that crossed the switch joins its output VC's queue (cext/_output_queues.pxd). An
    input-queued router takes the downstream credit now, at switch allocation, as BookSim does."""
    cdef RouterSetup *rs = setup_of(self, r)
    cdef int n_in = self.port_indptr[r + 1] - p0, tie = 0
    if Count is Counting:
        stat_flit_left(self, in_vc)
    if self.port[o].kind == PORT_LINK:
        if head and ((flit >> HOPS_SHIFT) & HOPS_MASK) < HOPS_MASK:
            flit += 1 << HOPS_SHIFT
        if rs.kind == KIND_IQ and take_credit(self, o * self.V + ov):
            return ST_INVARIANT
    if rs.kind == KIND_OQ:          # ties in a round robin of inputs that turns each cycle
        tie = li - <int>(self.now % n_in)
        if tie < 0:
            tie += n_in
    return queue_flit(self, rs, r, p0, o, ov, flit, head, departure(self, w, rs), tie)


cdef inline void oq_take_vc(Core self, int i, int r, int p0, uint64_t cand) noexcept nogil:
    """Output-queued VC allocation for input VC i: the first of its free output VCs at or after the output
    port's round-robin place, which moves past it. The port's VCs are handed out in turn, so its packets
    spread over the downstream input VCs (a pointer per input VC, as iSLIP's, gives nearly every packet
    that comes from another port the port's first free VC, and the downstream router then serves them
    one VC at a time)."""
    cdef PortState *ps = &self.pstate[p0 + self.ivc[i].out_lo]
    cdef uint64_t rot
    cdef int a = ps.sa_gptr
    cand &= ps.free_vcs
    if not cand:
        return
    rot = (cand >> a) | (cand << ((64 - a) & 63))
    a = (a + ctz64(rot)) & 63
    ps.sa_gptr = <int16_t>(a + 1 if a + 1 < self.V else 0)
    grant_vc(self, i, r, p0, a, False, 0)        # (an output-queued router's stages do not wait)


cdef inline int oq_step(Core self, Work *w, int r, int p0, Shape *shape, Count *counts) noexcept nogil:
    """One step of the output-queued router r (SuperSim's output_queued): every input VC's front flit
    crosses the switch as soon as it can, in the cycle it arrives when nothing holds it back: a head is
    routed and takes an output VC at once (oq_take_vc), and a flit of a packet that holds an output VC
    joins that VC's queue if the queue has room (router.output_buffer). Any number of inputs may reach
    one output in a cycle; each VC moves one flit a cycle. The pipeline's stages are a latency
    (departure), not a wait a VC serves packet by packet. The VCs that move are listed first and moved
    after, so the queues they join are fetched meanwhile."""
    cdef int V = self.V, WV = mask_words(self, shape), wi, b, i, j, n = 0, status, o
    cdef uint64_t bits, bit
    cdef InVC *in_vc
    cdef int32_t limit = setup_of(self, r).oq_limit
    if receive(self, r, p0, shape, counts):
        return ST_INVARIANT
    for wi in range(WV):
        bits = self.vcmask[r * WV + wi]
        while bits:
            b = 64 * wi + ctz64(bits)
            bit = bits & -bits
            bits &= bits - 1
            i = p0 * V + b
            in_vc = &self.ivc[i]
            if in_vc.state == VC_IDLE:
                route(self, r, p0, p0 + self.vc_port[b], self.vc_index[b], in_vc)
                in_vc.state = VC_ROUTED
                self.rc_mask[r * WV + wi] &= ~bit
                self.va_mask[r * WV + wi] |= bit
            if in_vc.state == VC_ROUTED:
                oq_take_vc(self, i, r, p0, self.class_mask[in_vc.sel])
                if in_vc.state == VC_ROUTED:
                    continue                # no output VC free: try again next cycle
            o = p0 + in_vc.out_lo
            if limit != NO_LIMIT and self.oq[o * V + in_vc.sel].count >= limit:
                continue
            prefetch(&self.oq[o * V + in_vc.sel], 1)
            prefetch(&self.oq_port[o], 1)
            o = p0 + self.vc_port[b]        # and the input port's: the move sends its credit upstream
            prefetch(&self.port[o], 0)
            prefetch(&self.pstate[o], 1)
            prefetch(&self.credit_next[o], 1)
            w.req_vc[n] = b
            n += 1
    for j in range(n):
        b = w.req_vc[j]
        status = traverse(self, w, r, p0, self.vc_port[b], self.ivc[p0 * V + b].out_lo, self.vc_index[b], False,
                          shape, counts)
        if status != ST_OK:
            return status
    return ST_OK
