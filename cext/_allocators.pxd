# Allocators: separable iSLIP, router.alloc_iters iterations (one by default, BookSim's default), with
# round-robin pointers that move only on a first-iteration accepted grant (McKeown 1999); separable
# input-first; and wavefront, PIM and maximum size by matchings over the request pairs (cext/_matching.pxd).
# router.vc_allocator and router.sw_allocator choose (docs/switches.md). The interface
# another allocator implements:
#   switch_allocate(core, w, p0, n_in, n_sa) -> n_win: of the n_sa switch requests in w.req_in / req_out /
#       req_vc (an input port's requests contiguous), keep the winners, moved to the front, at most one per
#       input and per output; the router step then moves their flits (and the pointers, see _router).
#       With several iterations, switch_allocate_iterated marks the winners in w.won instead.
#   vc_allocate(core, w, r, p0, NV, n_va): each of the n_va input VCs in w.va_req, which may take the free
#       output VCs in w.va_cand (all on one output port), takes at most one, through grant_vc.
from _types cimport *
from fabric._core cimport Core, setup_of
from _statistics cimport stat_vc_grant
from _matching cimport match_wavefront, match_pim, match_max_size


cdef inline void offer(Work *w, int node, int dist, int req, int32_t stamp) noexcept nogil:
    """A round-robin arbiter's step: output (or output VC) `node` keeps request `req` if it is the first it
    sees in this allocation (`stamp`) or nearer after its pointer (`dist`) than the one it kept."""
    if w.mark[node] != stamp or dist < w.best_dist[node]:
        w.mark[node] = stamp
        w.best_dist[node] = dist
        w.best_req[node] = req


cdef inline void sa_grant(Core self, Work *w, int p0, int n_in, int n_sa, int32_t stamp, int32_t match,
                          bint first) noexcept nogil:
    """Grant: each output picks the requesting input closest after its pointer. After the first iteration
    only the outputs and inputs not matched yet (stamped `match` in w.done) take part."""
    cdef int j, lo, dist
    cdef int32_t *out_done = w.done + self.max_router_ports
    for j in range(n_sa):
        lo = w.req_out[j]
        if not first and (out_done[lo] == match or w.done[w.req_in[j]] == match):
            continue
        dist = w.req_in[j] - self.pstate[p0 + lo].sa_gptr
        if dist < 0:
            dist += n_in
        offer(w, lo, dist, j, stamp)


cdef inline int sa_accept(Core self, Work *w, int p0, int n_in, int n_sa, int *j, int32_t stamp) noexcept nogil:
    """Accept, for the input whose requests start at j[0] (an input's requests are contiguous): the granting
    output closest after its pointer. Returns that request (-1 none) and moves j[0] past the input's."""
    cdef int li = w.req_in[j[0]], lo, dist, best = -1, bi = -1
    while j[0] < n_sa and w.req_in[j[0]] == li:
        lo = w.req_out[j[0]]
        if w.mark[lo] == stamp and w.best_req[lo] == j[0]:
            dist = lo - self.pstate[p0 + li].sa_aptr
            if dist < 0:
                dist += n_in
            if best < 0 or dist < best:
                best = dist
                bi = j[0]
        j[0] += 1
    return bi


cdef inline int switch_allocate(Core self, Work *w, RouterSetup *rs, int p0, int n_in, int n_sa) noexcept nogil:
    """One iSLIP iteration (or separable input-first allocation) over the n_sa > 1 requests in req_*:
    returns how many won, moved to the front."""
    cdef int j = 0, bi, n_win = 0
    if rs.sw_alloc == ALLOC_INPUT_FIRST:
        return switch_input_first(self, w, p0, n_in, n_sa)
    w.mark_stamp += 1
    sa_grant(self, w, p0, n_in, n_sa, w.mark_stamp, 0, True)
    while j < n_sa:
        bi = sa_accept(self, w, p0, n_in, n_sa, &j, w.mark_stamp)
        if bi >= 0:
            w.req_in[n_win] = w.req_in[bi]
            w.req_out[n_win] = w.req_out[bi]
            w.req_vc[n_win] = w.req_vc[bi]
            n_win += 1
    return n_win


cdef inline int switch_allocate_iterated(Core self, Work *w, RouterSetup *rs, int p0, int n_in, int n_sa) noexcept nogil:
    """iSLIP with alloc_iters iterations over the n_sa requests in req_*: each iteration matches the inputs
    and outputs still unmatched; pointers move on the first iteration's matches only (McKeown 1999;
    BookSim's islip.cpp, whose iterations are asked for as islip(N)). Marks w.won[j] with the iteration
    (from 1) request j won in, 0 for none; returns how many won."""
    cdef int j, bi, it, n_win = 0, n_new
    cdef int32_t match
    w.mark_stamp += 1
    match = w.mark_stamp                 # this allocation's stamp of the matched inputs and outputs in w.done
    for j in range(n_sa):
        w.won[j] = 0
    for it in range(rs.sa_iters):
        w.mark_stamp += 1
        sa_grant(self, w, p0, n_in, n_sa, w.mark_stamp, match, it == 0)
        n_new = 0
        j = 0
        while j < n_sa:
            if w.done[w.req_in[j]] == match:            # matched in an earlier iteration
                bi = w.req_in[j]
                while j < n_sa and w.req_in[j] == bi:
                    j += 1
                continue
            bi = sa_accept(self, w, p0, n_in, n_sa, &j, w.mark_stamp)
            if bi >= 0:
                w.won[bi] = it + 1
                w.done[w.req_in[bi]] = match
                w.done[self.max_router_ports + w.req_out[bi]] = match
                n_new += 1
        n_win += n_new
        if n_new == 0:
            break
    return n_win


cdef inline void vc_allocate(Core self, Work *w, RouterSetup *rs, int r, int p0, int NV, int n_va) noexcept nogil:
    cdef int j, i, n, it
    # An input VC asks for VCs of one output port only, so allocation splits by output port, and a
    # port with one requester (the scan counted them) needs no arbitration.
    n = 0
    for j in range(n_va):
        i = w.va_req[j]
        if not (w.va_more >> (self.ivc[i].out_lo & 63) & 1):
            va_alone(self, i, r, p0, w.va_cand[j], rs.va - 1)
        else:
            w.va_req[n] = i
            w.va_cand[n] = w.va_cand[j]
            n += 1
    n_va = n
    if rs.vc_alloc == ALLOC_INPUT_FIRST:
        vc_input_first(self, w, r, p0, NV, n_va, rs.va - 1)
        return
    if rs.va_iters == 1:                # (a constant first: the checks for later iterations fold away)
        vc_iteration(self, w, r, p0, NV, n_va, True, rs.va - 1)
        return
    for it in range(rs.va_iters):
        if not vc_iteration(self, w, r, p0, NV, n_va, it == 0, rs.va - 1):
            break


cdef inline bint vc_iteration(Core self, Work *w, int r, int p0, int NV, int n_va, bint first, int wait) noexcept nogil:
    """One iSLIP iteration of VC allocation over the n_va requests in va_req / va_cand: the input VCs still
    waiting and the output VCs still free. Pointers move on the first iteration's grants only (McKeown
    1999; BookSim's islip.cpp). Returns whether a VC was granted."""
    cdef int j, i, o, ov, lo_v, dist, best, bi, V = self.V, li_v
    cdef uint64_t cand
    cdef bint granted = False
    cdef InVC *in_vc
    w.mark_stamp += 1
    # grant: each free output VC picks the requesting input VC closest after its pointer
    for j in range(n_va):
        i = w.va_req[j]
        in_vc = &self.ivc[i]
        if not first and in_vc.state != VC_ROUTED:
            continue                        # granted in an earlier iteration
        li_v = i - p0 * V
        o = p0 + in_vc.out_lo
        cand = w.va_cand[j]
        if not first:
            cand &= self.pstate[o].free_vcs
        while cand:
            ov = ctz64(cand)
            cand &= cand - 1
            lo_v = (o - p0) * V + ov
            dist = li_v - self.va_gptr[o * V + ov]
            if dist < 0:
                dist += NV
            offer(w, lo_v, dist, j, w.mark_stamp)
    # accept: each input VC takes the granting output VC closest after its pointer
    for j in range(n_va):
        i = w.va_req[j]
        in_vc = &self.ivc[i]
        if not first and in_vc.state != VC_ROUTED:
            continue
        o = p0 + in_vc.out_lo
        best = -1
        bi = -1
        cand = w.va_cand[j]
        if not first:
            cand &= self.pstate[o].free_vcs
        while cand:
            ov = ctz64(cand)
            cand &= cand - 1
            lo_v = (o - p0) * V + ov
            if w.mark[lo_v] == w.mark_stamp and w.best_req[lo_v] == j:
                dist = lo_v - in_vc.va_aptr
                if dist < 0:
                    dist += NV
                if best < 0 or dist < best:
                    best = dist
                    bi = ov
        if bi >= 0:
            grant_vc(self, i, r, p0, bi, first, wait)
            granted = True
    return granted


cdef inline void va_alone(Core self, int i, int r, int p0, uint64_t cand, int wait) noexcept nogil:
    """VC allocation for input VC i when nothing else asks for its output port: every free output
    VC in its range grants it, and it accepts the one closest after its pointer. The candidates
    all sit on one port, so that is the first at or after the pointer's place within the port,
    else the first: the lowest bit of the candidates rotated right by that place (no branch to
    mispredict)."""
    cdef InVC *in_vc = &self.ivc[i]
    cdef uint64_t rot
    cdef int a = in_vc.va_aptr - in_vc.out_lo * self.V
    a &= -<int>(<unsigned> a < <unsigned> self.V)   # on another port: from the first candidate
    rot = (cand >> a) | (cand << ((64 - a) & 63))
    grant_vc(self, i, r, p0, (a + ctz64(rot)) & 63, True, wait)


cdef inline void grant_vc(Core self, int i, int r, int p0, int ov, bint pointers, int wait) noexcept nogil:
    """Input VC i (global; of router r, whose first port is p0) takes output VC ov of its output port; the
    round-robin pointers move past them with `pointers` (a first-iteration grant)."""
    cdef InVC *in_vc = &self.ivc[i]
    cdef int V = self.V, o = p0 + in_vc.out_lo, q = i - p0 * V
    cdef int next_in = q + 1, next_out = in_vc.out_lo * V + ov + 1
    self.pstate[o].free_vcs &= ~((<uint64_t>1) << ov)
    stat_vc_grant(self, r)
    in_vc.sel = <uint8_t>ov
    in_vc.state = VC_ACTIVE_HEAD
    self.va_mask[r * self.WV + (q >> 6)] &= ~((<uint64_t>1) << (q & 63))
    in_vc.wait = <uint16_t>wait       # (the router's vc_alloc_delay - 1)
    if pointers:
        self.va_gptr[o * V + ov] = next_in      # (may be the router's VC count: the same as 0, see PortState)
        in_vc.va_aptr = next_out


# ---- separable input-first (BookSim's separable_input_first.cpp with round-robin arbiters): each input
# picks one of its requests, then each output one of the inputs that picked it; both arbiters' pointers
# move past a match

cdef inline int switch_input_first(Core self, Work *w, int p0, int n_in, int n_sa) noexcept nogil:
    """Separable input-first over the n_sa requests in req_*: returns how many won, moved to the front."""
    cdef int j = 0, li, lo, dist, best, bd, n_win = 0
    w.mark_stamp += 1
    while j < n_sa:
        li = w.req_in[j]
        best = -1
        bd = 0
        while j < n_sa and w.req_in[j] == li:      # the input's arbiter, over the outputs it asks for
            dist = w.req_out[j] - self.pstate[p0 + li].sa_aptr
            if dist < 0:
                dist += n_in
            if best < 0 or dist < bd:
                best = j
                bd = dist
            j += 1
        lo = w.req_out[best]                        # the output's arbiter, over the inputs that picked it
        dist = li - self.pstate[p0 + lo].sa_gptr
        if dist < 0:
            dist += n_in
        offer(w, lo, dist, best, w.mark_stamp)
    for j in range(n_sa):
        lo = w.req_out[j]
        if w.mark[lo] == w.mark_stamp and w.best_req[lo] == j:
            w.req_in[n_win] = w.req_in[j]
            w.req_out[n_win] = lo
            w.req_vc[n_win] = w.req_vc[j]
            n_win += 1
    return n_win


cdef inline void vc_input_first(Core self, Work *w, int r, int p0, int NV, int n_va, int wait) noexcept nogil:
    """Separable input-first VC allocation: each input VC picks the first of its free output VCs after its
    pointer (as va_alone), then each output VC the input VC closest after its own pointer. w.won holds each
    request's pick (scratch: the switch allocation after this sets it afresh)."""
    cdef int j, i, ov, lo_v, a, dist, V = self.V
    cdef uint64_t cand, rot
    cdef InVC *in_vc
    w.mark_stamp += 1
    for j in range(n_va):
        i = w.va_req[j]
        in_vc = &self.ivc[i]
        cand = w.va_cand[j]
        a = in_vc.va_aptr - in_vc.out_lo * V
        a &= -<int>(<unsigned> a < <unsigned> V)
        rot = (cand >> a) | (cand << ((64 - a) & 63))
        ov = (a + ctz64(rot)) & 63
        w.won[j] = ov
        lo_v = in_vc.out_lo * V + ov
        dist = (i - p0 * V) - self.va_gptr[(p0 + in_vc.out_lo) * V + ov]
        if dist < 0:
            dist += NV
        offer(w, lo_v, dist, j, w.mark_stamp)
    for j in range(n_va):
        i = w.va_req[j]
        lo_v = self.ivc[i].out_lo * V + w.won[j]
        if w.best_req[lo_v] == j:
            grant_vc(self, i, r, p0, w.won[j], True, wait)


# ---- wavefront, PIM, maximum size: matchings over the request pairs (cext/_matching.pxd); they keep no
# round-robin pointers (wavefront's first diagonal and max_size's first input advance by one per
# allocation, in Core.alloc_state)

cdef inline void run_matching(Core self, RouterSetup *rs, Matching *m, int r, int n, int n_side,
                              int which) noexcept nogil:
    """Match the n pairs in m with router r's switch allocator (which 0) or VC allocator (which 1)."""
    cdef int kind = rs.vc_alloc if which else rs.sw_alloc
    cdef int32_t *state = &self.alloc_state[2 * r + which]
    if kind == ALLOC_WAVEFRONT:
        match_wavefront(m, n, n_side, state[0])
        state[0] = (state[0] + 1) % n_side
    elif kind == ALLOC_PIM:
        match_pim(m, n, n_side, rs.va_iters if which else rs.sa_iters, &self.alloc_rng[r])
    else:
        match_max_size(m, n, n_side, state[0])
        state[0] = (state[0] + 1) % n_side


cdef inline int switch_allocate_matching(Core self, Work *w, RouterSetup *rs, int r, int n_in, int n_sa) noexcept nogil:
    """Switch allocation by a matching over the n_sa requests in req_*: marks the winners in w.won (2: the
    round-robin pointers of the separable allocators stay); returns how many won."""
    cdef Matching *m = &self.matching[w - self.works]
    cdef int j, k, n_win = 0
    for j in range(n_sa):
        m.left[j] = w.req_in[j]
        m.right[j] = w.req_out[j]
        m.req[j] = j
        w.won[j] = 0
    run_matching(self, rs, m, r, n_sa, n_in, 0)
    for k in range(n_sa):
        if m.won[k]:
            w.won[m.req[k]] = 2
            n_win += 1
    return n_win


cdef inline void vc_allocate_matching(Core self, Work *w, RouterSetup *rs, int r, int p0, int NV, int n_va) noexcept nogil:
    """VC allocation by a matching: a pair per (input VC, free output VC it may take) of the n_va requests."""
    cdef Matching *m = &self.matching[w - self.works]
    cdef int j, k, n = 0, base, V = self.V
    cdef uint64_t cand
    for j in range(n_va):
        base = self.ivc[w.va_req[j]].out_lo * V
        cand = w.va_cand[j]
        while cand:
            m.left[n] = w.va_req[j] - p0 * V
            m.right[n] = base + ctz64(cand)
            m.req[n] = j
            n += 1
            cand &= cand - 1
    run_matching(self, rs, m, r, n, NV, 1)
    for k in range(n):
        if m.won[k]:
            j = m.req[k]
            grant_vc(self, w.va_req[j], r, p0, m.right[k] - self.ivc[w.va_req[j]].out_lo * V, False, rs.va - 1)
