# Matchings over request pairs for the allocators other than the separable ones (router.vc_allocator,
# router.sw_allocator): wavefront, PIM and maximum size, each following BookSim 2's definition
# (src/allocators/wavefront.cpp, pim.cpp, maxsize.cpp; docs/switches.md). A request is a pair (left,
# right) of nodes in 0 .. n_side-1, the pairs of one left node contiguous; the work follows the pairs,
# never the n_side x n_side matrix BookSim sweeps. Each sets m.won[k] to 1 for the pairs it matches.
from libc.stdlib cimport qsort
from _types cimport *
from _rng cimport rng_below


cdef inline int compare_keys(const void *a, const void *b) noexcept nogil:
    cdef int64_t x = (<int64_t *> a)[0], y = (<int64_t *> b)[0]
    return (x > y) - (x < y)


cdef inline int32_t next_stamp(Matching *m) noexcept nogil:
    m.stamp += 1
    return m.stamp


cdef inline void match_wavefront(Matching *m, int n, int n_side, int start) noexcept nogil:
    """Wavefront: the diagonals d = (left + right) mod n_side in turn from `start`, each pair of a diagonal
    matched if both its nodes are free (the pairs of one diagonal never share a node). BookSim sweeps the
    square matrix; the pairs sorted by their diagonal's place after `start` give the same matching."""
    cdef int k, t, d
    cdef int32_t s
    for k in range(n):
        d = (m.left[k] + m.right[k] - start) % n_side
        if d < 0:
            d += n_side
        m.key[k] = ((<int64_t>d) << 32) | k
        m.won[k] = 0
    qsort(m.key, n, sizeof(int64_t), compare_keys)
    s = next_stamp(m)
    for t in range(n):
        k = <int>(m.key[t] & <int64_t>0xFFFFFFFF)
        if m.lmark[m.left[k]] != s and m.rmark[m.right[k]] != s:
            m.won[k] = 1
            m.lmark[m.left[k]] = s
            m.rmark[m.right[k]] = s


cdef inline void match_pim(Matching *m, int n, int n_side, int iters, uint64_t *rng) noexcept nogil:
    """Parallel iterative matching, `iters` iterations: each free right node grants the first requesting
    free left node at or after a uniformly random place, and each left node accepts the first granting
    right node at or after a random place (BookSim's PIM: a random offset, then the first in turn)."""
    cdef int k, it, l, j, best, d, bd, off
    cdef int32_t matched = next_stamp(m), g, dist
    for k in range(n):
        m.won[k] = 0
    for it in range(iters):
        g = next_stamp(m)               # this iteration's grants: per right node, its offset and best pair
        for k in range(n):
            if m.lmark[m.left[k]] == matched or m.rmark[m.right[k]] == matched:
                continue
            j = m.right[k]
            if m.rseen[j] != g:
                m.rseen[j] = g
                m.roff[j] = <int32_t>rng_below(rng, n_side)
                m.rbest[j] = -1
            dist = m.left[k] - m.roff[j]
            if dist < 0:
                dist += n_side
            if m.rbest[j] < 0 or dist < m.rdist[j]:
                m.rbest[j] = k
                m.rdist[j] = dist
        # accept: per left node (its pairs contiguous), the granting right node first after its offset
        k = 0
        while k < n:
            l = m.left[k]
            best = -1
            bd = 0
            off = -1
            while k < n and m.left[k] == l:
                j = m.right[k]
                if m.rseen[j] == g and m.rbest[j] == k and m.rmark[j] != matched and m.lmark[l] != matched:
                    if off < 0:
                        off = <int>rng_below(rng, n_side)
                    d = j - off
                    if d < 0:
                        d += n_side
                    if best < 0 or d < bd:
                        best = k
                        bd = d
                k += 1
            if best >= 0:
                m.won[best] = 1
                m.lmark[l] = matched
                m.rmark[m.right[best]] = matched


cdef inline void match_max_size(Matching *m, int n, int n_side, int prio) noexcept nogil:
    """A maximum matching by shortest augmenting paths (BookSim's MaxSizeMatch): search breadth first from
    every unmatched left node, in turn from `prio`, each node's pairs by right node ascending; augment along
    the first path found; repeat until none is left."""
    cdef int k, t, l, j, jn, i, n_left = 0, slen, nslen, level, e, found
    cdef int32_t valid = next_stamp(m), seen
    cdef int32_t *tmp
    for k in range(n):
        m.won[k] = 0
    # left nodes (their first pair and count), ordered from prio; each node's pairs sorted by right node
    k = 0
    while k < n:
        l = m.left[k]
        t = k
        while t < n and m.left[t] == l:
            t += 1
        sort_by_right(m, k, t)
        m.lfirst[l] = k
        m.lcount[l] = t - k
        e = (l - prio) % n_side
        if e < 0:
            e += n_side
        m.key[n_left] = ((<int64_t>e) << 32) | l
        n_left += 1
        k = t
    qsort(m.key, n_left, sizeof(int64_t), compare_keys)
    # lmark / rmark == valid: the node is matched, to lmatch / rmatch
    while True:
        seen = next_stamp(m)            # rseen[j] == seen: j was reached, from rfrom[j]
        slen = 0
        for t in range(n_left):
            l = <int>(m.key[t] & <int64_t>0xFFFFFFFF)
            if m.lmark[l] != valid:
                m.stack[slen] = l
                slen += 1
        found = -1
        level = 0
        while slen and found < 0 and level < n_side:
            nslen = 0
            for e in range(slen):
                i = m.stack[e]
                for k in range(m.lfirst[i], m.lfirst[i] + m.lcount[i]):
                    j = m.right[k]
                    if (m.lmark[i] == valid and m.lmatch[i] == j) or m.rseen[j] == seen:
                        continue
                    m.rseen[j] = seen
                    m.rfrom[j] = i
                    if m.rmark[j] != valid:
                        found = j
                        break
                    m.next_stack[nslen] = m.rmatch[j]
                    nslen += 1
                if found >= 0:
                    break
            tmp = m.stack
            m.stack = m.next_stack
            m.next_stack = tmp
            slen = nslen
            level += 1
        if found < 0:
            break
        # augment along the path that ends at right node `found`
        j = found
        i = m.rfrom[j]
        m.rmatch[j] = i
        m.rmark[j] = valid
        while m.lmark[i] == valid:
            jn = m.lmatch[i]
            m.lmatch[i] = j
            j = jn
            i = m.rfrom[j]
            m.rmatch[j] = i
        m.lmatch[i] = j
        m.lmark[i] = valid
    for t in range(n_left):
        l = <int>(m.key[t] & <int64_t>0xFFFFFFFF)
        if m.lmark[l] == valid:
            for k in range(m.lfirst[l], m.lfirst[l] + m.lcount[l]):
                if m.right[k] == m.lmatch[l]:
                    m.won[k] = 1
                    break


cdef inline void sort_by_right(Matching *m, int lo, int hi) noexcept nogil:
    """Insertion sort of pairs lo .. hi-1 by right node (a node has a few pairs), their req alongside."""
    cdef int a, b
    cdef int32_t r, q
    for a in range(lo + 1, hi):
        r = m.right[a]
        q = m.req[a]
        b = a - 1
        while b >= lo and m.right[b] > r:
            m.right[b + 1] = m.right[b]
            m.req[b + 1] = m.req[b]
            b -= 1
        m.right[b + 1] = r
        m.req[b + 1] = q
