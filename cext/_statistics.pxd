# Statistics: latency histograms of measured packets and the per-class counters.
from _types cimport *
from fabric._core cimport Core
from libc.string cimport memset, memmove


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
