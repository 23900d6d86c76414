# Output queues: where flits wait between the switch and the output channel when the router core runs
# faster than its channels (router.internal_speedup, BookSim's output buffers) or when the router is
# output-queued (router.kind "oq"). Owns Core.oq, oq_port, oq_ports, credit_next and steps_now.
#
# A flit that crosses the switch joins the queue of its output VC with the cycle it may leave (its
# departure: after switch traversal, BookSim's timing, see departure). Each cycle, after the router's
# internal steps, every output port sends at most one flit: the oldest queued flit that may leave (and,
# in an output-queued router, whose output VC has a credit). Orders increase at a port, so the oldest
# is the smallest order; with credits taken at switch allocation (input-queued) this is exactly one
# FIFO per output port, as BookSim's _output_buffer.
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from _types cimport *
from fabric._core cimport Core, setup_of
from _links cimport send_flit


cdef inline int64_t steps_in(RouterSetup *rs, int64_t c) noexcept nogil:
    """Internal steps in cycle c: the whole steps the running sum of internal_speedup gains in that
    cycle (BookSim's Router::Evaluate), exactly, for the speedup as a fraction."""
    return ((c + 1) * rs.speedup_num) // rs.speedup_den - (c * rs.speedup_num) // rs.speedup_den


cdef inline int64_t departure(Core self, Work *w, RouterSetup *rs) noexcept nogil:
    """The cycle a flit granted the switch in this internal step leaves its output queue at the
    earliest. BookSim: switch allocation completes sw_alloc_delay - 1 cycles on, in the first step of
    that cycle (or in this step, for a delay of 1); traversal starts in the next internal step and
    ends st_delay - 1 cycles after that step's cycle; the flit is written to the channel at the end
    of that cycle. With one step a cycle this is now + sa + st - 1, the input-queued router's time.
    An output-queued router's flit crosses in the cycle it arrives and leaves after the router's
    latency, every stage's delay: the time of an input-queued router's pipeline without contention."""
    cdef int64_t c
    if rs.kind == KIND_OQ:
        return self.now + rs.rd + rs.va + rs.sa + rs.st - 1
    if rs.sa == 1:
        c = self.now if w.step + 1 < w.steps else self.now + 1
    else:
        c = self.now + rs.sa - 1
        if steps_in(rs, c) < 2:
            c += 1
    return c + rs.st - 1


cdef inline int queue_flit(Core self, RouterSetup *rs, int r, int p0, int o, int ov, int64_t flit, bint head,
                           int64_t leave, int tie) noexcept nogil:
    """Put the flit into output VC ov's queue of port o (local o - p0 of router r), to leave from
    cycle `leave`. Input-queued: after every flit queued at the port before it (one FIFO per port, as
    BookSim's); output-queued: among the flits that may leave in the same cycle, by `tie` (the input's
    place in this cycle's round robin). A queue full at its capacity grows (output VCs of ejection ports
    and of output-queued routers, which no credit bounds); returns ST_NO_MEMORY if it cannot."""
    cdef PortQueue *pq = &self.oq_port[o]
    cdef OutQueue *q = &self.oq[o * self.V + ov]
    cdef int64_t order = leave << ORDER_SHIFT
    cdef int k, lo = o - p0
    if rs.kind == KIND_OQ:
        order += tie
    elif order <= pq.last_order:
        order = pq.last_order + 1
    pq.last_order = order
    if q.count == 0:
        q.front = flit
        q.front_order = (order << 1) | head
    else:
        if q.count - 1 == q.cap and grow_queue(q):
            return ST_NO_MEMORY
        k = q.head + q.count - 1
        if k >= q.cap:
            k -= q.cap
        q.items[2 * k] = flit
        q.items[2 * k + 1] = (order << 1) | head
    q.count += 1
    pq.vcs |= (<uint64_t>1) << ov
    pq.n += 1
    self.oq_ports[r * self.WQ + (lo >> 6)] |= (<uint64_t>1) << (lo & 63)
    return ST_OK


cdef inline bint grow_queue(OutQueue *q) noexcept nogil:
    """Double q's ring (its entries kept in order, from index 0). False on success."""
    cdef int64_t *items = <int64_t *> malloc(4 * q.cap * sizeof(int64_t))
    cdef int first
    if items == NULL:
        return True
    first = q.cap - q.head              # entries from head to the end of the old ring (which is full)
    memcpy(items, &q.items[2 * q.head], 2 * first * sizeof(int64_t))
    memcpy(&items[2 * first], q.items, 2 * q.head * sizeof(int64_t))
    if q.owned:
        free(q.items)
    q.items = items
    q.head = 0
    q.cap *= 2
    q.owned = 1
    return False


cdef inline int send_queued(Core self, Work *w, int r, int p0, Count *counts) noexcept nogil:
    """The end of router r's cycle: each output port whose queue holds a flit that may leave sends the
    oldest (BookSim's _SendFlits). Only the ports with queued flits are visited."""
    cdef int wi, lo, o, v, best, V = self.V
    cdef uint64_t bits, vcs
    cdef int64_t order, best_order, flit, limit = ((self.now + 1) << (ORDER_SHIFT + 1)) - 1
    cdef PortQueue *pq
    cdef OutQueue *q
    cdef Port *pout
    cdef bint head
    cdef RouterSetup *rs = setup_of(self, r)
    cdef bint oq = rs.kind == KIND_OQ
    # fetch the entries that will come to the front (a queue's ring was written cycles ago, and the other
    # routers' steps have pushed it out of the caches since)
    for wi in range(self.WQ):
        bits = self.oq_ports[r * self.WQ + wi]
        while bits:
            o = p0 + 64 * wi + ctz64(bits)
            bits &= bits - 1
            vcs = self.oq_port[o].vcs
            while vcs:
                q = &self.oq[o * V + ctz64(vcs)]
                vcs &= vcs - 1
                if q.count > 1:
                    prefetch(&q.items[2 * q.head], 0)
    for wi in range(self.WQ):
        bits = self.oq_ports[r * self.WQ + wi]
        while bits:
            lo = 64 * wi + ctz64(bits)
            bits &= bits - 1
            o = p0 + lo
            if self.any_slow and self.port_free[o] > self.now:
                continue
            pq = &self.oq_port[o]
            pout = &self.port[o]
            vcs = pq.vcs
            best = -1
            best_order = limit          # only a flit whose departure is now or earlier may leave
            while vcs:
                v = ctz64(vcs)
                vcs &= vcs - 1
                q = &self.oq[o * V + v]
                order = q.front_order
                if order <= best_order:
                    if oq and pout.kind == PORT_LINK and self.credits[o * V + v] <= 0:
                        continue
                    best_order = order
                    best = v
            if best < 0:
                continue
            q = &self.oq[o * V + best]
            flit = q.front
            head = best_order & 1
            q.count -= 1
            if q.count == 0:
                pq.vcs &= ~((<uint64_t>1) << best)
            else:
                q.front = q.items[2 * q.head]
                q.front_order = q.items[2 * q.head + 1]
                q.head = q.head + 1 if q.head + 1 < q.cap else 0
            pq.n -= 1
            if pq.n == 0:
                self.oq_ports[r * self.WQ + wi] &= ~((<uint64_t>1) << (lo & 63))
            if Count is Counting:
                self.pstate[o].flits += 1
            if self.any_slow:
                self.port_free[o] = self.now + self.port_cpf[o]
            # on the channel (an output-queued router takes the credit now): the rest of the
            # switch-to-buffer delay is the link's
            if send_flit(self, w, o, best, flit, head, self.now + pout.flit_delay - rs.sa - rs.st + 1, oq):
                return ST_INVARIANT
    return ST_OK


cdef inline int64_t credit_cycle(Core self, int p) noexcept nogil:
    """The cycle input port p sends the credit of a flit that left its buffer now: one credit a cycle
    per port, in order (BookSim's _credit_buffer), when the port sends more than one flit a cycle."""
    cdef int64_t c = self.credit_next[p]
    if c < self.now:
        c = self.now
    self.credit_next[p] = c + 1
    return c


cdef inline int64_t queued_flits(Core self) noexcept nogil:
    """Flits in every output queue (the invariant check's conservation)."""
    cdef int64_t n = 0, i
    if self.queued:
        for i in range(self.n_ports):
            n += self.oq_port[i].n
    return n
