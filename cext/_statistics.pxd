# Statistics: latency histograms of measured packets and the per-class counters; and, when a run asks for
# them (stats), the activity counters of every link, router and endpoint and the time series. Those count
# from cycle 0: fabric/statistics.py takes a window's share as the difference of two read-outs
# (Core.activity) at its start and end. Each stat_* function is called where its event happens, and does
# nothing unless its counters exist. A new statistic is counted here.
from _types cimport *
from fabric._core cimport Core
from libc.string cimport memset, memmove

cdef enum:
    COUNTS_PERIOD = 1 << 15     # cycles between flushes of the counts kept in VC and port records
    # per router (st_router)
    SR_VA_REQUESTS = 0      # VC-allocation requests (an input VC asking, in a cycle, for a free output VC)
    SR_VA_GRANTS = 1        # output VCs granted
    SR_SA_REQUESTS = 2      # switch-allocation requests (an input port asking for an output, in a cycle)
    SR_SA_GRANTS = 3        # flits that crossed the switch
    N_SR = 4
    # per endpoint (st_endpoint, see ep_stat): what it created (a pair per endpoint, touched when it
    # creates), the cycles its injected flits waited (one per endpoint, touched per flit it injects; what
    # it injected is what it created less what its queue holds, which Core.activity reads from the queue),
    # and what it received (a row of four, touched per flit and packet that arrives)
    SE_CREATED_PACKETS = 0
    SE_CREATED_FLITS = 1
    SE_QUEUE_CYCLES = 2     # cycles each injected flit waited in the source queue, summed
    SE_ACCEPTED_FLITS = 4   # flits that arrived at it
    SE_DELIVERED = 5        # measured packets delivered to it,
    SE_LATENCY_SUM = 6      # the sum of their packet latencies,
    SE_LATENCY_MAX = 7      # and the largest
    N_SE = 7                # int64 counters per endpoint
    # per class, from cycle 0 (st_class_flow, with more than one class): what the series' samples subtract
    SF_CREATED = 0
    SF_INJECTED = 1
    SF_ACCEPTED = 2
    N_SF = 3
    # per series bucket and class (series)
    SS_CREATED_FLITS = 0    # flits created in the bucket's cycles
    SS_ACCEPTED_FLITS = 1   # flits that arrived in them
    SS_DELIVERED = 2        # packets whose tail arrived in them,
    SS_LATENCY_SUM = 3      # and the sum of their packet latencies
    SS_IN_NETWORK = 4       # sampled as the bucket starts: flits injected and not yet arrived,
    SS_QUEUED = 5           # and flits created and not yet injected
    N_SS = 6


cdef inline int grow_histograms(Core self, int64_t new_cap) noexcept nogil:
    cdef int64_t old = self.hist_cap, c
    if not grow_block(<void **>&self.hist_packet, new_cap * 8): return 1
    if not grow_block(<void **>&self.hist_network, new_cap * 8): return 1
    memset(&self.hist_packet[old], 0, (new_cap - old) * 8)
    memset(&self.hist_network[old], 0, (new_cap - old) * 8)
    if self.C > 1:
        # one row per class: move the rows apart, from the last, then clear the new part of each
        if not grow_block(<void **>&self.cls_hist, self.C * new_cap * 8): return 1
        c = self.C - 1
        while c >= 0:
            memmove(&self.cls_hist[c * new_cap], &self.cls_hist[c * old], old * 8)
            memset(&self.cls_hist[c * new_cap + old], 0, (new_cap - old) * 8)
            c -= 1
    self.hist_cap = new_cap
    return 0


cdef inline void class_delivered(Core self, Packet *pkt, int64_t lat_p, int64_t lat_n) noexcept nogil:
    cdef int64_t *st = &self.cls_stats[pkt.cls * N_CLS_STATS]
    st[CS_DELIVERED] += 1
    st[CS_SUM_PACKET] += lat_p
    st[CS_SUM_NETWORK] += lat_n
    st[CS_SUM_HOPS] += pkt.hops
    if lat_p > st[CS_MAX_PACKET]:
        st[CS_MAX_PACKET] = lat_p
    if lat_n > st[CS_MAX_NETWORK]:
        st[CS_MAX_NETWORK] = lat_n
    if lat_p < self.hist_cap:
        self.cls_hist[pkt.cls * self.hist_cap + lat_p] += 1


# ---------------------------------------------------------------------- activity counters


cdef inline void stat_flit_seen(Core self, InVC *in_vc) noexcept nogil:
    """A flit is in the input VC's buffer from now (the router's step that receives it). The count is kept
    in the VC's own record, which the step has in cache, relative to counts_base so it fits 32 bits."""
    if self.st_vc_cycles != NULL:
        in_vc.cycles -= <int32_t>(self.now - self.counts_base)


cdef inline void stat_flit_left(Core self, InVC *in_vc) noexcept nogil:
    """A flit left the input VC's buffer now: with stat_flit_seen, the flit-cycles it spent there."""
    if self.st_vc_cycles != NULL:
        in_vc.cycles += <int32_t>(self.now - self.counts_base)


cdef inline void flush_counts(Core self) noexcept nogil:
    """Move the counts kept in the VC and port records since counts_base into st_vc_cycles (every input VC's
    flit-cycles, up to now) and port_flits, and start again from now. Done every COUNTS_PERIOD cycles,
    so a VC's count stays within 2 x vc_buffer x the period (< 2^31) and a port's below 2^16, and at each
    read-out."""
    cdef int64_t i, elapsed = self.now - self.counts_base
    cdef InVC *in_vc
    if self.st_vc_cycles != NULL:
        for i in range(<int64_t>self.n_ports * self.V):
            in_vc = &self.ivc[i]
            self.st_vc_cycles[i] += in_vc.cycles + in_vc.count * elapsed
            in_vc.cycles = 0
    if self.port_flits != NULL:
        for i in range(self.n_ports):
            self.port_flits[i] += self.pstate[i].flits
            self.pstate[i].flits = 0
    self.counts_base = self.now


cdef inline void stat_credit_stall(Core self, int o) noexcept nogil:
    """A flit holding an output VC of port o could not ask for the switch this cycle: no credit."""
    if self.st_credit_stall != NULL:
        self.st_credit_stall[o] += 1


cdef inline void stat_router_step(Core self, int r, int n_va, int n_sa, int n_win) noexcept nogil:
    cdef int64_t *s
    if self.st_router != NULL:
        s = &self.st_router[<int64_t>r * N_SR]
        s[SR_VA_REQUESTS] += n_va
        s[SR_SA_REQUESTS] += n_sa
        s[SR_SA_GRANTS] += n_win


cdef inline void stat_vc_grant(Core self, int r) noexcept nogil:
    if self.st_router != NULL:
        self.st_router[<int64_t>r * N_SR + SR_VA_GRANTS] += 1


cdef inline int64_t *ep_stat(Core self, int field, int64_t e) noexcept nogil:
    """Endpoint e's counter `field` (SE_*): the created pairs, then the queue cycles, then the destination
    rows, so that each event touches one line of a compact array."""
    cdef int64_t n = self.n_endpoints
    if field < SE_QUEUE_CYCLES:
        return &self.st_endpoint[2 * e + field]
    if field == SE_QUEUE_CYCLES:
        return &self.st_endpoint[2 * n + e]
    return &self.st_endpoint[3 * n + 4 * e + field - SE_ACCEPTED_FLITS]


cdef inline void stat_created(Core self, int e, int c, int32_t size) noexcept nogil:
    """Endpoint e queued a packet of `size` flits (class c) now. (Endpoints create in turn: one thread.)"""
    cdef int64_t *created
    if self.st_endpoint != NULL:
        created = ep_stat(self, SE_CREATED_PACKETS, e)
        created[0] += 1
        created[1] += size
    if self.series_counts != NULL:
        if self.C > 1:
            self.st_class_flow[c * N_SF + SF_CREATED] += size
        series_add(self, self.now, c, SS_CREATED_FLITS, size)


cdef inline void stat_injected(Core self, int e, Packet *pkt) noexcept nogil:
    """Endpoint e sent a flit of packet pkt into the network now (endpoints send in parallel: e's own
    counter only)."""
    if self.st_endpoint != NULL:
        ep_stat(self, SE_QUEUE_CYCLES, e)[0] += self.now - pkt.create


cdef inline void stat_class_injected(Core self, int64_t *per_class) noexcept nogil:
    """A block's flits injected this cycle, per class (the merge after the routers' step)."""
    cdef int c
    if self.series_counts != NULL and self.C > 1:
        for c in range(self.C):
            self.st_class_flow[c * N_SF + SF_INJECTED] += per_class[c]


cdef inline void stat_accepted(Core self, int64_t flit, int64_t arrival) noexcept nogil:
    """A flit arrives at its destination at cycle `arrival` (the merge of ejections)."""
    cdef int c = 0
    if self.st_endpoint != NULL:
        ep_stat(self, SE_ACCEPTED_FLITS, flit_dest(flit))[0] += 1
    if self.series_counts != NULL:
        if self.C > 1:
            c = self.pkts[flit_pid(flit)].cls
            self.st_class_flow[c * N_SF + SF_ACCEPTED] += 1
        series_add(self, arrival, c, SS_ACCEPTED_FLITS, 1)


cdef inline void stat_delivered(Core self, Packet *pkt, int64_t arrival) noexcept nogil:
    """The tail of packet pkt arrived at its destination at cycle `arrival`."""
    cdef int64_t latency = arrival - pkt.create
    cdef int64_t *most
    if self.st_endpoint != NULL and pkt.measured:
        ep_stat(self, SE_DELIVERED, pkt.dest)[0] += 1
        ep_stat(self, SE_LATENCY_SUM, pkt.dest)[0] += latency
        most = ep_stat(self, SE_LATENCY_MAX, pkt.dest)
        if latency > most[0]:
            most[0] = latency
    if self.series_counts != NULL:
        series_add(self, arrival, pkt.cls, SS_DELIVERED, 1)
        series_add(self, arrival, pkt.cls, SS_LATENCY_SUM, latency)


# ---------------------------------------------------------------------- the time series


cdef inline int64_t series_bucket(Core self, int64_t t) noexcept nogil:
    """The bucket of cycle t: stats_interval cycles each, with edges at the window's start and end (so the
    buckets inside the window add up to it; the first one, and the last one inside the window, may be
    shorter). fabric/statistics.py has the same rule (series_edges)."""
    cdef int64_t n = self.series_interval, start = self.window_start, end = self.window_end
    cdef int64_t before = (start + n - 1) // n
    if t < start:
        return before - 1 - (start - 1 - t) // n
    if t < end:
        return before + (t - start) // n
    return before + (end - start + n - 1) // n + (t - end) // n


cdef inline int64_t series_start(Core self, int64_t b) noexcept nogil:
    """The first cycle of bucket b."""
    cdef int64_t n = self.series_interval, start = self.window_start, end = self.window_end
    cdef int64_t before = (start + n - 1) // n, inside = (end - start + n - 1) // n
    if b < before:
        return max(0, start - (before - b) * n)
    if b < before + inside:
        return start + (b - before) * n
    return end + (b - before - inside) * n


cdef inline int grow_series(Core self, int64_t b) noexcept nogil:
    """Room for bucket b; 1 when there is no memory (the count is then dropped, and Core.series says so)."""
    cdef int64_t old = self.series_cap, cap = max(2 * self.series_cap, b + 1), row = self.C * N_SS
    if not grow_block(<void **>&self.series_counts, cap * row * 8):
        self.series_lost = 1
        return 1
    memset(&self.series_counts[old * row], 0, (cap - old) * row * 8)
    self.series_cap = cap
    return 0


cdef inline void series_add(Core self, int64_t t, int c, int field, int64_t value) noexcept nogil:
    """Add to bucket of cycle t (>= now): most events fall in the bucket now is in, which the sample at
    its start remembered (series_bucket divides)."""
    cdef int64_t b = self.series_now if t < self.series_next else series_bucket(self, t)
    if b >= self.series_used:
        if b >= self.series_cap and grow_series(self, b):
            return
        self.series_used = b + 1
    self.series_counts[(b * self.C + c) * N_SS + field] += value


cdef inline void series_sample(Core self) noexcept nogil:
    """At the start of a bucket (now): the flits in the network and in source queues, per class."""
    cdef int64_t b = series_bucket(self, self.now)
    cdef int64_t *flow
    cdef int c
    if b >= self.series_cap and grow_series(self, b):
        return
    if b >= self.series_used:
        self.series_used = b + 1
    if self.C == 1:     # one class: the core's own counters (st_class_flow counts only with several)
        self.series_counts[b * N_SS + SS_IN_NETWORK] = self.c_injected_flits - self.c_delivered_flits
        self.series_counts[b * N_SS + SS_QUEUED] = self.c_source_flits
    for c in range(self.C if self.C > 1 else 0):
        flow = &self.st_class_flow[c * N_SF]
        self.series_counts[(b * self.C + c) * N_SS + SS_IN_NETWORK] = flow[SF_INJECTED] - flow[SF_ACCEPTED]
        self.series_counts[(b * self.C + c) * N_SS + SS_QUEUED] = flow[SF_CREATED] - flow[SF_INJECTED]
    self.series_now = b
    self.series_next = series_start(self, b + 1)
