# Packets: the growable pool with its free list, a new packet into its source's queue, and the end of a
# packet's life, its flits leaving through the ejection channel and its tail's delivery.
from _types cimport *
from fabric._core cimport Core
from _statistics cimport grow_histograms, class_delivered, stat_created, stat_accepted, stat_delivered
from _messages cimport complete_message
from _rng cimport rng_next


cdef inline int grow_packets(Core self, int64_t new_cap) noexcept nogil:
    """Enlarge the packet pool to new_cap entries and thread the new ones onto the free list."""
    cdef int64_t i, old = self.pkt_cap
    if not grow_block(<void **>&self.pkts, new_cap * sizeof(Packet)): return 1
    if self.n_msgs and not grow_block(<void **>&self.pkt_msg, new_cap * sizeof(int32_t)): return 1
    if self.draw_keys and not grow_block(<void **>&self.pkt_key, new_cap * sizeof(uint32_t)): return 1
    for i in range(old, new_cap - 1):
        self.pkts[i].next = <int32_t>(i + 1)
    self.pkts[new_cap - 1].next = self.pkt_free
    self.pkt_free = <int32_t>old
    self.pkt_cap = new_cap
    return 0


cdef inline int32_t new_packet(Core self) noexcept nogil:
    """A free packet id, growing the pool if needed; -1 at the packet limit, -2 out of memory."""
    cdef int32_t pid
    if self.pkt_free < 0:
        if self.pkt_cap >= self.max_packets:
            return -1
        if grow_packets(self, min(2 * self.pkt_cap, self.max_packets)):
            return -2
    pid = self.pkt_free
    self.pkt_free = self.pkts[pid].next
    self.pkt_live += 1
    return pid


cdef inline void deliver(Core self, int32_t pid, cycle_t arrival) noexcept nogil:
    """The tail of packet pid reaches its endpoint at cycle `arrival`."""
    cdef int64_t lat_p, lat_n
    cdef Packet *pkt = &self.pkts[pid]
    self.c_delivered_packets += 1
    stat_delivered(self, pkt, arrival)
    if arrival > self.c_last_arrival:
        self.c_last_arrival = arrival
    if self.process == PROC_BUDGET:
        self.ep_last_arrival[pkt.dest] = arrival
    if pkt.measured:
        lat_p = arrival - pkt.create
        lat_n = arrival - pkt.inject
        if lat_p >= self.hist_cap:
            grow_histograms(self, min(max(2 * self.hist_cap, lat_p + 1), max(self.hist_limit, lat_p + 1)))
        if lat_p < self.hist_cap:
            self.hist_packet[lat_p] += 1
            self.hist_network[lat_n] += 1
        self.c_measured_delivered += 1
        self.c_measured_outstanding -= 1
        self.c_sum_packet_latency += lat_p
        self.c_sum_network_latency += lat_n
        self.c_sum_hops += pkt.hops
        if lat_p > self.c_max_packet_latency:
            self.c_max_packet_latency = lat_p
        if lat_n > self.c_max_network_latency:
            self.c_max_network_latency = lat_n
        if self.C > 1:
            class_delivered(self, pkt, lat_p, lat_n)
    if self.n_msgs and self.pkt_msg[pid] >= 0:
        self.msg_left[self.pkt_msg[pid]] -= 1
        if self.msg_left[self.pkt_msg[pid]] == 0:
            complete_message(self, self.pkt_msg[pid], arrival)
    pkt.next = self.pkt_free
    self.pkt_free = pid
    self.pkt_live -= 1


cdef inline int32_t queue_packet(Core self, int e, int32_t dest, int32_t size, int c, bint measured) noexcept nogil:
    """A new packet of `size` flits (class c) from endpoint e to `dest`, at the tail of e's source
    queue; its id, or -1 at the packet limit, -2 out of memory."""
    cdef int32_t pid = new_packet(self)
    cdef Packet *pkt
    if pid < 0:
        return pid
    pkt = &self.pkts[pid]
    if self.draw_keys:
        self.pkt_key[pid] = <uint32_t>(rng_next(&self.key_rng[e]) >> 32)
    pkt.dest = dest
    pkt.size = size
    pkt.hops = 0
    pkt.next = -1
    pkt.create = self.now
    pkt.inject = -1
    pkt.cls = <int8_t>c
    pkt.measured = measured
    if measured:
        self.c_measured_created += 1
        self.c_measured_outstanding += 1
        self.c_window_created_flits += size
    if self.ep_q_tail[e] >= 0:
        self.pkts[self.ep_q_tail[e]].next = pid
    else:
        self.ep_q_head[e] = pid
        self.ep_queued[e >> 6] |= (<uint64_t>1) << (e & 63)
    self.ep_q_tail[e] = pid
    self.c_created_packets += 1
    self.c_created_flits += size
    self.c_source_flits += size
    stat_created(self, e, c, size)
    return pid


cdef inline void eject(Core self, int64_t flit, int64_t at) noexcept nogil:
    """A flit left through its ejection channel, arriving at cycle at // 2 (a head if at is odd).
    Applied after the routers' step of the cycle, in router order, so that any number of threads
    gives the same packet-pool order and statistics."""
    cdef int32_t pid = <int32_t>((flit >> PID_SHIFT) & PID_MASK)
    cdef cycle_t arrival = at >> 1
    if at & 1:
        self.pkts[pid].hops = <int16_t>((flit >> HOPS_SHIFT) & HOPS_MASK)
    self.c_delivered_flits += 1
    stat_accepted(self, flit, arrival)
    if self.window_start <= arrival < self.window_end:
        self.c_window_ejected_flits += 1
        if self.C > 1:
            self.cls_stats[self.pkts[pid].cls * N_CLS_STATS + CS_EJECTED_FLITS] += 1
    if flit & FLIT_TAIL:
        deliver(self, pid, arrival)
