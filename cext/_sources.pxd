# Sources: the endpoints' creation processes (Bernoulli, periodic, ON/OFF, closed-loop budgets), the
# destinations and sizes they draw, the release of messages into source queues, the choice of plane and
# injection: the front packet of a source queue sends a flit per cycle when an injection VC has credit.
from _types cimport *
from fabric._core cimport Core
from _rng cimport rng_below, rng_uniform, rng_geometric
from libc.math cimport ceil
from _packets cimport queue_packet
from _messages cimport complete_message
from _statistics cimport stat_injected


cdef inline int release_message(Core self, int32_t m) noexcept nogil:
    """Message m enters its source's queue as packets of packet_size flits (the last one shorter). One of
    no flits is a step that takes msg_delay cycles and sends nothing: it is done then (its dependents are
    released at that cycle, from the heap)."""
    cdef int32_t left = self.msg_flits[m], size, pid, e = self.msg_src[m]
    self.msg_release[m] = self.now
    if left > 0 and self.faulty and not joined(self, e, self.msg_dest[m]):
        self.c_dropped_packets += (left + self.packet_size - 1) // self.packet_size
        self.c_dropped_flits += left        # the faults cut its destination off: dropped, and done at once
        left = 0
    if left <= 0:
        complete_message(self, m, self.now + self.msg_delay[m])
        return ST_OK
    while left > 0:
        size = self.packet_size if left > self.packet_size else left
        left -= size
        pid = queue_packet(self, e, self.msg_dest[m], size, 0, True)
        if pid < 0:
            return ST_PACKET_LIMIT if pid == -1 else ST_NO_MEMORY
        self.pkt_msg[pid] = m
        self.msg_left[m] += 1
    return ST_OK


cdef inline int endpoint_create(Core self, int e) noexcept nogil:
    """Endpoint e's packets due this cycle, into its source queue (one thread: the packet pool and
    each endpoint's random stream are used in endpoint order)."""
    cdef cycle_t now = self.now
    cdef int c, g, lo
    cdef int64_t t
    cdef int32_t pid, dest, size
    cdef bint measured
    cdef uint64_t *rng = &self.ep_rng[e]
    # packet creation into the source queue, by every class whose generator is due
    if self.ep_next_arrival[e] <= now:
        for c in range(self.C):
            g = c * self.n_endpoints + e
            if self.gen_next[g] > now:
                continue
            dest = pick_dest(self, e, g, c, rng)
            lo = self.cls_size_lo[c]
            size = self.size_value[lo] if self.cls_size_lo[c + 1] - lo == 1 else pick_size(self, c, rng)
            if self.faulty and not joined(self, e, dest):     # the faults cut dest off: dropped here
                self.c_dropped_packets += 1
                self.c_dropped_flits += size
                self.gen_next[g] = next_arrival(self, g, c, now, rng)
                continue
            measured = self.window_start <= now < self.window_end
            pid = queue_packet(self, e, dest, size, c, measured)
            if pid < 0:
                return ST_PACKET_LIMIT if pid == -1 else ST_NO_MEMORY
            if self.n_msgs:
                self.pkt_msg[pid] = -1
            if measured and self.C > 1:
                self.cls_stats[c * N_CLS_STATS + CS_CREATED_FLITS] += size
                self.cls_stats[c * N_CLS_STATS + CS_MEASURED] += 1
            self.gen_next[g] = next_arrival(self, g, c, now, rng)
        if self.C > 1:
            t = self.gen_next[e]
            for c in range(1, self.C):
                if self.gen_next[c * self.n_endpoints + e] < t:
                    t = self.gen_next[c * self.n_endpoints + e]
            self.ep_next_arrival[e] = t
    return ST_OK


cdef inline void endpoint_send(Core self, Work *w, int e) noexcept nogil:
    """Endpoint e sends one flit of its front packet, if an injection VC has a credit. Touches only
    the endpoint's own state, its packet and its router's arrival bits, so endpoints send in
    parallel."""
    cdef cycle_t now = self.now
    cdef int V = self.V, k, v, s, port
    cdef int64_t slot
    cdef int32_t pid = self.ep_q_head[e]
    cdef Packet *pkt
    cdef OutVC *out
    if pid < 0:
        return
    v = self.ep_cur_vc[e]
    if self.P == 1:
        s = e
    elif self.ep_cur_plane[e] >= 0:
        s = e * self.P + self.ep_cur_plane[e]
    else:
        s = e * self.P + pick_plane(self, e, pid)
        self.ep_cur_plane[e] = <int16_t>(s - e * self.P)
    if v < 0:
        for k in range(1, V + 1):
            v = (self.ep_last_vc[s] + k) % V
            out = &self.ep_ovc[s * V + v]
            if not out.busy and out.credits > 0:
                break
        else:
            return
        self.ep_cur_vc[e] = <int16_t>v
        out.busy = 1
    out = &self.ep_ovc[s * V + v]
    if out.credits <= 0:
        return
    pkt = &self.pkts[pid]
    port = self.slot_port[s]
    slot = ((now + 2) & self.rmask) * self.n_ports + port
    self.link_flit[slot] = flit_word(pid, pkt.dest, self.ep_cur_sent[e] + 1 == pkt.size)
    if self.fault_at >= 0 and now >= self.fault_at and self.ep_cur_sent[e] == 0:
        self.link_flit[slot] |= FLIT_AFTER_FAULT      # a head after the fault: the tables of what is left
    (<uint8_t *> self.arrive)[((now + 2) & self.rmask) * self.slot_bytes + self.port[port].peer_byte] = \
        <uint8_t>(v + 1)
    out.credits -= 1
    self.ep_last_vc[s] = <int16_t>v
    if self.ep_cur_sent[e] == 0:
        pkt.inject = now
    self.ep_cur_sent[e] += 1
    w.injected += 1
    stat_injected(self, e, pkt)
    if self.C > 1:
        w.cls_injected[pkt.cls] += 1
    if self.ep_cur_sent[e] == pkt.size:
        self.ep_q_head[e] = pkt.next
        if self.ep_q_head[e] < 0:
            self.ep_q_tail[e] = -1
            self.ep_queued[e >> 6] &= ~((<uint64_t>1) << (e & 63))   # (a word has one thread, see Work)
        self.ep_cur_sent[e] = 0
        self.ep_cur_vc[e] = -1
        self.ep_cur_plane[e] = -1
        out.busy = 0
        if self.process == PROC_BUDGET and self.ep_q_head[e] < 0 and self.ep_budget[e] > 0:
            self.ep_next_arrival[e] = now + 1     # its first flit can follow this tail directly


cdef inline int32_t pick_dest(Core self, int e, int g, int c, uint64_t *rng) noexcept nogil:
    """A destination for a packet of class c from endpoint e (generator g)."""
    cdef int32_t dest, i, lo, n
    cdef int mode = self.cls_dest_mode[c]
    if mode == DEST_UNIFORM:
        if self.cls_allow_self[c]:
            return <int32_t>rng_below(rng, self.n_endpoints)
        dest = <int32_t>rng_below(rng, self.n_endpoints - 1)
        return dest + 1 if dest >= e else dest
    if mode == DEST_TABLE:
        return self.dest_table[g]
    if mode == DEST_ROTATE:
        n = self.n_endpoints - 1
        dest = <int32_t>((e + 1 + self.ep_counter[g] % n) % self.n_endpoints)
        self.ep_counter[g] += 1
        return dest
    lo = self.alias_lo[self.alias_row[g]]
    n = self.alias_lo[self.alias_row[g] + 1] - lo
    while True:
        i = lo + <int32_t>rng_below(rng, n)
        if rng_uniform(rng) > self.alias_prob[i]:
            i = self.alias_idx[i]
        # a row shared by its own members (a job's uniform traffic) draws again when the source may not
        # send to itself (the row holds another endpoint: fabric/jobs.py)
        if self.cls_allow_self[c] or self.alias_dest[i] != e:
            return self.alias_dest[i]


cdef inline int32_t pick_size(Core self, int c, uint64_t *rng) noexcept nogil:
    cdef double u = rng_uniform(rng)
    cdef int k = self.cls_size_lo[c], last = self.cls_size_lo[c + 1] - 1
    while k < last and u > self.size_cum[k]:
        k += 1
    return self.size_value[k]


cdef inline int64_t next_arrival(Core self, int g, int c, cycle_t now, uint64_t *rng) noexcept nogil:
    """The cycle of generator g's next packet (class c), after one at `now`."""
    cdef double lp = self.ep_log1mp[g]
    cdef int64_t t
    cdef int process = self.cls_process[c]
    if process == PROC_PERIODIC:
        self.ep_phase[g] += self.ep_period[g]
        return <int64_t>ceil(self.ep_phase[g] - 1e-9)
    if process == PROC_BUDGET:
        self.ep_budget[g] -= 1
        self.c_budget_left -= 1
        return NO_CYCLE                 # the next one when this one has left (see endpoint_send)
    t = now + (1 if lp == 0.0 else rng_geometric(rng, lp))
    if process == PROC_BERNOULLI or t < self.ep_on_until[g]:
        return t
    return next_burst(self, g, c, self.ep_on_until[g], rng)


cdef inline int64_t next_burst(Core self, int g, int c, int64_t off_start, uint64_t *rng) noexcept nogil:
    """ON/OFF: from an OFF period starting at off_start, the first packet of the next ON period that
    has one (OFF lasts geometric(alpha) cycles, ON geometric(beta), packets w.p. r1 per ON cycle)."""
    cdef int64_t on_start, first
    cdef double lp = self.ep_log1mp[g], la = self.cls_log1m_alpha[c], lb = self.cls_log1m_beta[c]
    while True:
        on_start = off_start + (1 if la == 0.0 else rng_geometric(rng, la))
        self.ep_on_until[g] = on_start + (NO_CYCLE if lb == 0.0 else rng_geometric(rng, lb))
        first = on_start + (0 if lp == 0.0 else rng_geometric(rng, lp) - 1)
        if first < self.ep_on_until[g]:
            return first
        off_start = self.ep_on_until[g]


cdef inline bint joined(Core self, int e, int d) noexcept nogil:
    """Endpoints e and d are joined by the surviving network in some plane."""
    cdef int k
    for k in range(self.P):
        if live_plane(self, k, e, d):
            return True
    return False


cdef inline int pick_plane(Core self, int e, int32_t pid) noexcept nogil:
    """The plane endpoint e sends packet pid on: uniform by the packet's key (`hash`), a draw from
    the endpoint's random stream (`random`), or the plane whose injection channel has the most
    credits (`least_loaded`; ties go to the first from the key's plane on). With faults, only the planes
    that join e to the packet's destination take part."""
    cdef int start
    if self.faulty:
        return pick_live_plane(self, e, pid)
    if self.plane_policy == PLANE_RANDOM:
        return <int>rng_below(&self.ep_rng[e], self.P)
    start = <int>((<uint64_t>self.pkt_key[pid] * <uint64_t>self.P) >> 32)
    if self.plane_policy == PLANE_HASH:
        return start
    return most_credits(self, e, start, -1)


cdef inline int most_credits(Core self, int e, int first, int d) noexcept nogil:
    """least_loaded: the plane whose injection channel has the most credits, ties to the first from `first`
    on; d >= 0: among the planes that join e to d only."""
    cdef int q, k, v, credits, best = -1, best_credits = -1
    for q in range(self.P):
        k = (first + q) % self.P
        if d >= 0 and not live_plane(self, k, e, d):
            continue
        credits = 0
        for v in range(self.V):
            credits += self.ep_ovc[(e * self.P + k) * self.V + v].credits
        if credits > best_credits:
            best, best_credits = k, credits
    return best


cdef inline int64_t first_arrival(Core self, int e, int g, int c, double rate, double on_share) noexcept nogil:
    """The cycle of generator g's first packet (endpoint e, class c; the process starts at cycle 0)."""
    cdef uint64_t *rng = &self.ep_rng[e]
    cdef double lp = self.ep_log1mp[g]
    cdef int64_t t
    if rate <= 0.0:
        return NO_CYCLE
    if self.cls_process[c] == PROC_PERIODIC:
        # a random phase in [0, period), so sources do not all send in the same cycle
        self.ep_phase[g] = rng_uniform(rng) * self.ep_period[g]
        return <int64_t>ceil(self.ep_phase[g] - 1e-9)
    if self.cls_process[c] == PROC_ON_OFF:
        # start in the stationary state: ON with probability alpha / (alpha + beta)
        if rng_uniform(rng) <= on_share:
            self.ep_on_until[g] = (NO_CYCLE if self.cls_log1m_beta[c] == 0.0 else
                                   rng_geometric(rng, self.cls_log1m_beta[c]))
            t = 0 if lp == 0.0 else rng_geometric(rng, lp) - 1
            if t < self.ep_on_until[g]:
                return t
            return next_burst(self, g, c, self.ep_on_until[g], rng)
        return next_burst(self, g, c, 0, rng)
    return 0 if lp == 0.0 else rng_geometric(rng, lp) - 1


cdef inline int pick_live_plane(Core self, int e, int32_t pid) noexcept nogil:
    """pick_plane among the planes that join e to packet pid's destination (there is one: a packet for an
    endpoint the faults cut off is dropped at its creation): the j-th of those n, j a fair draw by the
    policy (least_loaded: the most credits among them, ties to the first from the j-th on)."""
    cdef int d = self.pkts[pid].dest, n = 0, j, k, first = -1
    for k in range(self.P):
        n += live_plane(self, k, e, d)
    if self.plane_policy == PLANE_RANDOM:
        j = <int>rng_below(&self.ep_rng[e], n)
    else:
        j = <int>((<uint64_t>self.pkt_key[pid] * <uint64_t>n) >> 32)
    for k in range(self.P):
        if live_plane(self, k, e, d):
            if j == 0:
                first = k
                break
            j -= 1
    if self.plane_policy != PLANE_LEAST_LOADED:
        return first
    return most_credits(self, e, first, d)


cdef inline bint live_plane(Core self, int k, int e, int d) noexcept nogil:
    """Plane k joins endpoints e and d."""
    cdef int a = self.ep_comp[k * self.n_endpoints + e]
    return a >= 0 and a == self.ep_comp[k * self.n_endpoints + d]


cdef inline void drop_cut_off_queued(Core self) noexcept nogil:
    """At a fault during the run: the packets waiting in the source queues (not yet begun) for a destination
    the fault cuts off are dropped (one thread: the packet pool and messages are shared)."""
    cdef int e
    cdef int32_t pid, prev, nxt
    cdef Packet *pkt
    for e in range(self.n_endpoints):
        prev = -1
        pid = self.ep_q_head[e]
        if pid >= 0 and self.ep_cur_sent[e] > 0:       # begun before the fault: it goes on
            prev = pid
            pid = self.pkts[pid].next
        while pid >= 0:
            pkt = &self.pkts[pid]
            nxt = pkt.next
            if joined(self, e, pkt.dest):
                prev = pid
            else:
                if prev >= 0:
                    self.pkts[prev].next = nxt
                else:
                    self.ep_q_head[e] = nxt
                if self.ep_q_tail[e] == pid:
                    self.ep_q_tail[e] = prev
                self.c_dropped_in_queue += 1
                self.c_dropped_packets += 1
                self.c_dropped_flits += pkt.size
                self.c_source_flits -= pkt.size
                if pkt.measured:
                    self.c_measured_outstanding -= 1
                if self.n_msgs and self.pkt_msg[pid] >= 0:
                    self.msg_left[self.pkt_msg[pid]] -= 1
                    if self.msg_left[self.pkt_msg[pid]] == 0:
                        complete_message(self, self.pkt_msg[pid], self.now)
                pkt.next = self.pkt_free
                self.pkt_free = pid
                self.pkt_live -= 1
            pid = nxt
        if self.ep_q_head[e] < 0:
            self.ep_q_tail[e] = -1
            self.ep_queued[e >> 6] &= ~((<uint64_t>1) << (e & 63))
