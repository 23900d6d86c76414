# Messages (collectives, traces; fabric/traffic/collective.py, trace.py): a message is released at
# max(its start, the arrival of the last of the messages it depends on), becomes packets in its source's
# queue (_sources.release_message) and is done when its last packet's tail arrives. Releases wait in a
# binary min-heap by cycle, then message id.
from _types cimport *
from fabric._core cimport Core


cdef inline bint heap_before(Core self, int i, int64_t t, int32_t m) noexcept nogil:
    """Heap entry i comes before (t, m): earlier, or as early with a lower message id (so the order
    of releases is reproducible)."""
    return self.heap_time[i] < t or (self.heap_time[i] == t and self.heap_msg[i] < m)


cdef inline void heap_push(Core self, int64_t t, int32_t m) noexcept nogil:
    cdef int i = self.heap_n, parent
    self.heap_n += 1
    while i > 0:
        parent = (i - 1) // 2
        if heap_before(self, parent, t, m):
            break
        self.heap_time[i] = self.heap_time[parent]
        self.heap_msg[i] = self.heap_msg[parent]
        i = parent
    self.heap_time[i] = t
    self.heap_msg[i] = m


cdef inline int32_t heap_pop(Core self) noexcept nogil:
    """The earliest release (see heap_before)."""
    cdef int32_t top = self.heap_msg[0], m
    cdef int64_t t
    cdef int i = 0, child, n
    self.heap_n -= 1
    n = self.heap_n
    t, m = self.heap_time[n], self.heap_msg[n]
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and heap_before(self, child + 1, self.heap_time[child], self.heap_msg[child]):
            child += 1
        if not heap_before(self, child, t, m):
            break
        self.heap_time[i] = self.heap_time[child]
        self.heap_msg[i] = self.heap_msg[child]
        i = child
    self.heap_time[i] = t
    self.heap_msg[i] = m
    return top


cdef inline void complete_message(Core self, int32_t m, int64_t t) noexcept nogil:
    """Message m's last tail arrived at cycle t: the messages waiting only for it may go from t."""
    cdef int j, d
    self.msg_done[m] = t
    self.c_msgs_left -= 1
    for j in range(self.dep_indptr[m], self.dep_indptr[m + 1]):
        d = self.dep_list[j]
        self.msg_ndeps[d] -= 1
        if self.msg_ndeps[d] == 0:
            heap_push(self, t if t > self.msg_start[d] else self.msg_start[d], d)
