# Inspection: the per-cycle invariant check (sim.check) and the route probe that describe's expected
# loads and the tests use.
from _types cimport *
from fabric._core cimport Core
from _routing cimport route
from _output_queues cimport queued_flits


cdef inline int check_cycle(Core self) noexcept nogil:
    """After a cycle: every output VC's credits and every input VC's flits within 0..vc_buffer,
    every injection channel's credits too, and the flits injected and not delivered all in buffers,
    output queues or on links. Records the first violation in self.bad and returns 1."""
    cdef int64_t i, j, n = self.n_ports * self.V, held = 0, on_links = 0
    for i in range(n):
        if self.port[i // self.V].kind == PORT_LINK and not 0 <= self.credits[i] <= self.B:
            self.bad[0], self.bad[1], self.bad[2], self.bad[3] = CHECK_CREDITS, i // self.V, i % self.V, self.credits[i]
            return 1
        if not 0 <= self.ivc[i].count <= self.B:
            self.bad[0], self.bad[1], self.bad[2], self.bad[3] = CHECK_BUFFER, i // self.V, i % self.V, self.ivc[i].count
            return 1
        held += self.ivc[i].count
    for i in range(self.n_endpoints * self.P * self.V):
        if not 0 <= self.ep_ovc[i].credits <= self.B:
            self.bad[0], self.bad[1], self.bad[2], self.bad[3] = CHECK_INJECTION, i // self.V, i % self.V, self.ep_ovc[i].credits
            return 1
    for j in range(self.R * self.n_ports):
        if self.link_flit[j] >= 0:
            on_links += 1
    held += queued_flits(self)
    if held + on_links != self.c_injected_flits - self.c_delivered_flits:
        self.bad[0], self.bad[1], self.bad[2] = CHECK_CONSERVATION, held + on_links, self.c_injected_flits
        self.bad[3] = self.c_delivered_flits
        return 1
    return 0


cdef inline int probe(Core self, int router, int p, int v, int dest, int choice, int hops, int pid,
                       uint64_t *allowed) noexcept nogil:
    """The local output port route computation picks for a head to `dest` at input VC (p, v) of
    `router` (p a global port index), packet id `pid`, with `hops` links behind it, its random draws
    replaced by `choice`; the output VCs it allows go to *allowed. State is left as it was."""
    cdef InVC *in_vc_state = &self.ivc[p * self.V + v]
    cdef InVC saved = in_vc_state[0]
    cdef int out
    in_vc_state.front[0] = flit_word(pid, dest, True) + ((<int64_t>min(hops, HOPS_MASK)) << HOPS_SHIFT)
    self.forced_choice = choice
    route(self, router, self.port_indptr[router], p, v, in_vc_state)
    self.forced_choice = -1
    out = in_vc_state.out_lo
    allowed[0] = self.class_mask[in_vc_state.sel]
    in_vc_state[0] = saved
    return out
