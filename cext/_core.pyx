# cython: language_level=3
"""The cycle-stepped simulation core of fabric.

Python (fabric/engine.py) builds flat arrays describing routers, ports, links and endpoints and hands
them to `Core`. `Core.run(until)` steps the network one cycle at a time without the GIL and without
touching a Python object, writing counters that Python turns into a result.

Model (one cycle = one clock of every router, link and endpoint):

* Router: input-queued, `vcs` virtual channels per input port, each a FIFO of `vc_buffer` flits.
  A head flit written into its buffer at cycle a does route computation at a+1 (taking routing_delay
  cycles), then VC allocation (vc_alloc_delay), then switch allocation (sw_alloc_delay) and switch
  traversal (st_delay); non-speculative. Body flits only need switch allocation. With every delay 1 a flit
  written at a reaches the next router's buffer at a + 4 + link latency.
* VC and switch allocation: separable iSLIP with one iteration and round-robin pointers that move only
  on an accepted grant (McKeown 1999; BookSim's default allocators). A packet holds its output VC from
  head to tail (wormhole).
* Links carry one flit per cycle with a fixed latency, modelled as a ring of slots per input port.
  Credits return over the reverse channel with the same latency, one ring per output port: a credit
  freed by switch allocation at cycle s is usable upstream from s + sw_alloc_delay + latency.
* Endpoints: Bernoulli packet creation into an unbounded source queue; the head packet takes an
  injection VC that is free and has credit (round robin from the last used, as BookSim) and sends one
  flit per cycle. Injection takes 2 cycles to the router's buffer; ejection takes 1 cycle and always
  accepts a flit.

Every read in cycle t sees the state left by cycle t-1: flits and credits written during t land in
ring slots of later cycles, and a flit written into a buffer during t is first used at t+1.
"""
cimport cython
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset
from libc.math cimport log

from _types cimport id_t, cycle_t, small_t, int8_t, int16_t, int32_t, int64_t, uint64_t
from _rng cimport rng_next, rng_below, rng_uniform, rng_geometric

import numpy as np
cimport numpy as cnp

cnp.import_array()

# Status codes returned by run(); engine.py maps them (the only importer of this module).
cdef enum:
    ST_OK = 0
    ST_DRAINED = 1
    ST_PACKET_LIMIT = 2
    ST_NO_MEMORY = 3
    ST_INVARIANT = 4

STATUS_OK = ST_OK
STATUS_DRAINED = ST_DRAINED
STATUS_PACKET_LIMIT = ST_PACKET_LIMIT
STATUS_NO_MEMORY = ST_NO_MEMORY
STATUS_INVARIANT = ST_INVARIANT

# Port kinds (fabric/network.py)
cdef enum:
    PORT_NONE = 0
    PORT_LINK = 1
    PORT_ENDPOINT = 2

# Input-VC states
cdef enum:
    VC_IDLE = 0      # no packet in progress; a head at the front waits for route computation
    VC_ROUTED = 1    # route computed, waiting for VC allocation
    VC_ACTIVE = 2    # holds an output VC; flits wait for switch allocation

# Routing modes (fabric/routing/*.py)
cdef enum:
    ROUTE_DOR_MESH = 0
    ROUTE_DOR_TORUS = 1

# Traffic modes (fabric/traffic/*.py)
cdef enum:
    TRAFFIC_UNIFORM = 0

cdef enum:
    EJECT_CREDITS = 0x3FFFFFFF
    STAMP_LIMIT = 0x3FFFFFFF

cdef int64_t NO_CYCLE = 0x3FFFFFFFFFFFFFFF


cdef inline uint64_t mix_seed(uint64_t seed, uint64_t stream) noexcept nogil:
    """A well-spread initial state for stream `stream` of seed `seed`."""
    cdef uint64_t s = seed * <uint64_t>0x9E3779B97F4A7C15 + stream * <uint64_t>0xD1B54A32D192ED03 + 1
    rng_next(&s)
    return rng_next(&s)


@cython.final
cdef class Core:
    """One network's complete simulation state.

    Parameters
    ----------
    net : dict of ndarray
        port_indptr (n_routers+1,) int32, port_kind (n_ports,) int8, port_peer (n_ports,) int32,
        port_latency (n_ports,) int32, endpoint_port (n_endpoints,) int32,
        router_coords (n_routers, n_dims) int32, dims (n_dims,) int32.
    cfg : dict
        vcs, vc_buffer, routing_delay, vc_alloc_delay, sw_alloc_delay, st_delay, route_mode, torus_tie,
        traffic_mode, allow_self, packet_rate, packet_size, seed, window_start, window_end, max_packets.
    """

    # ---- sizes and configuration
    cdef int n_routers, n_ports, n_endpoints, n_dims, V, B, R, rmask, max_router_ports
    cdef int rd, va, sa, st
    cdef int route_mode, torus_tie, traffic_mode, allow_self, packet_size
    cdef double packet_rate, log1mp
    cdef readonly cycle_t now
    cdef cycle_t window_start, window_end
    cdef int64_t max_packets

    # ---- topology (owned numpy arrays keep the memory alive; raw pointers are used in the loop)
    cdef object _keep
    cdef int32_t *port_indptr       # (n_routers+1) router -> first port
    cdef int8_t *port_kind          # (n_ports) PORT_*
    cdef int32_t *port_peer         # (n_ports) link: far-end port; endpoint: endpoint id
    cdef int32_t *port_latency      # (n_ports) cycles on the link leaving the port
    cdef int32_t *port_router       # (n_ports) owning router
    cdef int32_t *endpoint_port     # (n_endpoints) router port of each endpoint
    cdef int32_t *router_coords     # (n_routers*n_dims) coordinates
    cdef int32_t *dims              # (n_dims) routers per dimension
    cdef int32_t *strides           # (n_dims) router-id stride of each dimension
    cdef int n_net_ports            # 2*n_dims for mesh/torus: first endpoint port of a router
    cdef int concentration

    # ---- input side: one FIFO per (port, vc)
    cdef int32_t *buf               # (n_ports*V*B) packet id of each buffered flit
    cdef int32_t *buf_head          # (n_ports*V) index of the front flit
    cdef int32_t *buf_count         # (n_ports*V) flits buffered
    cdef int32_t *port_nflits       # (n_ports) flits buffered over the port's VCs
    cdef int8_t *ivc_state          # (n_ports*V) VC_*
    cdef int64_t *ivc_ready         # (n_ports*V) first cycle the next pipeline stage may run
    cdef int32_t *ivc_out_port      # (n_ports*V) output port of the packet in progress
    cdef int16_t *ivc_out_vc        # (n_ports*V) output VC held (ACTIVE)
    cdef int16_t *ivc_vc_lo         # (n_ports*V) allowed output VC range for allocation
    cdef int16_t *ivc_vc_hi
    cdef int32_t *ivc_sent          # (n_ports*V) flits of the packet in progress already forwarded

    # ---- output side: one credit counter and owner flag per (port, vc)
    cdef int32_t *ovc_credits       # (n_ports*V) free downstream buffer slots
    cdef int8_t *ovc_busy           # (n_ports*V) 1 while a packet holds the VC

    # ---- links and credits in flight, a ring of R slots per port, slot = cycle & rmask
    cdef int32_t *ring_pid          # (n_ports*R) flit arriving at this input port (-1 none)
    cdef int8_t *ring_vc            # (n_ports*R) its VC
    cdef int8_t *cring              # (n_ports*R) VC of a credit arriving at this output port (-1 none)

    # ---- allocator round-robin pointers (local indices within the router)
    cdef int32_t *sa_gptr           # (n_ports) output port: next input port to favour
    cdef int32_t *sa_aptr           # (n_ports) input port: next output port to favour
    cdef int32_t *sa_vptr           # (n_ports) input port: next VC to favour
    cdef int32_t *va_gptr           # (n_ports*V) output VC: next input VC to favour
    cdef int32_t *va_aptr           # (n_ports*V) input VC: next output VC to favour

    # ---- per-router scratch for one evaluation (sized by the largest router)
    cdef int32_t *req_in
    cdef int32_t *req_out
    cdef int32_t *req_vc
    cdef int32_t *req_ivc
    cdef int32_t *best_req
    cdef int32_t *best_dist
    cdef int32_t *mark
    cdef int32_t *va_req
    cdef int32_t mark_stamp

    # ---- RNG streams
    cdef uint64_t *router_rng       # (n_routers)
    cdef uint64_t *ep_rng           # (n_endpoints)

    # ---- endpoints
    cdef int64_t *ep_next_arrival   # (n_endpoints) cycle of the next packet creation
    cdef int32_t *ep_q_head         # (n_endpoints) source queue, linked through pkt_next (-1 empty)
    cdef int32_t *ep_q_tail
    cdef int16_t *ep_cur_vc         # (n_endpoints) injection VC of the front packet (-1 none yet)
    cdef int32_t *ep_cur_sent       # (n_endpoints) flits of the front packet already sent
    cdef int16_t *ep_last_vc        # (n_endpoints) last injection VC used
    cdef int32_t *ep_credits        # (n_endpoints*V)
    cdef int8_t *ep_vc_busy         # (n_endpoints*V)
    cdef int8_t *ep_cring           # (n_endpoints*R) credits returning to the endpoint

    # ---- packets: a growable pool with a free list
    cdef int64_t pkt_cap, pkt_live
    cdef int32_t pkt_free
    cdef int32_t *pkt_dest
    cdef int32_t *pkt_dest_router
    cdef int32_t *pkt_src
    cdef int32_t *pkt_next
    cdef int32_t *pkt_hops
    cdef int32_t *pkt_size
    cdef int64_t *pkt_create
    cdef int64_t *pkt_inject
    cdef int8_t *pkt_dim
    cdef int8_t *pkt_dir
    cdef int8_t *pkt_cls
    cdef int8_t *pkt_measured

    # ---- latency histograms of measured packets (growable, one bin per cycle)
    cdef int64_t *hist_packet
    cdef int64_t *hist_network
    cdef int64_t hist_cap

    # ---- counters (read by engine.py through counters())
    cdef int64_t c_created_packets, c_created_flits, c_injected_flits, c_delivered_packets
    cdef int64_t c_delivered_flits, c_flit_hops, c_source_flits
    cdef int64_t c_window_created_flits, c_window_ejected_flits, c_window_flit_hops
    cdef int64_t c_measured_created, c_measured_delivered, c_measured_outstanding
    cdef int64_t c_sum_packet_latency, c_sum_network_latency, c_sum_hops
    cdef int64_t c_max_packet_latency, c_max_network_latency
    cdef int64_t c_last_move

    def __cinit__(self):
        self.pkt_cap = 0
        self.pkt_free = -1
        self.hist_cap = 0

    def __init__(self, dict net, dict cfg):
        cdef int i, v, p, r
        keep = {}

        def arr(name, src, dtype):
            a = np.ascontiguousarray(src, dtype=dtype)
            keep[name] = a
            return a

        def zeros(name, n, dtype, fill=0):
            a = np.full(max(int(n), 1), fill, dtype=dtype)
            keep[name] = a
            return a

        cdef cnp.ndarray a
        self.V = cfg["vcs"]
        self.B = cfg["vc_buffer"]
        self.rd = cfg["routing_delay"]
        self.va = cfg["vc_alloc_delay"]
        self.sa = cfg["sw_alloc_delay"]
        self.st = cfg["st_delay"]
        self.route_mode = cfg["route_mode"]
        self.torus_tie = cfg["torus_tie"]
        self.traffic_mode = cfg["traffic_mode"]
        self.allow_self = cfg["allow_self"]
        self.packet_size = cfg["packet_size"]
        self.packet_rate = cfg["packet_rate"]
        self.window_start = cfg["window_start"]
        self.window_end = cfg["window_end"]
        self.max_packets = cfg["max_packets"]
        self.log1mp = log(1.0 - self.packet_rate) if 0.0 < self.packet_rate < 1.0 else 0.0
        self.concentration = cfg["concentration"]
        self.now = 0

        indptr = arr("port_indptr", net["port_indptr"], np.int32)
        self.n_routers = indptr.shape[0] - 1
        self.n_ports = int(indptr[self.n_routers])
        a = indptr; self.port_indptr = <int32_t *> a.data
        a = arr("port_kind", net["port_kind"], np.int8); self.port_kind = <int8_t *> a.data
        a = arr("port_peer", net["port_peer"], np.int32); self.port_peer = <int32_t *> a.data
        lat = arr("port_latency", net["port_latency"], np.int32)
        a = lat; self.port_latency = <int32_t *> a.data
        eport = arr("endpoint_port", net["endpoint_port"], np.int32)
        a = eport; self.endpoint_port = <int32_t *> a.data
        self.n_endpoints = eport.shape[0]
        coords = arr("router_coords", net["router_coords"], np.int32)
        a = coords; self.router_coords = <int32_t *> a.data
        dims = arr("dims", net["dims"], np.int32)
        self.n_dims = dims.shape[0]
        a = dims; self.dims = <int32_t *> a.data
        strides = arr("strides", np.cumprod(np.r_[1, dims[: self.n_dims - 1]]) if self.n_dims else [1], np.int32)
        a = strides; self.strides = <int32_t *> a.data
        self.n_net_ports = 2 * self.n_dims
        counts = np.diff(indptr)
        self.max_router_ports = int(counts.max()) if self.n_routers else 1
        a = arr("port_router", np.repeat(np.arange(self.n_routers, dtype=np.int32), counts), np.int32)
        self.port_router = <int32_t *> a.data

        # Ring size: a power of two larger than the longest flit or credit delay.
        longest = int(lat.max()) + self.sa + self.st + 2 if self.n_ports else 4
        self.R = 1
        while self.R <= longest:
            self.R *= 2
        self.rmask = self.R - 1

        NPV = self.n_ports * self.V
        a = zeros("buf", NPV * self.B, np.int32, -1); self.buf = <int32_t *> a.data
        a = zeros("buf_head", NPV, np.int32); self.buf_head = <int32_t *> a.data
        a = zeros("buf_count", NPV, np.int32); self.buf_count = <int32_t *> a.data
        a = zeros("port_nflits", self.n_ports, np.int32); self.port_nflits = <int32_t *> a.data
        a = zeros("ivc_state", NPV, np.int8); self.ivc_state = <int8_t *> a.data
        a = zeros("ivc_ready", NPV, np.int64); self.ivc_ready = <int64_t *> a.data
        a = zeros("ivc_out_port", NPV, np.int32, -1); self.ivc_out_port = <int32_t *> a.data
        a = zeros("ivc_out_vc", NPV, np.int16, -1); self.ivc_out_vc = <int16_t *> a.data
        a = zeros("ivc_vc_lo", NPV, np.int16); self.ivc_vc_lo = <int16_t *> a.data
        a = zeros("ivc_vc_hi", NPV, np.int16); self.ivc_vc_hi = <int16_t *> a.data
        a = zeros("ivc_sent", NPV, np.int32); self.ivc_sent = <int32_t *> a.data
        kinds = keep["port_kind"]
        credits = np.where(kinds == PORT_LINK, self.B, np.where(kinds == PORT_ENDPOINT, EJECT_CREDITS, 0))
        a = arr("ovc_credits", np.repeat(credits, self.V) if NPV else [0], np.int32); self.ovc_credits = <int32_t *> a.data
        a = zeros("ovc_busy", NPV, np.int8); self.ovc_busy = <int8_t *> a.data
        a = zeros("ring_pid", self.n_ports * self.R, np.int32, -1); self.ring_pid = <int32_t *> a.data
        a = zeros("ring_vc", self.n_ports * self.R, np.int8, -1); self.ring_vc = <int8_t *> a.data
        a = zeros("cring", self.n_ports * self.R, np.int8, -1); self.cring = <int8_t *> a.data
        a = zeros("sa_gptr", self.n_ports, np.int32); self.sa_gptr = <int32_t *> a.data
        a = zeros("sa_aptr", self.n_ports, np.int32); self.sa_aptr = <int32_t *> a.data
        a = zeros("sa_vptr", self.n_ports, np.int32); self.sa_vptr = <int32_t *> a.data
        a = zeros("va_gptr", NPV, np.int32); self.va_gptr = <int32_t *> a.data
        a = zeros("va_aptr", NPV, np.int32); self.va_aptr = <int32_t *> a.data

        MPV = self.max_router_ports * self.V
        a = zeros("req_in", MPV, np.int32); self.req_in = <int32_t *> a.data
        a = zeros("req_out", MPV, np.int32); self.req_out = <int32_t *> a.data
        a = zeros("req_vc", MPV, np.int32); self.req_vc = <int32_t *> a.data
        a = zeros("req_ivc", MPV, np.int32); self.req_ivc = <int32_t *> a.data
        a = zeros("best_req", MPV, np.int32); self.best_req = <int32_t *> a.data
        a = zeros("best_dist", MPV, np.int32); self.best_dist = <int32_t *> a.data
        a = zeros("mark", MPV, np.int32); self.mark = <int32_t *> a.data
        a = zeros("va_req", MPV, np.int32); self.va_req = <int32_t *> a.data
        self.mark_stamp = 0

        seed = int(cfg["seed"]) & 0xFFFFFFFFFFFFFFFF
        a = zeros("router_rng", self.n_routers, np.uint64); self.router_rng = <uint64_t *> a.data
        for r in range(self.n_routers):
            self.router_rng[r] = mix_seed(seed, 2 * <uint64_t>r + 1)
        a = zeros("ep_rng", self.n_endpoints, np.uint64); self.ep_rng = <uint64_t *> a.data
        for i in range(self.n_endpoints):
            self.ep_rng[i] = mix_seed(seed, 2 * <uint64_t>i + 2)

        NEV = self.n_endpoints * self.V
        a = zeros("ep_next_arrival", self.n_endpoints, np.int64, NO_CYCLE); self.ep_next_arrival = <int64_t *> a.data
        a = zeros("ep_q_head", self.n_endpoints, np.int32, -1); self.ep_q_head = <int32_t *> a.data
        a = zeros("ep_q_tail", self.n_endpoints, np.int32, -1); self.ep_q_tail = <int32_t *> a.data
        a = zeros("ep_cur_vc", self.n_endpoints, np.int16, -1); self.ep_cur_vc = <int16_t *> a.data
        a = zeros("ep_cur_sent", self.n_endpoints, np.int32); self.ep_cur_sent = <int32_t *> a.data
        a = zeros("ep_last_vc", self.n_endpoints, np.int16, self.V - 1); self.ep_last_vc = <int16_t *> a.data
        a = zeros("ep_credits", NEV, np.int32, self.B); self.ep_credits = <int32_t *> a.data
        a = zeros("ep_vc_busy", NEV, np.int8); self.ep_vc_busy = <int8_t *> a.data
        a = zeros("ep_cring", self.n_endpoints * self.R, np.int8, -1); self.ep_cring = <int8_t *> a.data
        self._keep = keep

        # First creation of each endpoint's Bernoulli process (the process starts at cycle 0).
        if self.packet_rate >= 1.0:
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = 0
        elif self.packet_rate > 0.0:
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = rng_geometric(&self.ep_rng[i], self.log1mp) - 1

        if self._grow_packets(1024) or self._grow_hist(1024):
            raise MemoryError("fabric core: cannot allocate packet pool")

    def __dealloc__(self):
        free(self.pkt_dest); free(self.pkt_dest_router); free(self.pkt_src); free(self.pkt_next)
        free(self.pkt_hops); free(self.pkt_size); free(self.pkt_create); free(self.pkt_inject)
        free(self.pkt_dim); free(self.pkt_dir); free(self.pkt_cls); free(self.pkt_measured)
        free(self.hist_packet); free(self.hist_network)

    # ------------------------------------------------------------------ growable pools

    cdef int _grow_packets(self, int64_t new_cap) noexcept nogil:
        """Enlarge the packet pool to new_cap entries and thread the new ones onto the free list."""
        cdef int64_t i, old = self.pkt_cap
        if not self._realloc(<void **>&self.pkt_dest, new_cap * 4): return 1
        if not self._realloc(<void **>&self.pkt_dest_router, new_cap * 4): return 1
        if not self._realloc(<void **>&self.pkt_src, new_cap * 4): return 1
        if not self._realloc(<void **>&self.pkt_next, new_cap * 4): return 1
        if not self._realloc(<void **>&self.pkt_hops, new_cap * 4): return 1
        if not self._realloc(<void **>&self.pkt_create, new_cap * 8): return 1
        if not self._realloc(<void **>&self.pkt_inject, new_cap * 8): return 1
        if not self._realloc(<void **>&self.pkt_dim, new_cap): return 1
        if not self._realloc(<void **>&self.pkt_dir, new_cap): return 1
        if not self._realloc(<void **>&self.pkt_cls, new_cap): return 1
        if not self._realloc(<void **>&self.pkt_measured, new_cap): return 1
        if not self._realloc(<void **>&self.pkt_size, new_cap * 4): return 1
        for i in range(old, new_cap - 1):
            self.pkt_next[i] = <int32_t>(i + 1)
        self.pkt_next[new_cap - 1] = self.pkt_free
        self.pkt_free = <int32_t>old
        self.pkt_cap = new_cap
        return 0

    cdef int _grow_hist(self, int64_t new_cap) noexcept nogil:
        cdef int64_t old = self.hist_cap
        if not self._realloc(<void **>&self.hist_packet, new_cap * 8): return 1
        if not self._realloc(<void **>&self.hist_network, new_cap * 8): return 1
        memset(&self.hist_packet[old], 0, (new_cap - old) * 8)
        memset(&self.hist_network[old], 0, (new_cap - old) * 8)
        self.hist_cap = new_cap
        return 0

    cdef bint _realloc(self, void **p, int64_t nbytes) noexcept nogil:
        cdef void *q = realloc(p[0], nbytes)
        if q == NULL:
            return False
        p[0] = q
        return True

    # ------------------------------------------------------------------ packets

    cdef inline int32_t _new_packet(self) noexcept nogil:
        """A free packet id, growing the pool if needed; -1 on the packet limit, -2 out of memory."""
        cdef int32_t pid
        if self.pkt_free < 0:
            if self.pkt_cap >= self.max_packets:
                return -1
            if self._grow_packets(min(2 * self.pkt_cap, self.max_packets)):
                return -2
        pid = self.pkt_free
        self.pkt_free = self.pkt_next[pid]
        self.pkt_live += 1
        return pid

    cdef inline void _deliver(self, int32_t pid, cycle_t arrival) noexcept nogil:
        """The tail of packet pid reaches its endpoint at cycle `arrival`."""
        cdef int64_t lat_p, lat_n
        self.c_delivered_packets += 1
        if self.pkt_measured[pid]:
            lat_p = arrival - self.pkt_create[pid]
            lat_n = arrival - self.pkt_inject[pid]
            if lat_p >= self.hist_cap:
                self._grow_hist(max(2 * self.hist_cap, lat_p + 1))
            if lat_p < self.hist_cap:
                self.hist_packet[lat_p] += 1
                self.hist_network[lat_n] += 1
            self.c_measured_delivered += 1
            self.c_measured_outstanding -= 1
            self.c_sum_packet_latency += lat_p
            self.c_sum_network_latency += lat_n
            self.c_sum_hops += self.pkt_hops[pid]
            if lat_p > self.c_max_packet_latency:
                self.c_max_packet_latency = lat_p
            if lat_n > self.c_max_network_latency:
                self.c_max_network_latency = lat_n
        self.pkt_next[pid] = self.pkt_free
        self.pkt_free = pid
        self.pkt_live -= 1

    # ------------------------------------------------------------------ routing

    cdef inline void _route(self, int r, int i, int32_t pid) noexcept nogil:
        """Route computation for the head of packet pid at router r, input VC i: sets the output port
        and the allowed output-VC range (dimension order; see fabric/routing/dor.py)."""
        cdef int32_t dr = self.pkt_dest_router[pid]
        cdef int d = 0, c = 0, t = 0, k, dist2, direction, cls, half
        cdef int out
        if dr == r:
            out = self.port_indptr[r] + self.n_net_ports + self.pkt_dest[pid] % self.concentration
            self.ivc_out_port[i] = out
            self.ivc_vc_lo[i] = 0
            self.ivc_vc_hi[i] = self.V - 1
            return
        for d in range(self.n_dims):
            c = self.router_coords[r * self.n_dims + d]
            t = self.router_coords[dr * self.n_dims + d]
            if c != t:
                break
        if self.route_mode == ROUTE_DOR_MESH:
            self.ivc_out_port[i] = self.port_indptr[r] + 2 * d + (0 if c < t else 1)
            self.ivc_vc_lo[i] = 0
            self.ivc_vc_hi[i] = self.V - 1
            return
        # torus: direction and dateline class are fixed when the packet turns into dimension d
        if self.pkt_dim[pid] != d:
            k = self.dims[d]
            dist2 = k - 2 * ((t - c + k) % k)
            if dist2 > 0 or (dist2 == 0 and (self.torus_tie == 1 or (rng_next(&self.router_rng[r]) >> 63))):
                direction = 0
            else:
                direction = 1
            # BookSim dor_next_torus: upper half going + across the wrap, or going - without wrapping
            cls = 1 if ((direction == 0 and c > t) or (direction == 1 and t < c)) else 0
            self.pkt_dim[pid] = <int8_t>d
            self.pkt_dir[pid] = <int8_t>direction
            self.pkt_cls[pid] = <int8_t>cls
        half = self.V // 2
        self.ivc_out_port[i] = self.port_indptr[r] + 2 * d + self.pkt_dir[pid]
        if self.pkt_cls[pid]:
            self.ivc_vc_lo[i] = half
            self.ivc_vc_hi[i] = self.V - 1
        else:
            self.ivc_vc_lo[i] = 0
            self.ivc_vc_hi[i] = half - 1

    # ------------------------------------------------------------------ one router, one cycle

    cdef int _router_step(self, int r) noexcept nogil:
        cdef cycle_t now = self.now
        cdef int V = self.V, B = self.B, R = self.R, rmask = self.rmask
        cdef int p0 = self.port_indptr[r], p1 = self.port_indptr[r + 1]
        cdef int np_ = p1 - p0, NV = np_ * V
        cdef int p, li, lo, k, v, i, o, ov, q, slot, n_sa = 0, n_va = 0, j, dist, best, bi
        cdef int32_t pid, c
        cdef int8_t cv
        cdef int vstart, lo_v, gi, go
        cdef int64_t slot_base

        # A. credits arriving at our output ports this cycle
        slot = <int>(now & rmask)
        for p in range(p0, p1):
            cv = self.cring[p * R + slot]
            if cv >= 0:
                self.ovc_credits[p * V + cv] += 1
                self.cring[p * R + slot] = -1

        # B. route computation, and gather VC- and switch-allocation requests
        for li in range(np_):
            p = p0 + li
            if self.port_nflits[p] == 0:
                continue
            self.mark_stamp += 1
            vstart = self.sa_vptr[p]
            for k in range(V):
                v = vstart + k
                if v >= V:
                    v -= V
                i = p * V + v
                if self.buf_count[i] == 0 or now < self.ivc_ready[i]:
                    continue
                if self.ivc_state[i] == VC_IDLE:
                    pid = self.buf[i * B + self.buf_head[i]]
                    self._route(r, i, pid)
                    self.ivc_state[i] = VC_ROUTED
                    self.ivc_ready[i] = now + self.rd
                elif self.ivc_state[i] == VC_ROUTED:
                    self.va_req[n_va] = i
                    n_va += 1
                else:
                    o = self.ivc_out_port[i]
                    if self.ovc_credits[o * V + self.ivc_out_vc[i]] <= 0:
                        continue
                    lo = o - p0
                    if self.mark[lo] == self.mark_stamp:
                        continue  # this input already asks for that output through an earlier VC
                    self.mark[lo] = self.mark_stamp
                    self.req_in[n_sa] = li
                    self.req_out[n_sa] = lo
                    self.req_vc[n_sa] = v
                    n_sa += 1

        # C. VC allocation: iSLIP over (input VC) x (output VC), one iteration
        if n_va:
            self._vc_allocate(r, p0, NV, n_va)

        # D. switch allocation: iSLIP over input ports x output ports, one iteration
        if n_sa:
            self.mark_stamp += 1
            # grant: each output picks the requesting input closest after its pointer
            for j in range(n_sa):
                lo = self.req_out[j]
                dist = self.req_in[j] - self.sa_gptr[p0 + lo]
                if dist < 0:
                    dist += np_
                if self.mark[lo] != self.mark_stamp or dist < self.best_dist[lo]:
                    self.mark[lo] = self.mark_stamp
                    self.best_dist[lo] = dist
                    self.best_req[lo] = j
            # accept: requests of one input are contiguous; each input takes the granting output
            # closest after its pointer
            j = 0
            while j < n_sa:
                li = self.req_in[j]
                best = -1
                bi = -1
                while j < n_sa and self.req_in[j] == li:
                    lo = self.req_out[j]
                    if self.best_req[lo] == j:
                        dist = lo - self.sa_aptr[p0 + li]
                        if dist < 0:
                            dist += np_
                        if best < 0 or dist < best:
                            best = dist
                            bi = j
                    j += 1
                if bi >= 0:
                    if self._traverse(r, p0, np_, self.req_in[bi], self.req_out[bi], self.req_vc[bi]):
                        return ST_INVARIANT

        # E. flits arriving on our input links this cycle enter their buffers (usable from now + 1)
        slot = <int>(now & rmask)
        for p in range(p0, p1):
            pid = self.ring_pid[p * R + slot]
            if pid >= 0:
                i = p * V + self.ring_vc[p * R + slot]
                if self.buf_count[i] >= B:
                    return ST_INVARIANT
                q = self.buf_head[i] + self.buf_count[i]
                if q >= B:
                    q -= B
                self.buf[i * B + q] = pid
                self.buf_count[i] += 1
                self.port_nflits[p] += 1
                self.ring_pid[p * R + slot] = -1
        return ST_OK

    cdef void _vc_allocate(self, int r, int p0, int NV, int n_va) noexcept nogil:
        cdef int j, i, o, ov, lo_v, gi, dist, best, bi, V = self.V, li_v
        self.mark_stamp += 1
        # grant: each free output VC picks the requesting input VC closest after its pointer
        for j in range(n_va):
            i = self.va_req[j]
            li_v = i - p0 * V
            o = self.ivc_out_port[i]
            for ov in range(self.ivc_vc_lo[i], self.ivc_vc_hi[i] + 1):
                if self.ovc_busy[o * V + ov]:
                    continue
                lo_v = (o - p0) * V + ov
                dist = li_v - self.va_gptr[o * V + ov]
                if dist < 0:
                    dist += NV
                if self.mark[lo_v] != self.mark_stamp or dist < self.best_dist[lo_v]:
                    self.mark[lo_v] = self.mark_stamp
                    self.best_dist[lo_v] = dist
                    self.best_req[lo_v] = j
        # accept: each input VC takes the granting output VC closest after its pointer
        for j in range(n_va):
            i = self.va_req[j]
            li_v = i - p0 * V
            o = self.ivc_out_port[i]
            best = -1
            bi = -1
            for ov in range(self.ivc_vc_lo[i], self.ivc_vc_hi[i] + 1):
                lo_v = (o - p0) * V + ov
                if self.mark[lo_v] == self.mark_stamp and self.best_req[lo_v] == j:
                    dist = lo_v - self.va_aptr[i]
                    if dist < 0:
                        dist += NV
                    if best < 0 or dist < best:
                        best = dist
                        bi = ov
            if bi >= 0:
                lo_v = (o - p0) * V + bi
                self.ovc_busy[o * V + bi] = 1
                self.ivc_out_vc[i] = <int16_t>bi
                self.ivc_state[i] = VC_ACTIVE
                self.ivc_ready[i] = self.now + self.va
                self.va_gptr[o * V + bi] = (li_v + 1) % NV
                self.va_aptr[i] = (lo_v + 1) % NV

    cdef inline int _traverse(self, int r, int p0, int np_, int li, int lo, int v) noexcept nogil:
        """Input port li, VC v won output port lo: move its front flit through the switch."""
        cdef int V = self.V, B = self.B, R = self.R, rmask = self.rmask
        cdef int p = p0 + li, o = p0 + lo, i = p * V + v
        cdef int ov = self.ivc_out_vc[i], q, up
        cdef int32_t pid = self.buf[i * B + self.buf_head[i]]
        cdef cycle_t now = self.now, arrival
        cdef bint head = self.ivc_sent[i] == 0
        cdef int size = self.pkt_size[pid]
        # leave the input buffer
        self.buf_head[i] += 1
        if self.buf_head[i] == B:
            self.buf_head[i] = 0
        self.buf_count[i] -= 1
        self.port_nflits[p] -= 1
        # the freed slot's credit leaves as switch allocation completes and crosses the reverse
        # channel; upstream may use it at now + sw_alloc_delay + latency (BookSim, credit_delay 0)
        up = self.port_peer[p]
        if self.port_kind[p] == PORT_LINK:
            self.cring[up * R + ((now + self.sa + self.port_latency[up]) & rmask)] = <int8_t>v
        else:
            self.ep_cring[up * R + ((now + self.sa + 1) & rmask)] = <int8_t>v
        # onto the output link, or out through the ejection channel (1 cycle, always accepts)
        arrival = now + self.sa + self.st - 1 + self.port_latency[o]
        if self.port_kind[o] == PORT_LINK:
            q = self.port_peer[o]
            if self.ring_pid[q * R + (arrival & rmask)] >= 0:
                return 1
            self.ring_pid[q * R + (arrival & rmask)] = pid
            self.ring_vc[q * R + (arrival & rmask)] = <int8_t>ov
            self.ovc_credits[o * V + ov] -= 1
            if self.ovc_credits[o * V + ov] < 0:
                return 1
            self.c_flit_hops += 1
            if self.window_start <= now < self.window_end:
                self.c_window_flit_hops += 1
            if head:
                self.pkt_hops[pid] += 1
        else:
            self.c_delivered_flits += 1
            if self.window_start <= arrival < self.window_end:
                self.c_window_ejected_flits += 1
            if self.ivc_sent[i] + 1 == self.pkt_size[pid]:
                self._deliver(pid, arrival)
        self.c_last_move = now
        # round-robin pointers move past the winner (iSLIP)
        self.sa_gptr[o] = li + 1 if li + 1 < np_ else 0
        self.sa_aptr[p] = lo + 1 if lo + 1 < np_ else 0
        self.sa_vptr[p] = v + 1 if v + 1 < V else 0
        # tail: release the output VC; the input VC is free for the next packet's head
        self.ivc_sent[i] += 1
        if self.ivc_sent[i] == size:
            self.ivc_sent[i] = 0
            self.ovc_busy[o * V + ov] = 0
            self.ivc_state[i] = VC_IDLE
            self.ivc_ready[i] = now + 1
        return 0

    # ------------------------------------------------------------------ one endpoint, one cycle

    cdef int _endpoint_step(self, int e) noexcept nogil:
        cdef cycle_t now = self.now
        cdef int V = self.V, R = self.R, slot, k, v, q
        cdef int32_t pid, dest
        cdef int8_t cv
        cdef uint64_t *rng = &self.ep_rng[e]
        # credits from the router's injection buffers
        slot = <int>(now & self.rmask)
        cv = self.ep_cring[e * R + slot]
        if cv >= 0:
            self.ep_credits[e * V + cv] += 1
            self.ep_cring[e * R + slot] = -1
        # Bernoulli packet creation into the source queue
        if self.ep_next_arrival[e] <= now:
            pid = self._new_packet()
            if pid < 0:
                return ST_PACKET_LIMIT if pid == -1 else ST_NO_MEMORY
            if self.allow_self:
                dest = <int32_t>rng_below(rng, self.n_endpoints)
            else:
                dest = <int32_t>rng_below(rng, self.n_endpoints - 1)
                if dest >= e:
                    dest += 1
            self.pkt_dest[pid] = dest
            self.pkt_size[pid] = self.packet_size
            self.pkt_dest_router[pid] = self.port_router[self.endpoint_port[dest]]
            self.pkt_src[pid] = e
            self.pkt_create[pid] = now
            self.pkt_inject[pid] = -1
            self.pkt_hops[pid] = 0
            self.pkt_dim[pid] = -1
            self.pkt_dir[pid] = 0
            self.pkt_cls[pid] = 0
            self.pkt_next[pid] = -1
            if self.window_start <= now < self.window_end:
                self.pkt_measured[pid] = 1
                self.c_measured_created += 1
                self.c_measured_outstanding += 1
                self.c_window_created_flits += self.packet_size
            else:
                self.pkt_measured[pid] = 0
            if self.ep_q_tail[e] >= 0:
                self.pkt_next[self.ep_q_tail[e]] = pid
            else:
                self.ep_q_head[e] = pid
            self.ep_q_tail[e] = pid
            self.c_created_packets += 1
            self.c_created_flits += self.packet_size
            self.c_source_flits += self.packet_size
            if self.packet_rate >= 1.0:
                self.ep_next_arrival[e] = now + 1
            else:
                self.ep_next_arrival[e] = now + rng_geometric(rng, self.log1mp)
        # send one flit of the front packet
        pid = self.ep_q_head[e]
        if pid < 0:
            return ST_OK
        v = self.ep_cur_vc[e]
        if v < 0:
            for k in range(1, V + 1):
                v = (self.ep_last_vc[e] + k) % V
                if not self.ep_vc_busy[e * V + v] and self.ep_credits[e * V + v] > 0:
                    break
            else:
                return ST_OK
            self.ep_cur_vc[e] = <int16_t>v
            self.ep_vc_busy[e * V + v] = 1
        if self.ep_credits[e * V + v] <= 0:
            return ST_OK
        q = self.endpoint_port[e]
        slot = <int>((now + 2) & self.rmask)
        if self.ring_pid[q * R + slot] >= 0:
            return ST_INVARIANT
        self.ring_pid[q * R + slot] = pid
        self.ring_vc[q * R + slot] = <int8_t>v
        self.ep_credits[e * V + v] -= 1
        self.ep_last_vc[e] = <int16_t>v
        if self.ep_cur_sent[e] == 0:
            self.pkt_inject[pid] = now
        self.ep_cur_sent[e] += 1
        self.c_injected_flits += 1
        self.c_source_flits -= 1
        self.c_last_move = now
        if self.ep_cur_sent[e] == self.pkt_size[pid]:
            self.ep_q_head[e] = self.pkt_next[pid]
            if self.ep_q_head[e] < 0:
                self.ep_q_tail[e] = -1
            self.ep_cur_sent[e] = 0
            self.ep_cur_vc[e] = -1
            self.ep_vc_busy[e * V + v] = 0
        return ST_OK

    # ------------------------------------------------------------------ the cycle loop

    cdef int _run(self, cycle_t until, bint stop_when_drained) noexcept nogil:
        cdef int e, r, status
        while self.now < until:
            if self.mark_stamp > STAMP_LIMIT:
                memset(self.mark, 0, self.max_router_ports * self.V * sizeof(int32_t))
                self.mark_stamp = 0
            if stop_when_drained and self.c_measured_outstanding == 0 and self.now >= self.window_end:
                return ST_DRAINED
            for e in range(self.n_endpoints):
                status = self._endpoint_step(e)
                if status != ST_OK:
                    return status
            for r in range(self.n_routers):
                status = self._router_step(r)
                if status != ST_OK:
                    return status
            self.now += 1
        if stop_when_drained and self.c_measured_outstanding == 0:
            return ST_DRAINED
        return ST_OK

    def run(self, cycle_t until, bint stop_when_drained=False):
        """Step the network until cycle `until` (exclusive) or, with stop_when_drained, until every
        measured packet has arrived. Returns a status code (STATUS_*)."""
        cdef int status
        with nogil:
            status = self._run(until, stop_when_drained)
        return status

    # ------------------------------------------------------------------ read-out

    def counters(self):
        """Event counters and sums since cycle 0 (see engine.py for their meaning)."""
        return {
            "now": self.now,
            "created_packets": self.c_created_packets,
            "created_flits": self.c_created_flits,
            "injected_flits": self.c_injected_flits,
            "delivered_packets": self.c_delivered_packets,
            "delivered_flits": self.c_delivered_flits,
            "flit_hops": self.c_flit_hops,
            "source_flits": self.c_source_flits,
            "window_created_flits": self.c_window_created_flits,
            "window_ejected_flits": self.c_window_ejected_flits,
            "window_flit_hops": self.c_window_flit_hops,
            "measured_created": self.c_measured_created,
            "measured_delivered": self.c_measured_delivered,
            "measured_outstanding": self.c_measured_outstanding,
            "sum_packet_latency": self.c_sum_packet_latency,
            "sum_network_latency": self.c_sum_network_latency,
            "sum_hops": self.c_sum_hops,
            "max_packet_latency": self.c_max_packet_latency,
            "max_network_latency": self.c_max_network_latency,
            "live_packets": self.pkt_live,
            "last_move": self.c_last_move,
        }

    def histograms(self):
        """(packet, network) latency histograms of measured packets: bin = cycles."""
        n = self.hist_cap
        hp = np.empty(n, np.int64)
        hn = np.empty(n, np.int64)
        cdef int64_t i
        for i in range(n):
            hp[i] = self.hist_packet[i]
            hn[i] = self.hist_network[i]
        return hp, hn

    def flits_in_network(self):
        """Flits in router buffers plus flits on links (injection channels included)."""
        buffered = int(self._keep["buf_count"][: self.n_ports * self.V].sum())
        on_links = int(np.count_nonzero(self._keep["ring_pid"][: self.n_ports * self.R] >= 0))
        return buffered + on_links

    def check_credits(self):
        """True when every link's credits + downstream occupancy + flits and credits in flight equal
        the buffer depth (per VC)."""
        k = self._keep
        V, R, B = self.V, self.R, self.B
        kinds = k["port_kind"][: self.n_ports]
        peer = k["port_peer"][: self.n_ports]
        credits = k["ovc_credits"][: self.n_ports * V].reshape(-1, V)
        count = k["buf_count"][: self.n_ports * V].reshape(-1, V)
        ring_pid = k["ring_pid"][: self.n_ports * R].reshape(-1, R)
        ring_vc = k["ring_vc"][: self.n_ports * R].reshape(-1, R)
        cring = k["cring"][: self.n_ports * R].reshape(-1, R)
        for p in np.flatnonzero(kinds == PORT_LINK):
            q = peer[p]
            for v in range(V):
                total = credits[p, v] + count[q, v]
                total += np.count_nonzero((ring_pid[q] >= 0) & (ring_vc[q] == v))
                total += np.count_nonzero(cring[p] == v)
                if total != B:
                    return False
        return True
