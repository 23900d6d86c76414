# cython: language_level=3
"""The cycle-stepped simulation core of fabric.

Python (fabric/build.py) builds flat arrays describing routers, ports, links and endpoints and hands
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
* Links carry one flit per cycle with a fixed latency, modelled as R time slots of per-port entries.
  Credits return over the reverse channel with the same latency: a credit freed by switch allocation at
  cycle s is usable upstream from s + sw_alloc_delay + latency (BookSim with credit_delay 0).
* Endpoints: Bernoulli packet creation into an unbounded source queue; the head packet takes an
  injection VC that is free and has credit (round robin from the last used, as BookSim) and sends one
  flit per cycle. Injection takes 2 cycles to the router's buffer; ejection takes 1 cycle and always
  accepts a flit.

Every read in cycle t sees the state left by cycle t-1: flits and credits written during t land in
slots of later cycles, and a flit that reaches a router's buffer at cycle t is first used at t+1 (the
core moves it from its link slot into the buffer at the start of the router's step at t+1).

A flit is one 64-bit word carrying what a real head flit carries, so a hop never touches the packet
record: packet id (bits 32-61), destination endpoint (bits 11-31), links crossed so far (bits 1-10,
head flit only) and a tail bit (bit 0); bit 62 is set on a head whose source chose UGAL's non-minimal
path, and bit 63 stays clear (-1 means no flit).
"""
cimport cython
from cython.parallel cimport prange
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset, memmove
from libc.math cimport log, ceil

from _types cimport cycle_t, int8_t, int16_t, int32_t, int64_t, uint64_t
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from _rng cimport rng_next, rng_below, rng_uniform, rng_geometric

import mmap

import numpy as np
cimport numpy as cnp

cnp.import_array()

cdef extern from *:
    """
    #ifndef FABRIC_SOURCE_DIGEST
    #define FABRIC_SOURCE_DIGEST ""
    #endif
    """
    const char *FABRIC_SOURCE_DIGEST

# what the core was built from (setup.py): fabric/_find_core.py checks a checkout's sources against it
SOURCE_DIGEST = FABRIC_SOURCE_DIGEST.decode()

cdef extern from *:
    void prefetch "__builtin_prefetch" (const void *addr, int for_write) nogil
    int ctz64 "__builtin_ctzll" (unsigned long long x) nogil
    int ctz32 "__builtin_ctz" (unsigned int x) nogil

# Status codes returned by run(); fabric/simulation.py and fabric/statistics.py read them.
cdef enum:
    ST_OK = 0
    ST_DRAINED = 1
    ST_PACKET_LIMIT = 2
    ST_NO_MEMORY = 3
    ST_INVARIANT = 4
    ST_DEADLOCK = 5     # flits in the network and none moved for deadlock_cycles cycles

STATUS_OK = ST_OK
STATUS_DRAINED = ST_DRAINED
STATUS_PACKET_LIMIT = ST_PACKET_LIMIT
STATUS_NO_MEMORY = ST_NO_MEMORY
STATUS_INVARIANT = ST_INVARIANT
STATUS_DEADLOCK = ST_DEADLOCK

# Port kinds
cdef enum:
    PORT_NONE = 0
    PORT_LINK = 1
    PORT_ENDPOINT = 2

# Input-VC states
cdef enum:
    VC_IDLE = 0         # no packet in progress; a head at the front waits for route computation
    VC_ROUTED = 1       # route computed, waiting for VC allocation
    VC_ACTIVE = 2       # holds an output VC; flits wait for switch allocation
    VC_ACTIVE_HEAD = 3  # the same, and the next flit to leave is the packet's head

# Output-VC classes a route may allow (VC_CLASS_MASK below): all VCs, or the lower or upper half
# (the torus dateline classes)
cdef enum:
    CLASS_ALL = 0
    CLASS_LOW = 1
    CLASS_HIGH = 2
    CLASS_HOP = 3       # CLASS_HOP + i: the VCs of a packet's hop i (fabric/routing/min_adaptive.py)
    N_CLASSES = 3 + 32

# What a scan found (flags it returns): allocation that needs arbitration
cdef enum:
    VA_SHARED = 1       # two input VCs ask for VCs of one output port
    SA_CONFLICT = 2     # an output is asked for by two inputs, or an input asks for two outputs

# How an endpoint picks a packet's destination
cdef enum:
    DEST_UNIFORM = 0    # uniform over all endpoints (or all others)
    DEST_TABLE = 1      # a fixed destination per source (permutations); -1: the source sends nothing
    DEST_ALIAS = 2      # a discrete distribution per source (or one shared), by Walker's alias method
    DEST_ROTATE = 3     # all-to-all: the k-th packet of source s goes to s + 1 + (k mod (N-1))

# What the per-cycle check found (sim.check)
cdef enum:
    CHECK_CREDITS = 1
    CHECK_BUFFER = 2
    CHECK_INJECTION = 3
    CHECK_CONSERVATION = 4

# What cls_stats holds per class
cdef enum:
    CS_MEASURED = 0         # packets created in the window
    CS_CREATED_FLITS = 1    # flits created in the window
    CS_EJECTED_FLITS = 2    # flits ejected in the window
    CS_DELIVERED = 3        # measured packets delivered
    CS_SUM_PACKET = 4       # and the sums and maxima of their latencies and hops
    CS_SUM_NETWORK = 5
    CS_MAX_PACKET = 6
    CS_MAX_NETWORK = 7
    CS_SUM_HOPS = 8
    CS_INJECTED_FLITS = 9   # flits that entered the network in the window
    N_CLS_STATS = 10

# When an endpoint creates packets
cdef enum:
    PROC_BERNOULLI = 0  # each cycle with probability p (geometric gaps)
    PROC_PERIODIC = 1   # every 1/p cycles exactly (fractional periods accumulate), phase per endpoint
    PROC_ON_OFF = 2     # two-state Markov: OFF -> ON w.p. alpha, ON -> OFF w.p. beta, packets w.p. r1 when ON
    PROC_BUDGET = 3     # closed loop: a source makes its next packet as its last one finishes leaving, until
                        # it has made its budget of packets (an all-to-all without a message per pair)

# How a torus packet breaks a tie at distance k/2
cdef enum:
    TIE_RANDOM = 0      # a fair coin from the router's stream (BookSim)
    TIE_POSITIVE = 1    # always the + direction

# How a packet picks its plane when endpoints have one port in each of several planes
cdef enum:
    PLANE_HASH = 0
    PLANE_RANDOM = 1
    PLANE_LEAST_LOADED = 2

# Routing modes
cdef enum:
    ROUTE_DOR_MESH = 0
    ROUTE_DOR_TORUS = 1
    ROUTE_NCA = 2       # fat tree: nearest common ancestor, a random up port
    ROUTE_ANCA = 3      # the same, the less loaded of two random up ports
    ROUTE_DOR_HYPERX = 4
    ROUTE_DRAGONFLY_MIN = 5
    ROUTE_HYPERX_ADAPTIVE = 6
    ROUTE_DRAGONFLY_VALIANT = 7
    ROUTE_TABLE_UPDOWN = 8      # graph: up*/down* over distance tables (fabric/routing/updown.py)
    ROUTE_TABLE_ECMP = 9        # graph: shortest paths, a VC class per hop (fabric/routing/ecmp.py)
    ROUTE_DRAGONFLY_UGAL = 10   # dragonfly: minimal or Valiant, chosen at the source (fabric/routing/ugal.py)

# The integers Python hands the core, named here once; fabric/constants.py reads them from these tables
ROUTING_MODES = {"dor_mesh": ROUTE_DOR_MESH, "dor_torus": ROUTE_DOR_TORUS, "nca": ROUTE_NCA, "anca": ROUTE_ANCA,
                 "dor_hyperx": ROUTE_DOR_HYPERX, "dragonfly_min": ROUTE_DRAGONFLY_MIN,
                 "hyperx_adaptive": ROUTE_HYPERX_ADAPTIVE, "dragonfly_valiant": ROUTE_DRAGONFLY_VALIANT,
                 "table_updown": ROUTE_TABLE_UPDOWN, "table_ecmp": ROUTE_TABLE_ECMP,
                 "dragonfly_ugal": ROUTE_DRAGONFLY_UGAL}
PORT_KINDS = {"none": PORT_NONE, "link": PORT_LINK, "endpoint": PORT_ENDPOINT}
TORUS_TIES = {"random": TIE_RANDOM, "positive": TIE_POSITIVE}
PLANE_POLICIES = {"hash": PLANE_HASH, "random": PLANE_RANDOM, "least_loaded": PLANE_LEAST_LOADED}
DEST_MODES = {"uniform": DEST_UNIFORM, "table": DEST_TABLE, "alias": DEST_ALIAS, "rotate": DEST_ROTATE}
PROCESSES = {"bernoulli": PROC_BERNOULLI, "periodic": PROC_PERIODIC, "on_off": PROC_ON_OFF, "budget": PROC_BUDGET}

cdef enum:
    PREFETCH_ROUTERS = 4    # how far ahead _step_block fetches a router's input-VC state
    PREFETCH_EJECTS = 8     # how far ahead the merge of ejections fetches their packets
    EJECT_CREDITS = 0x7FFF
    STAMP_LIMIT = 0x3FFFFFFF

# Flit word layout
cdef enum:
    FLIT_TAIL = 1
    HOPS_SHIFT = 1
    HOPS_MASK = 0x3FF
    DEST_SHIFT = 11
    DEST_MASK = 0x1FFFFF
    PID_SHIFT = 32
    PID_MASK = 0x3FFFFFFF

CLASS_STATS = ("measured", "created_flits", "ejected_flits", "delivered", "sum_packet_latency",
               "sum_network_latency", "max_packet_latency", "max_network_latency", "sum_hops", "injected_flits")
MAX_ENDPOINTS = DEST_MASK
MAX_HOPS = HOPS_MASK
MAX_ROUTER_PORTS = 0x7FFF       # a local port is an int16 (out_lo, vc_port, the switch pointers)
MAX_ROUTER_VCS = 0xFFFF         # ports x VCs of a router: the VC allocation pointers are uint16
MAX_COORD_BITS = 32             # router coordinates are packed into one 32-bit key
MAX_PACKETS = 1 << 30

cdef int64_t NO_CYCLE = 0x3FFFFFFFFFFFFFFF
# head flit bit 62: UGAL chose the non-minimal (Valiant) path at the source router
cdef int64_t FLIT_NONMINIMAL = (<int64_t>1) << 62

HUGE_PAGE = 1 << 21
ARENA_CHUNK = 16 * HUGE_PAGE


class _Arena:
    """Zeroed, 64-byte aligned blocks from 2 MB-aligned anonymous mappings that the kernel is asked
    to back with huge pages (MADV_HUGEPAGE; this machine's kernel does so only when asked). A large
    network's state is ~100 MB touched all over every cycle: with 4 KB pages most cache misses would
    also miss the TLB."""

    def __init__(self):
        self.chunk = None
        self.pos = 0

    def _map(self, size):
        m = mmap.mmap(-1, size + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        try:
            m.madvise(mmap.MADV_HUGEPAGE)
        except (AttributeError, OSError):
            pass        # no huge pages: the same state, only more TLB misses
        whole = np.frombuffer(m, np.uint8)
        start = (-whole.ctypes.data) % HUGE_PAGE
        return whole[start:start + size]

    def take(self, nbytes):
        nbytes = (max(int(nbytes), 1) + 63) & ~63
        if nbytes > ARENA_CHUNK // 2:
            return self._map((nbytes + HUGE_PAGE - 1) // HUGE_PAGE * HUGE_PAGE)[:nbytes]
        if self.chunk is None or self.pos + nbytes > self.chunk.shape[0]:
            self.chunk = self._map(ARENA_CHUNK)
            self.pos = 0
        out = self.chunk[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return out



cdef struct Packet:
    # 32 bytes: what delivery reads sits in one cache line
    int64_t create          # cycle the packet was created
    int64_t inject          # cycle its head left the source queue
    int32_t dest            # destination endpoint
    int32_t next            # next packet in the source queue or the free list, -1 none
    int32_t size            # flits
    int16_t hops            # router-to-router links its head crossed (set when the head ejects)
    int8_t measured         # created inside the measurement window
    int8_t cls              # traffic class


cdef struct InVC:
    # 32 bytes, two VCs to a cache line. The first two flits of the FIFO are kept here (most VCs hold at
    # most two); the rest go to a ring in buf
    int64_t front[2]        # the flit at the front of the FIFO, and the one behind it (while count >= 2):
                            # an array, so arrivals store at front[count] without a branch
    int16_t count           # flits buffered, the front one included
    int16_t out_lo          # local output port of the packet in progress
    uint16_t wait           # cycles the next pipeline stage must still wait (a VC holding flits is
                            # visited every cycle, and each visit counts one down)
    uint8_t state           # VC_*
    uint8_t sel             # VC_ROUTED: the output-VC class allowed; VC_ACTIVE*: the output VC held
    int16_t ring            # buf index of the third flit
    uint16_t va_aptr        # VC allocation: next local output VC to favour (at most ports x VCs)


cdef struct Port:
    # what a switch traversal needs to know about a port, in one place (one cache line for two ports)
    int32_t peer            # link: far-end port; endpoint port: endpoint id
    int32_t peer_byte       # link port: the far end's byte in a slot of arrive/credit_in (an endpoint
                            # port: its own byte)
    int32_t flit_delay      # switch allocation to the far buffer: sa + st - 1 + latency
    int32_t credit_delay    # switch allocation to the credit's use upstream: sa + latency of the
                            # link arriving at the port
    int8_t kind             # PORT_*


# Round-robin pointers (sa_*, va_*) name the first of n candidates to favour. A winner's successor is
# stored without wrapping, so n may stand for 0: every reader takes (candidate - pointer) mod n as a
# subtraction and one conditional add, which gives the same order for both.
cdef struct PortState:
    uint64_t free_vcs       # output side: bit v set while output VC v is not held by a packet
    int16_t sa_gptr         # output side: next local input port to favour in switch allocation
    int16_t sa_aptr         # input side: next local output port to favour
    int16_t sa_vptr         # input side: next VC to favour


cdef struct OutVC:
    int32_t credits         # free slots in the downstream buffer
    int16_t busy            # 1 while a packet holds the VC


cdef struct Work:
    # One block of routers (fabric steps the routers on n_threads threads; with more than one, the
    # routers are cut into contiguous blocks, one per thread, which keeps it every cycle). Scratch for
    # evaluating one router, sized by the largest router:
    int32_t *req_in         # switch requests: local input port,
    int32_t *req_out        # local output port,
    int32_t *req_vc         # and the input VC that asks
    int32_t *va_req         # input VCs (global) asking for VC allocation
    int32_t *best_req       # per local output (VC): request granted so far
    int32_t *best_dist      # and its round-robin distance
    int32_t *mark           # stamp of the evaluation that last wrote best_*
    uint64_t *va_cand       # per VC-allocation request: the free output VCs it may take
    uint64_t va_more        # bits (output port mod 64) the scan saw asked for by more than one input VC
    int32_t mark_stamp
    # and what its routers did that concerns the whole core, merged in router order after the step
    int64_t flit_hops       # flits sent onto links
    int64_t injected        # flits its endpoints injected
    int status              # ST_OK, or the first router's error
    int32_t *ep_credit      # (R * cap) per time slot: endpoint VCs (s*V+v) credits return to
    int32_t *ep_credit_n    # (R) how many in each slot
    int64_t *eject_flit     # flits that left through an ejection channel, in order,
    int64_t *eject_at       # and 2 * their arrival cycle + 1 for a head
    int32_t n_eject
    int32_t cap             # endpoint ports of the block: at most one credit and one ejection each
    int32_t lo, hi          # its routers: lo .. hi-1
    int32_t e_lo, e_hi      # and the endpoints it sends for: those of words e_lo .. e_hi-1 of ep_queued
    int64_t *cls_injected   # (C) flits its endpoints injected per traffic class (with more than one)
    char pad[24]            # to 192 bytes, so that no two blocks (perhaps on two threads) share a cache line


# The shapes of network the router step is compiled for: Cython makes one copy of each hot function per
# member of the fused type `Shape`, and the tests on the shape inside are decided by the compiler.
cdef struct Plain:
    # every router has at most 8 ports (its arrival and credit bytes fit one word) and input VCs that
    # fit one 64-bit mask word, every port sends a flit every cycle, and route computation and VC
    # allocation take one cycle each (meshes, tori and small-radix networks with BookSim's default
    # delays: the word loops, slow-port checks and stage waits disappear)
    char unused

cdef struct General:
    # routers of any radix, ports of any speed, stages of any delay
    char unused

ctypedef fused Shape:
    Plain
    General



cdef inline bint any_set(uint64_t *words, int n) noexcept nogil:
    """Some word of words[0 .. n-1] is not zero. (A loop that stops early: gcc does not vectorise it, and
    vector code costs more than it saves for the few words of a router.)"""
    cdef int i
    for i in range(n):
        if words[i]:
            return True
    return False


cdef inline int pop_port_byte(uint64_t *bytes, int w, int V) noexcept nogil:
    """Take the lowest non-zero byte of bytes[0], word w of a router's arrive / credit_in bytes, and
    clear it: byte j of word w is local port 8w + j, its value v + 1; returns the local VC, port * V + v."""
    cdef int k = ctz64(bytes[0]) & ~7           # the byte's first bit
    cdef int b = (8 * w + (k >> 3)) * V + <int>((bytes[0] >> k) & 0xFF) - 1
    bytes[0] &= ~((<uint64_t>0xFF) << k)
    return b


cdef inline uint64_t mix_seed(uint64_t seed, uint64_t stream) noexcept nogil:
    """A well-spread initial state for stream `stream` of seed `seed`."""
    cdef uint64_t s = seed * <uint64_t>0x9E3779B97F4A7C15 + stream * <uint64_t>0xD1B54A32D192ED03 + 1
    rng_next(&s)
    return rng_next(&s)


cdef inline uint32_t mix32(uint32_t h) noexcept nogil:
    """A 32-bit finaliser (MurmurHash3's fmix32): every input bit moves every output bit."""
    h ^= h >> 16
    h *= <uint32_t>0x85EBCA6B
    h ^= h >> 13
    h *= <uint32_t>0xC2B2AE35
    h ^= h >> 16
    return h


cdef inline int64_t flit_word(int32_t pid, int32_t dest, bint tail) noexcept nogil:
    return (<int64_t>pid << PID_SHIFT) | (<int64_t>dest << DEST_SHIFT) | (FLIT_TAIL if tail else 0)


@cython.final
cdef class Core:
    """One network's complete simulation state.

    Parameters
    ----------
    net : dict of ndarray
        port_indptr (n_routers+1,) int32, port_kind (n_ports,) int8, port_peer (n_ports,) int32,
        port_latency (n_ports,) int32, endpoint_port (n_endpoints,) int32,
        router_coords (n_routers, n_dims) int32, dims (n_dims,) int32.
    cfg : fabric.core_config.CoreConfig
        Every scalar setting, each one required (its fields and their meaning are there).
    """

    # ---- sizes and configuration
    cdef int n_routers, n_ports, n_endpoints, n_dims, V, B, R, rmask, max_router_ports
    cdef int rd, va, sa, st
    cdef int route_mode, torus_tie, packet_size
    cdef double packet_rate, log1mp
    # traffic: C classes, each a generator per endpoint (index g = class * n_endpoints + endpoint) with
    # its own destinations, creation process and sizes. Per class: dest mode, process, allow_self, the
    # ON/OFF probabilities and its slice of the size tables
    cdef int C, process
    cdef int8_t *cls_dest_mode
    cdef int8_t *cls_process
    cdef int8_t *cls_allow_self
    cdef double *cls_log1m_alpha
    cdef double *cls_log1m_beta
    cdef int32_t *cls_size_lo       # (C+1) the class's sizes: size_value[cls_size_lo[c]:cls_size_lo[c+1]]
    cdef int64_t *gen_next          # (C*n_endpoints) each generator's next creation (ep_next_arrival: the
                                    # earliest per endpoint; the same array when C == 1)
    cdef int64_t *cls_stats         # (C*N_CLS_STATS) per class: what the result reports about it
    cdef int64_t *cls_hist          # (C*hist_cap) per class: packet latency histogram
    cdef int32_t *dest_table        # DEST_TABLE: (C*n_endpoints)
    cdef int32_t *alias_row         # DEST_ALIAS: (C*n_endpoints) each generator's row
    cdef int32_t *alias_lo          # (rows+1) a row's first entry
    cdef double *alias_prob         # per entry: keep it with this probability, else take its alias
    cdef int32_t *alias_idx         # per entry: its alias (an entry of the same row)
    cdef int32_t *alias_dest        # per entry: the destination
    cdef int64_t *ep_counter        # DEST_ROTATE: packets created so far, per generator
    cdef double *ep_log1mp          # per generator: log(1 - its packet probability per cycle), 0: every cycle
    cdef double *ep_period          # PROC_PERIODIC: per generator, cycles between packets
    cdef double *ep_phase           # PROC_PERIODIC: per generator, the exact time of its next packet
    cdef int64_t *ep_on_until       # PROC_ON_OFF: per generator, the end of its ON period (exclusive)
    cdef int64_t *ep_budget         # PROC_BUDGET: packets each source has still to make
    cdef int64_t c_budget_left      # their sum
    cdef int64_t c_last_arrival     # the latest tail arrival so far
    cdef int64_t *ep_last_arrival   # PROC_BUDGET: per destination, its latest tail arrival
    # messages (collectives, traces: fabric/traffic/collective.py, trace.py): closed loop. A message
    # is released at max(its start, the arrival of the last of the messages it depends on), split into
    # packets of packet_size flits, and done when its last packet's tail arrives
    cdef int n_msgs
    cdef int32_t *msg_src
    cdef int32_t *msg_dest
    cdef int32_t *msg_flits
    cdef int64_t *msg_start
    cdef int32_t *msg_ndeps         # messages it still waits for
    cdef int32_t *dep_indptr        # (n_msgs+1) message m's dependents: dep_list[dep_indptr[m]:...]
    cdef int32_t *dep_list
    cdef int32_t *msg_left          # packets not yet delivered
    cdef int64_t *msg_release       # cycle it was released (-1 not yet)
    cdef int64_t *msg_done          # cycle its last tail arrived (-1 not yet)
    cdef int64_t *heap_time         # releases waiting for their cycle: a binary min-heap
    cdef int32_t *heap_msg
    cdef int heap_n
    cdef int64_t c_msgs_left
    cdef int32_t *pkt_msg           # (pkt_cap) each packet's message, -1 none (grows with the pool)
    cdef int32_t *size_value        # packet sizes of the mix
    cdef double *size_cum           # and their cumulative probabilities
    cdef readonly cycle_t now
    cdef cycle_t window_start, window_end
    cdef int64_t max_packets

    # ---- topology (owned numpy arrays in _keep; raw pointers are used in the loop)
    cdef object _keep
    cdef public object workload         # closed loop: what fabric/statistics.py reports about it, else None
    cdef public object message_steps    # and each message's step (collectives)
    cdef public object message_dest     # and destination
    cdef int32_t *port_indptr       # (n_routers+1) router -> first port
    cdef Port *port                 # (n_ports)
    cdef int32_t *endpoint_port     # (n_endpoints) router port of each endpoint (in plane 0)
    cdef int P                      # planes: ports per endpoint, one in each plane
    cdef int plane_policy           # how a packet picks its plane: PLANE_*
    cdef int32_t *slot_port         # (n_endpoints*P) endpoint e's port in plane k at e*P + k (a "slot")
    # Coordinates packed into one 32-bit key, dimension d in the bits from coord_shift[d]: routing finds
    # the first dimension to correct from the lowest bit of (here ^ there), and the table of endpoint
    # keys is small enough to stay in cache (a 15,625-endpoint torus: 62 KB)
    cdef uint32_t *router_key       # (n_routers)
    cdef uint32_t *ep_key           # (n_endpoints) key of each endpoint's router
    cdef int8_t coord_shift[32]     # per dimension
    cdef uint32_t coord_mask[32]
    cdef int8_t bit_dim[32]         # per key bit: its dimension
    cdef int32_t row_offset[32]     # HyperX: first local port of each dimension's row
    # Trees (fat tree, folded Clos; fabric/routing/nca.py): the endpoints below router r are tree_lo[r] ..
    # tree_lo[r] + tree_span[r] - 1, and down port j leads to those tree_branch[r] * j onward; its up
    # ports are the tree_nup[r] ports from local port tree_up0[r]
    cdef int32_t *tree_lo
    cdef int32_t *tree_span
    cdef int32_t *tree_branch
    cdef int32_t *tree_up0
    cdef int32_t *tree_nup
    # distance-table routing (graph): hops from router v to router t at [v * n_routers + t]; dist_any
    # is the shortest (ecmp) or the shortest up*/down* path, dist_down the shortest going down only
    cdef int16_t *dist_any
    cdef int16_t *dist_down
    cdef int32_t *port_far          # (n_ports) link port: the router at the far end, else -1
    cdef int8_t *port_up            # (n_ports) link port: 1 if its link goes up (up*/down*)
    cdef int32_t *ep_router         # (n_endpoints) the router of each endpoint
    cdef int df_p, df_a, df_h, df_g       # dragonfly (fabric/routing/min.py)
    cdef int ugal_threshold               # UGAL's bias towards the minimal path, flits
    cdef bint ecmp_any_vc                 # ecmp without its hop classes: can deadlock (for testing)
    cdef int64_t deadlock_cycles          # stop when no flit moved for this long with flits inside (0: never)
    cdef int64_t c_last_move              # the last cycle a flit moved
    cdef bint check_every_cycle           # sim.check: verify the invariants after every cycle
    cdef int64_t bad[4]                   # the first violation: what (CHECK_*), port or endpoint, VC, value
    cdef int forced_choice          # >= 0 only inside probe_route: replaces the routing's random draws
    cdef int32_t *dims              # (n_dims) routers per dimension

    # ---- router state, laid out per port so one router's state is contiguous
    cdef InVC *ivc                  # (n_ports*V) input VCs, 64-byte aligned
    cdef uint64_t class_mask[N_CLASSES]   # output VCs of each class
    cdef int64_t *buf               # (n_ports*V*B) per input VC a row: a ring of B-2 flit words, the
                                    # third flit of the FIFO onward
    cdef uint64_t *vcmask           # (n_routers*WV) bit li*V+v set while input VC v of local port li
                                    # holds a flit; WV words per router
    cdef uint64_t *rc_mask          # (n_routers*WV) the same bits, set while the VC is VC_IDLE (a head at
                                    # its front, if it holds flits, waits for route computation)
    cdef uint64_t *va_mask          # and while it is VC_ROUTED (its head waits for VC allocation)
    cdef int WV
    cdef int16_t *vc_port           # (max_router_ports*V) local VC index -> local port,
    cdef int8_t *vc_index           # and VC within the port
    cdef int16_t *credits           # (n_ports*V) output VCs: free slots in the downstream buffer (one
                                    # array of its own: a router's credits share one or two cache lines)
    cdef uint16_t *va_gptr          # (n_ports*V) output VCs: next local input VC to favour in VC allocation
    cdef PortState *pstate          # (n_ports)
    cdef int64_t *port_free         # (n_ports) output side of a slow link: first cycle it may send again
    cdef int16_t *port_cpf          # (n_ports) cycles per flit of the link leaving the port
    cdef bint any_slow              # some link sends a flit less often than every cycle
    cdef public bint plain          # the network fits the router step compiled for Plain (tests may
                                    # switch it off, to compare with the General copy)

    # ---- links and credits in flight: R time slots (slot = cycle & rmask) of one entry per port, so the
    # entries read in one cycle are contiguous
    cdef int64_t *link_flit         # (R*n_ports) flit word arriving at this input port, -1 none
    # per router and slot, a byte per local port (WP words per router): v + 1 for a flit arriving at its
    # input VC v (arrive) or a credit at its output VC v (credit_in), 0 for none. A link carries one
    # flit and one credit per cycle, so each byte has one writer, the sender, and a plain store sets it:
    # no read before the write, and no atomics with threads. A router visits only what arrives.
    cdef uint64_t *arrive           # (R*n_routers*WP)
    cdef uint64_t *credit_in        # (R*n_routers*WP)
    cdef int WP
    cdef int64_t slot_bytes         # n_routers * WP * 8: bytes per slot
    # this cycle's slots, set before the routers step: credits arriving now, flits that arrived last cycle
    cdef uint64_t *cm_now
    cdef uint64_t *am_prev
    cdef int64_t *link_prev

    # ---- allocator round-robin pointers (local indices within the router)

    # ---- per-thread scratch and what the routers of a cycle did (Work)
    cdef Work *works
    cdef int n_threads
    cdef int n_blocks

    # ---- RNG streams
    cdef uint64_t *router_rng       # (n_routers)
    cdef uint64_t *ep_rng           # (n_endpoints)

    # ---- endpoints
    cdef int64_t *ep_next_arrival   # (n_endpoints) cycle of the next packet creation
    cdef int32_t *ep_q_head         # (n_endpoints) source queue, linked through Packet.next (-1 empty)
    cdef int32_t *ep_q_tail
    cdef uint64_t *ep_queued        # (n_endpoints/64 rounded up) bit e set while e's source queue holds
                                    # a packet: the send loop visits only those endpoints
    cdef int16_t *ep_cur_vc         # (n_endpoints) injection VC of the front packet (-1 none yet)
    cdef int16_t *ep_cur_plane      # (n_endpoints) plane of the front packet (-1 not chosen yet)
    cdef int32_t *ep_cur_sent       # (n_endpoints) flits of the front packet already sent
    cdef int16_t *ep_last_vc        # (n_endpoints*P) last injection VC used, per slot
    cdef OutVC *ep_ovc              # (n_endpoints*P*V) the injection channels' VCs, per slot

    # ---- packets: a growable pool with a free list
    cdef int64_t pkt_cap, pkt_live
    cdef int32_t pkt_free
    cdef Packet *pkts
    # each packet's own random key (pkt_cap), drawn from its source's key_rng when it is created, for the
    # routings that choose a path per packet (Valiant's group, UGAL's Valiant candidate, ECMP and
    # up*/down* ports, the hash plane): a fair draw for every packet, whichever pool slot it reuses.
    # NULL when nothing needs it, so the other routings use their streams exactly as before
    cdef uint32_t *pkt_key
    cdef bint draw_keys
    cdef uint64_t *key_rng          # (n_endpoints) the streams keys are drawn from: apart from ep_rng, so
                                    # drawing them leaves every other draw of the run as it was
    cdef int64_t *port_flits        # (n_ports) flits sent out of each port (cfg count_ports), else NULL

    # ---- latency histograms of measured packets (growable, one bin per cycle)
    cdef int64_t *hist_packet
    cdef int64_t *hist_network
    cdef int64_t hist_cap
    cdef int64_t hist_limit         # the most bins the run can need (its cycles), so the memory estimate holds

    # ---- counters (read by fabric/statistics.py through counters())
    cdef int64_t c_created_packets, c_created_flits, c_injected_flits, c_delivered_packets
    cdef int64_t c_delivered_flits, c_flit_hops, c_source_flits
    cdef int64_t c_window_created_flits, c_window_ejected_flits, c_window_injected_flits
    cdef int64_t c_measured_created, c_measured_delivered, c_measured_outstanding
    cdef int64_t c_sum_packet_latency, c_sum_network_latency, c_sum_hops
    cdef int64_t c_max_packet_latency, c_max_network_latency

    def __cinit__(self):
        self.pkts = NULL
        self.pkt_msg = NULL
        self.pkt_key = NULL
        self.port_flits = NULL
        self.cls_hist = NULL
        self.C = 1
        self.n_msgs = 0
        self.pkt_cap = 0
        self.pkt_free = -1
        self.hist_cap = 0

    def __init__(self, dict net, cfg):
        cdef int64_t i, r
        cdef cnp.ndarray a
        keep = {}
        arena = _Arena()

        def arr(name, src, dtype):
            src = np.ascontiguousarray(src, dtype=dtype)
            out = arena.take(src.nbytes).view(dtype)[:src.size].reshape(src.shape)
            out[...] = src
            keep[name] = out
            return out

        def full(name, n, dtype, fill=0):
            n = max(int(n), 1)
            out = arena.take(n * np.dtype(dtype).itemsize).view(dtype)[:n]
            if fill:
                out.fill(fill)
            keep[name] = out
            return out

        def raw(name, nbytes):
            out = arena.take(nbytes)
            keep[name] = out
            return out

        self.V = cfg.vcs
        self.B = cfg.vc_buffer
        self.rd = cfg.routing_delay
        self.va = cfg.vc_alloc_delay
        self.sa = cfg.sw_alloc_delay
        self.st = cfg.st_delay
        self.route_mode = cfg.route_mode
        self.torus_tie = cfg.torus_tie
        self.packet_size = cfg.packet_size
        self.packet_rate = cfg.packet_rate
        classes = cfg.classes
        self.C = len(classes)
        self.process = classes[0].process         # PROC_BUDGET (closed loop) runs with one class only
        self.window_start = cfg.window_start
        self.window_end = cfg.window_end
        self.max_packets = min(int(cfg.max_packets), MAX_PACKETS)
        self.hist_limit = cfg.hist_limit
        self.log1mp = log(1.0 - self.packet_rate) if 0.0 < self.packet_rate < 1.0 else 0.0
        self.now = 0

        indptr = arr("port_indptr", net["port_indptr"], np.int32)
        self.n_routers = indptr.shape[0] - 1
        self.n_ports = int(indptr[self.n_routers])
        a = indptr; self.port_indptr = <int32_t *> a.data
        kinds = arr("port_kind", net["port_kind"], np.int8)
        peers = arr("port_peer", net["port_peer"], np.int32)
        lat = arr("port_latency", net["port_latency"], np.int32)
        # a link of c cycles per flit sends one flit every c cycles; a flit's last part leaves c - 1
        # cycles after its first, so it (and the credit back over the same channel) takes c - 1 more
        cpf = np.ascontiguousarray(net.get("port_cpf", np.ones(len(kinds), np.int16)), np.int16)
        cpf = np.where(kinds == PORT_LINK, cpf, 1).astype(np.int16)
        lat = lat + (cpf.astype(np.int32) - 1)
        in_lat = np.where(kinds == PORT_LINK, lat[np.where(kinds == PORT_LINK, peers, 0)], 1) if len(kinds) else 1
        flit_delay = lat + self.sa + self.st - 1
        credit_delay = np.broadcast_to(in_lat + self.sa, lat.shape)
        self.P = cfg.planes
        self.plane_policy = cfg.plane_policy
        self.draw_keys = (self.route_mode in (ROUTE_DRAGONFLY_VALIANT, ROUTE_DRAGONFLY_UGAL, ROUTE_TABLE_UPDOWN,
                                              ROUTE_TABLE_ECMP)
                          or (self.P > 1 and self.plane_policy != PLANE_RANDOM))
        slots = arr("slot_port", net["endpoint_port"], np.int32)
        a = slots; self.slot_port = <int32_t *> a.data
        eport = arr("endpoint_port", slots[::self.P], np.int32)
        a = eport; self.endpoint_port = <int32_t *> a.data
        self.n_endpoints = eport.shape[0]
        # an endpoint port's peer, in the core: its slot (the endpoint's VCs in that plane)
        peers = peers.copy()
        peers[slots] = np.arange(len(slots), dtype=np.int32)
        if self.n_endpoints > MAX_ENDPOINTS:
            raise ValueError(f"the core supports at most {MAX_ENDPOINTS} endpoints")
        coords = np.ascontiguousarray(net["router_coords"], dtype=np.int64)
        dims = arr("dims", net["dims"], np.int32)
        self.n_dims = dims.shape[0]
        a = dims; self.dims = <int32_t *> a.data
        counts = np.diff(indptr)
        self.max_router_ports = int(counts.max()) if self.n_routers else 1
        port_router = np.repeat(np.arange(self.n_routers, dtype=np.int32), counts)
        endpoint_router = port_router[eport] if self.n_endpoints else np.zeros(1, np.int32)
        bits = [max(int(k) - 1, 0).bit_length() for k in dims.tolist()]
        if sum(bits) > 32 or len(bits) > 32:
            raise ValueError("the core packs router coordinates into 32 bits; these dimensions need more")
        key = np.zeros(self.n_routers, dtype=np.uint32)
        shift = 0
        for d, width in enumerate(bits):
            self.coord_shift[d] = shift
            self.coord_mask[d] = (1 << width) - 1
            for b in range(shift, shift + width):
                self.bit_dim[b] = d
            if self.n_routers:
                key |= coords.reshape(self.n_routers, -1)[:, d].astype(np.uint32) << np.uint32(shift)
            shift += width
        a = arr("router_key", key if self.n_routers else [0], np.uint32); self.router_key = <uint32_t *> a.data
        self.df_p, self.df_a, self.df_h, self.df_g = cfg.dragonfly
        self.ugal_threshold = cfg.ugal_threshold
        self.ecmp_any_vc = cfg.ecmp_any_vc
        self.deadlock_cycles = cfg.deadlock_cycles
        self.check_every_cycle = cfg.check
        self.bad[0] = 0
        self.c_last_move = 0
        self.forced_choice = -1
        for d, offset in enumerate(np.asarray(net.get("row_offsets", []), dtype=np.int64).tolist()[:32]):
            self.row_offset[d] = offset
        zeros = np.zeros(max(self.n_routers, 1), np.int32)
        a = arr("tree_lo", net.get("tree_lo", zeros), np.int32); self.tree_lo = <int32_t *> a.data
        a = arr("tree_span", net.get("tree_span", zeros), np.int32); self.tree_span = <int32_t *> a.data
        a = arr("tree_branch", net.get("tree_branch", zeros + 1), np.int32); self.tree_branch = <int32_t *> a.data
        a = arr("tree_up0", net.get("tree_up0", zeros), np.int32); self.tree_up0 = <int32_t *> a.data
        a = arr("tree_nup", net.get("tree_nup", zeros), np.int32); self.tree_nup = <int32_t *> a.data
        one16 = np.zeros(1, np.int16)
        a = arr("dist_any", net.get("dist_any", one16), np.int16); self.dist_any = <int16_t *> a.data
        a = arr("dist_down", net.get("dist_down", one16), np.int16); self.dist_down = <int16_t *> a.data
        a = arr("port_far", net.get("port_far", np.full(max(self.n_ports, 1), -1, np.int32)), np.int32)
        self.port_far = <int32_t *> a.data
        a = arr("port_up", net.get("port_up", np.zeros(max(self.n_ports, 1), np.int8)), np.int8)
        self.port_up = <int8_t *> a.data
        a = arr("ep_router", endpoint_router, np.int32); self.ep_router = <int32_t *> a.data
        if self.route_mode in (ROUTE_TABLE_UPDOWN, ROUTE_TABLE_ECMP) and net.get("dist_any") is None:
            raise ValueError("table routing needs dist_any")
        a = arr("ep_key", key[endpoint_router] if self.n_endpoints else [0], np.uint32)
        self.ep_key = <uint32_t *> a.data

        # Time slots: a power of two larger than the longest flit or credit delay.
        longest = (int(lat.max()) if self.n_ports else 1) + self.sa + self.st + 2
        self.R = 1
        while self.R <= longest:
            self.R *= 2
        self.rmask = self.R - 1

        NPV = self.n_ports * self.V
        a = raw("ivc", NPV * sizeof(InVC) + 64)
        self.ivc = <InVC *> (a.data + (-(<size_t> a.data) & 63))   # 64-byte aligned
        self.class_mask[CLASS_ALL] = ((<uint64_t>1) << self.V) - 1 if self.V < 64 else <uint64_t>-1
        self.class_mask[CLASS_LOW] = ((<uint64_t>1) << (self.V // 2)) - 1
        self.class_mask[CLASS_HIGH] = self.class_mask[CLASS_ALL] & ~self.class_mask[CLASS_LOW]
        # per-hop classes: hop i of at most `hop_classes` hops gets VCs [i*V/n, (i+1)*V/n)
        hop_classes = max(1, min(cfg.hop_classes, 32, self.V))
        for i in range(32):
            j = min(i, hop_classes - 1)
            lo, hi = j * self.V // hop_classes, (j + 1) * self.V // hop_classes
            self.class_mask[CLASS_HOP + i] = (((<uint64_t>1) << (hi - lo)) - 1) << lo
        a = raw("buf", NPV * self.B * 8 + 64)
        self.buf = <int64_t *> (a.data + (-(<size_t> a.data) & 63))   # 64-byte aligned, zeroed
        self.WV = (self.max_router_ports * self.V + 63) // 64
        a = full("vcmask", self.n_routers * self.WV, np.uint64); self.vcmask = <uint64_t *> a.data
        a = full("rc_mask", self.n_routers * self.WV, np.uint64, np.iinfo(np.uint64).max)   # every VC idle
        self.rc_mask = <uint64_t *> a.data
        a = full("va_mask", self.n_routers * self.WV, np.uint64); self.va_mask = <uint64_t *> a.data
        local_vcs = np.arange(self.max_router_ports * self.V)
        a = arr("vc_port", local_vcs // self.V, np.int16); self.vc_port = <int16_t *> a.data
        a = arr("vc_index", local_vcs % self.V, np.int8); self.vc_index = <int8_t *> a.data
        a = raw("pstate", self.n_ports * sizeof(PortState)); self.pstate = <PortState *> a.data
        for i in range(self.n_ports):
            self.pstate[i].free_vcs = ((<uint64_t>1) << self.V) - 1 if self.V < 64 else <uint64_t>-1
        initial = np.where(kinds == PORT_LINK, self.B, np.where(kinds == PORT_ENDPOINT, EJECT_CREDITS, 0))
        a = arr("credits", np.repeat(initial, self.V), np.int16); self.credits = <int16_t *> a.data
        a = full("va_gptr", NPV, np.uint16); self.va_gptr = <uint16_t *> a.data
        a = full("link_flit", self.n_ports * self.R, np.int64, -1); self.link_flit = <int64_t *> a.data
        a = arr("port_cpf", cpf if self.n_ports else [1], np.int16); self.port_cpf = <int16_t *> a.data
        a = full("port_free", self.n_ports, np.int64); self.port_free = <int64_t *> a.data
        if cfg.count_ports:
            a = full("port_flits", self.n_ports, np.int64); self.port_flits = <int64_t *> a.data
        self.any_slow = bool(self.n_ports and int(cpf.max()) > 1)
        self.WP = (self.max_router_ports + 7) // 8
        self.plain = self.WV == 1 and self.WP == 1 and not self.any_slow and self.rd == 1 and self.va == 1
        a = full("arrive", self.R * self.n_routers * self.WP, np.uint64); self.arrive = <uint64_t *> a.data
        a = full("credit_in", self.R * self.n_routers * self.WP, np.uint64)
        self.credit_in = <uint64_t *> a.data
        self.slot_bytes = self.n_routers * self.WP * 8
        # where the far end of each link port (an endpoint port: the port itself) has its byte
        local = np.arange(self.n_ports, dtype=np.int64) - indptr[port_router].astype(np.int64)
        far = np.where(kinds == PORT_LINK, peers, np.arange(self.n_ports))
        far_byte = port_router.astype(np.int64)[far] * self.WP * 8 + local[far]
        a = raw("port", self.n_ports * sizeof(Port)); self.port = <Port *> a.data
        columns = zip(peers.tolist(), far_byte.tolist(), flit_delay.tolist(), credit_delay.tolist(),
                      kinds.tolist())
        for i, (pp, pb, fd, cd, kd) in enumerate(columns):
            self.port[i].peer = pp
            self.port[i].peer_byte = pb
            self.port[i].flit_delay = fd
            self.port[i].credit_delay = cd
            self.port[i].kind = kd

        seed = int(cfg.seed) & 0xFFFFFFFFFFFFFFFF
        a = full("router_rng", self.n_routers, np.uint64); self.router_rng = <uint64_t *> a.data
        for r in range(self.n_routers):
            self.router_rng[r] = mix_seed(seed, 2 * <uint64_t>r + 1)
        a = full("ep_rng", self.n_endpoints, np.uint64); self.ep_rng = <uint64_t *> a.data
        for i in range(self.n_endpoints):
            self.ep_rng[i] = mix_seed(seed, 2 * <uint64_t>i + 2)
        a = full("key_rng", self.n_endpoints, np.uint64); self.key_rng = <uint64_t *> a.data
        for i in range(self.n_endpoints):
            self.key_rng[i] = mix_seed(seed, (<uint64_t>1 << 48) + <uint64_t>i)

        NEV = self.n_endpoints * self.P * self.V
        a = full("ep_next_arrival", self.n_endpoints, np.int64, NO_CYCLE); self.ep_next_arrival = <int64_t *> a.data
        a = full("ep_q_head", self.n_endpoints, np.int32, -1); self.ep_q_head = <int32_t *> a.data
        a = full("ep_q_tail", self.n_endpoints, np.int32, -1); self.ep_q_tail = <int32_t *> a.data
        a = full("ep_queued", (self.n_endpoints + 63) // 64, np.uint64); self.ep_queued = <uint64_t *> a.data
        a = full("ep_cur_vc", self.n_endpoints, np.int16, -1); self.ep_cur_vc = <int16_t *> a.data
        a = full("ep_cur_plane", self.n_endpoints, np.int16, -1); self.ep_cur_plane = <int16_t *> a.data
        a = full("ep_cur_sent", self.n_endpoints, np.int32); self.ep_cur_sent = <int32_t *> a.data
        a = full("ep_last_vc", self.n_endpoints * self.P, np.int16, self.V - 1); self.ep_last_vc = <int16_t *> a.data
        a = raw("ep_ovc", NEV * sizeof(OutVC)); self.ep_ovc = <OutVC *> a.data
        for i in range(NEV):
            self.ep_ovc[i].credits = self.B
        self.n_threads = max(1, cfg.threads)
        # one block of contiguous routers per thread: neighbours then mostly share a thread, and fewer
        # flits and credits cross between the cores' caches. (Eight blocks per thread, taken in turn,
        # measured 3% slower on the 25^3 torus and 5% on clos15488, both on two threads.)
        self.n_blocks = min(self.n_threads, max(1, self.n_routers))
        assert sizeof(Work) % 64 == 0, sizeof(Work)
        assert sizeof(InVC) == 32, sizeof(InVC)            # two VCs to a cache line
        a = raw("works", self.n_blocks * sizeof(Work) + 64)
        self.works = <Work *> (a.data + (-(<size_t> a.data) & 63))    # 64-byte aligned
        MPV = self.max_router_ports * self.V
        endpoint_ports = np.bincount(port_router[kinds == PORT_ENDPOINT], minlength=self.n_routers)
        cdef Work *wk
        cdef int32_t *scratch
        cdef Py_ssize_t M = MPV
        for t in range(self.n_blocks):
            wk = &self.works[t]
            wk.lo = t * self.n_routers // self.n_blocks
            wk.hi = (t + 1) * self.n_routers // self.n_blocks
            wk.cap = max(1, int(endpoint_ports[wk.lo:wk.hi].sum()))
            wk.e_lo = t * ((self.n_endpoints + 63) // 64) // self.n_blocks    # in words of ep_queued
            wk.e_hi = (t + 1) * ((self.n_endpoints + 63) // 64) // self.n_blocks
            # the int32 scratch arrays, MPV entries each, in one block
            a = full(f"scratch{t}", 7 * MPV, np.int32); scratch = <int32_t *> a.data
            wk.req_in, wk.req_out, wk.req_vc = scratch, scratch + M, scratch + 2 * M
            wk.va_req, wk.best_req, wk.best_dist = scratch + 3 * M, scratch + 4 * M, scratch + 5 * M
            wk.mark = scratch + 6 * M
            a = full(f"va_cand{t}", MPV, np.uint64); wk.va_cand = <uint64_t *> a.data
            wk.mark_stamp = 0
            wk.va_more = 0
            wk.flit_hops = wk.injected = wk.status = wk.n_eject = 0
            # at most one flit leaves each injection buffer per cycle: one credit per slot (endpoint, plane)
            a = full(f"ep_credit{t}", wk.cap * self.R, np.int32); wk.ep_credit = <int32_t *> a.data
            a = full(f"ep_credit_n{t}", self.R, np.int32); wk.ep_credit_n = <int32_t *> a.data
            # and at most one flit leaves each ejection channel
            a = full(f"eject_flit{t}", wk.cap, np.int64); wk.eject_flit = <int64_t *> a.data
            a = full(f"eject_at{t}", wk.cap, np.int64); wk.eject_at = <int64_t *> a.data
            a = full(f"cls_injected{t}", self.C, np.int64); wk.cls_injected = <int64_t *> a.data
        self._keep = keep

        # traffic: per class and endpoint, destination tables, rates, sizes (fabric/traffic/*.py, fabric/build.py)
        E1 = max(self.n_endpoints, 1)
        G = self.C * E1
        a = arr("cls_dest_mode", [c.dest_mode for c in classes], np.int8); self.cls_dest_mode = <int8_t *> a.data
        a = arr("cls_process", [c.process for c in classes], np.int8); self.cls_process = <int8_t *> a.data
        a = arr("cls_allow_self", [int(c.allow_self) for c in classes], np.int8)
        self.cls_allow_self = <int8_t *> a.data
        a = full("cls_log1m_alpha", self.C, np.float64); self.cls_log1m_alpha = <double *> a.data
        a = full("cls_log1m_beta", self.C, np.float64); self.cls_log1m_beta = <double *> a.data
        for i, c in enumerate(classes):
            self.cls_log1m_alpha[i] = log(1.0 - c.on_alpha) if c.on_alpha < 1.0 else 0.0
            self.cls_log1m_beta[i] = log(1.0 - c.on_beta) if c.on_beta < 1.0 else 0.0
        a = arr("dest_table", net.get("dest_table", np.full(G, -1)), np.int32); self.dest_table = <int32_t *> a.data
        a = arr("alias_row", net.get("alias_row", np.zeros(G)), np.int32); self.alias_row = <int32_t *> a.data
        a = arr("alias_lo", net.get("alias_lo", np.zeros(2)), np.int32); self.alias_lo = <int32_t *> a.data
        a = arr("alias_prob", net.get("alias_prob", np.ones(1)), np.float64); self.alias_prob = <double *> a.data
        a = arr("alias_idx", net.get("alias_idx", np.zeros(1)), np.int32); self.alias_idx = <int32_t *> a.data
        a = arr("alias_dest", net.get("alias_dest", np.zeros(1)), np.int32); self.alias_dest = <int32_t *> a.data
        a = full("ep_counter", G, np.int64); self.ep_counter = <int64_t *> a.data
        rate = np.broadcast_to(np.asarray(net.get("ep_packet_rate", self.packet_rate), np.float64), (G,)).copy()
        table = np.asarray(net.get("dest_table", np.full(G, -1)))
        for i, c in enumerate(classes):
            if c.dest_mode == DEST_TABLE:
                rate[i * E1:(i + 1) * E1] = np.where(table[i * E1:(i + 1) * E1] >= 0, rate[i * E1:(i + 1) * E1], 0.0)
        a = full("ep_log1mp", G, np.float64); self.ep_log1mp = <double *> a.data
        for i in range(self.C * self.n_endpoints):
            self.ep_log1mp[i] = log(1.0 - rate[i]) if 0.0 < rate[i] < 1.0 else 0.0   # libm's log, as before
        a = arr("ep_period", np.where(rate > 0, 1.0 / np.maximum(rate, 1e-300), 0.0), np.float64)
        self.ep_period = <double *> a.data
        a = full("ep_phase", G, np.float64); self.ep_phase = <double *> a.data
        a = full("ep_on_until", G, np.int64); self.ep_on_until = <int64_t *> a.data
        sizes = np.concatenate([np.asarray(c.sizes, np.int32) for c in classes])
        cum = np.concatenate([np.cumsum(c.size_weights) / np.sum(c.size_weights) for c in classes])
        a = arr("cls_size_lo", np.cumsum([0] + [len(c.sizes) for c in classes]), np.int32)
        self.cls_size_lo = <int32_t *> a.data
        a = arr("size_value", sizes, np.int32); self.size_value = <int32_t *> a.data
        a = arr("size_cum", cum, np.float64); self.size_cum = <double *> a.data
        a = full("cls_stats", self.C * N_CLS_STATS, np.int64); self.cls_stats = <int64_t *> a.data

        # First creation of each generator's process (the processes start at cycle 0).
        if self.C == 1:
            self.gen_next = self.ep_next_arrival
        else:
            a = full("gen_next", G, np.int64, NO_CYCLE); self.gen_next = <int64_t *> a.data
        for c in range(self.C):
            for i in range(self.n_endpoints):
                self.gen_next[c * self.n_endpoints + i] = self._first_arrival(i, c * self.n_endpoints + i, c,
                                                                             rate[c * self.n_endpoints + i], classes[c])
        if self.C > 1:
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = min(self.gen_next[c * self.n_endpoints + i] for c in range(self.C))
        a = full("ep_budget", E1, np.int64, cfg.budget); self.ep_budget = <int64_t *> a.data
        a = full("ep_last_arrival", E1, np.int64, -1); self.ep_last_arrival = <int64_t *> a.data
        self.c_budget_left = 0
        self.c_last_arrival = -1
        if self.process == PROC_BUDGET:
            self.c_budget_left = cfg.budget * self.n_endpoints
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = 0 if self.ep_budget[i] > 0 else NO_CYCLE

        # messages: the ones that wait for nothing go on the release heap
        self.n_msgs = len(net.get("msg_src", ()))
        M1 = max(self.n_msgs, 1)
        a = arr("msg_src", net.get("msg_src", np.zeros(1)), np.int32); self.msg_src = <int32_t *> a.data
        a = arr("msg_dest", net.get("msg_dest", np.zeros(1)), np.int32); self.msg_dest = <int32_t *> a.data
        a = arr("msg_flits", net.get("msg_flits", np.zeros(1)), np.int32); self.msg_flits = <int32_t *> a.data
        a = arr("msg_start", net.get("msg_start", np.zeros(1)), np.int64); self.msg_start = <int64_t *> a.data
        a = arr("msg_ndeps", net.get("msg_ndeps", np.zeros(1)), np.int32); self.msg_ndeps = <int32_t *> a.data
        a = arr("dep_indptr", net.get("dep_indptr", np.zeros(2)), np.int32); self.dep_indptr = <int32_t *> a.data
        a = arr("dep_list", net.get("dep_list", np.zeros(1)), np.int32); self.dep_list = <int32_t *> a.data
        a = full("msg_left", M1, np.int32); self.msg_left = <int32_t *> a.data
        a = full("msg_release", M1, np.int64, -1); self.msg_release = <int64_t *> a.data
        a = full("msg_done", M1, np.int64, -1); self.msg_done = <int64_t *> a.data
        a = full("heap_time", M1, np.int64); self.heap_time = <int64_t *> a.data
        a = full("heap_msg", M1, np.int32); self.heap_msg = <int32_t *> a.data
        self.heap_n = 0
        self.c_msgs_left = self.n_msgs
        for i in range(self.n_msgs):
            if self.msg_ndeps[i] == 0:
                self._heap_push(self.msg_start[i], <int32_t>i)

        if self._grow_packets(min(1024, self.max_packets)) or self._grow_hist(1024):
            raise MemoryError("fabric core: cannot allocate the packet pool")

    def __dealloc__(self):
        free(self.pkts)
        free(self.pkt_msg)
        free(self.pkt_key)
        free(self.cls_hist)
        free(self.hist_packet)
        free(self.hist_network)

    # ------------------------------------------------------------------ growable pools

    cdef bint _realloc(self, void **p, int64_t nbytes) noexcept nogil:
        cdef void *q = realloc(p[0], nbytes)
        if q == NULL:
            return False
        p[0] = q
        return True

    cdef int _grow_packets(self, int64_t new_cap) noexcept nogil:
        """Enlarge the packet pool to new_cap entries and thread the new ones onto the free list."""
        cdef int64_t i, old = self.pkt_cap
        if not self._realloc(<void **>&self.pkts, new_cap * sizeof(Packet)): return 1
        if self.n_msgs and not self._realloc(<void **>&self.pkt_msg, new_cap * sizeof(int32_t)): return 1
        if self.draw_keys and not self._realloc(<void **>&self.pkt_key, new_cap * sizeof(uint32_t)): return 1
        for i in range(old, new_cap - 1):
            self.pkts[i].next = <int32_t>(i + 1)
        self.pkts[new_cap - 1].next = self.pkt_free
        self.pkt_free = <int32_t>old
        self.pkt_cap = new_cap
        return 0

    cdef int _grow_hist(self, int64_t new_cap) noexcept nogil:
        cdef int64_t old = self.hist_cap, c
        if not self._realloc(<void **>&self.hist_packet, new_cap * 8): return 1
        if not self._realloc(<void **>&self.hist_network, new_cap * 8): return 1
        memset(&self.hist_packet[old], 0, (new_cap - old) * 8)
        memset(&self.hist_network[old], 0, (new_cap - old) * 8)
        if self.C > 1:
            # one row per class: move the rows apart, from the last, then clear the new part of each
            if not self._realloc(<void **>&self.cls_hist, self.C * new_cap * 8): return 1
            c = self.C - 1
            while c >= 0:
                memmove(&self.cls_hist[c * new_cap], &self.cls_hist[c * old], old * 8)
                memset(&self.cls_hist[c * new_cap + old], 0, (new_cap - old) * 8)
                c -= 1
        self.hist_cap = new_cap
        return 0

    # ------------------------------------------------------------------ packets

    cdef inline int32_t _new_packet(self) noexcept nogil:
        """A free packet id, growing the pool if needed; -1 at the packet limit, -2 out of memory."""
        cdef int32_t pid
        if self.pkt_free < 0:
            if self.pkt_cap >= self.max_packets:
                return -1
            if self._grow_packets(min(2 * self.pkt_cap, self.max_packets)):
                return -2
        pid = self.pkt_free
        self.pkt_free = self.pkts[pid].next
        self.pkt_live += 1
        return pid

    cdef inline void _deliver(self, int32_t pid, cycle_t arrival) noexcept nogil:
        """The tail of packet pid reaches its endpoint at cycle `arrival`."""
        cdef int64_t lat_p, lat_n
        cdef Packet *pkt = &self.pkts[pid]
        self.c_delivered_packets += 1
        if arrival > self.c_last_arrival:
            self.c_last_arrival = arrival
        if self.process == PROC_BUDGET:
            self.ep_last_arrival[pkt.dest] = arrival
        if pkt.measured:
            lat_p = arrival - pkt.create
            lat_n = arrival - pkt.inject
            if lat_p >= self.hist_cap:
                self._grow_hist(min(max(2 * self.hist_cap, lat_p + 1), max(self.hist_limit, lat_p + 1)))
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
                self._class_delivered(pkt, lat_p, lat_n)
        if self.n_msgs and self.pkt_msg[pid] >= 0:
            self.msg_left[self.pkt_msg[pid]] -= 1
            if self.msg_left[self.pkt_msg[pid]] == 0:
                self._complete(self.pkt_msg[pid], arrival)
        pkt.next = self.pkt_free
        self.pkt_free = pid
        self.pkt_live -= 1

    cdef void _class_delivered(self, Packet *pkt, int64_t lat_p, int64_t lat_n) noexcept nogil:
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

    def class_stats(self):
        """Per class (more than one): counters (CLASS_STATS order) and the packet latency histogram."""
        cdef int64_t c, i
        out = []
        for c in range(self.C):
            counters = {name: self.cls_stats[c * N_CLS_STATS + i] for i, name in enumerate(CLASS_STATS)}
            hist = np.array([self.cls_hist[c * self.hist_cap + i] for i in range(self.hist_cap)], np.int64) \
                if self.C > 1 else None
            out.append((counters, hist))
        return out

    # ------------------------------------------------------------------ messages

    cdef inline bint _heap_before(self, int i, int64_t t, int32_t m) noexcept nogil:
        """Heap entry i comes before (t, m): earlier, or as early with a lower message id (so the order
        of releases is reproducible)."""
        return self.heap_time[i] < t or (self.heap_time[i] == t and self.heap_msg[i] < m)

    cdef void _heap_push(self, int64_t t, int32_t m) noexcept nogil:
        cdef int i = self.heap_n, parent
        self.heap_n += 1
        while i > 0:
            parent = (i - 1) // 2
            if self._heap_before(parent, t, m):
                break
            self.heap_time[i] = self.heap_time[parent]
            self.heap_msg[i] = self.heap_msg[parent]
            i = parent
        self.heap_time[i] = t
        self.heap_msg[i] = m

    cdef int32_t _heap_pop(self) noexcept nogil:
        """The earliest release (see _heap_before)."""
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
            if child + 1 < n and self._heap_before(child + 1, self.heap_time[child], self.heap_msg[child]):
                child += 1
            if not self._heap_before(child, t, m):
                break
            self.heap_time[i] = self.heap_time[child]
            self.heap_msg[i] = self.heap_msg[child]
            i = child
        self.heap_time[i] = t
        self.heap_msg[i] = m
        return top

    cdef int _release(self, int32_t m) noexcept nogil:
        """Message m enters its source's queue as packets of packet_size flits (the last one shorter)."""
        cdef int32_t left = self.msg_flits[m], size, pid, e = self.msg_src[m]
        self.msg_release[m] = self.now
        if left <= 0:
            self._complete(m, self.now)
            return ST_OK
        while left > 0:
            size = self.packet_size if left > self.packet_size else left
            left -= size
            pid = self._queue_packet(e, self.msg_dest[m], size, 0, True)
            if pid < 0:
                return ST_PACKET_LIMIT if pid == -1 else ST_NO_MEMORY
            self.pkt_msg[pid] = m
            self.msg_left[m] += 1
        return ST_OK

    cdef inline int32_t _queue_packet(self, int e, int32_t dest, int32_t size, int c, bint measured) noexcept nogil:
        """A new packet of `size` flits (class c) from endpoint e to `dest`, at the tail of e's source
        queue; its id, or -1 at the packet limit, -2 out of memory."""
        cdef int32_t pid = self._new_packet()
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
        return pid

    cdef void _complete(self, int32_t m, int64_t t) noexcept nogil:
        """Message m's last tail arrived at cycle t: the messages waiting only for it may go from t."""
        cdef int j, d
        self.msg_done[m] = t
        self.c_msgs_left -= 1
        for j in range(self.dep_indptr[m], self.dep_indptr[m + 1]):
            d = self.dep_list[j]
            self.msg_ndeps[d] -= 1
            if self.msg_ndeps[d] == 0:
                self._heap_push(t if t > self.msg_start[d] else self.msg_start[d], d)

    # ------------------------------------------------------------------ routing

    cdef inline void _route(self, int r, int p0, int p, int v, InVC *in_vc) noexcept nogil:
        """Route computation for the head at the front of input VC (p, v) of router r (its first port
        p0, the VC's state in_vc): sets the local output port and the output-VC class allowed
        (dimension order; see fabric/routing/dor.py)."""
        cdef int32_t dest = <int32_t>((in_vc.front[0] >> DEST_SHIFT) & DEST_MASK)
        cdef uint32_t here, there
        cdef int d, c, t, k, dist2, direction, in_local, cont, high
        if self.route_mode > ROUTE_DOR_TORUS:
            self._route_other(r, p, v, p0, dest, in_vc)
            return
        here = self.router_key[r]
        there = self.ep_key[dest]
        if here == there:
            in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
            in_vc.sel = CLASS_ALL
            return
        d = self.bit_dim[ctz32(here ^ there)]
        c = (here >> self.coord_shift[d]) & self.coord_mask[d]
        t = (there >> self.coord_shift[d]) & self.coord_mask[d]
        if self.route_mode == ROUTE_DOR_MESH:
            in_vc.out_lo = <int16_t>(2 * d + (0 if c < t else 1))
            in_vc.sel = CLASS_ALL
            return
        # Torus: direction and dateline class are chosen when the packet turns into dimension d and kept
        # for the whole dimension. A packet still in d arrived on port 2d+1 going + or 2d going -, on a
        # VC of its class, so both are read back from where it came in (BookSim: in_port ^ 1, f->ph).
        # Both cases are computed and one is picked by masks: which applies, and the shorter way round,
        # vary from head to head, and branches on them were mispredicted
        in_local = p - p0
        cont = (in_local >> 1) == d
        k = self.dims[d]
        dist2 = t - c                      # the + distance, (t - c) mod k, without a division
        dist2 += k & -<int>(dist2 < 0)
        dist2 = k - 2 * dist2
        direction = <int>(dist2 <= 0)
        if dist2 == 0 and not cont:        # halfway round (even k): the tie rule, perhaps a coin
            direction = 0 if (self.torus_tie == TIE_POSITIVE or self._coin(r)) else 1
        direction ^= (direction ^ ((in_local & 1) ^ 1)) & -cont
        # the upper VC half: staying on the class it came in on; turning, BookSim dor_next_torus's
        # rule, going + across the wrap or going - without wrapping, which is c > t either way
        high = <int>(c > t)
        high ^= (high ^ <int>(2 * v >= self.V)) & -cont
        in_vc.sel = <uint8_t>(CLASS_LOW + high)
        in_vc.out_lo = <int16_t>(2 * d + direction)

    cdef void _route_other(self, int r, int p, int v, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
        """Route computation for the kinds other than mesh and torus (kept apart, so the mesh and torus
        path stays short)."""
        cdef uint32_t here, there
        cdef int d, c, t
        if self.route_mode == ROUTE_NCA or self.route_mode == ROUTE_ANCA:
            self._route_tree(r, p0, dest, in_vc)
            return
        if self.route_mode == ROUTE_DRAGONFLY_MIN:
            self._route_dragonfly(r, p - p0, dest, in_vc)
            return
        if self.route_mode == ROUTE_DRAGONFLY_VALIANT or self.route_mode == ROUTE_DRAGONFLY_UGAL:
            self._route_valiant(r, p - p0, v, dest, in_vc)
            return
        if self.route_mode == ROUTE_TABLE_UPDOWN or self.route_mode == ROUTE_TABLE_ECMP:
            self._route_table(r, p, p0, dest, in_vc)
            return
        here = self.router_key[r]
        there = self.ep_key[dest]
        in_vc.sel = CLASS_ALL
        if here == there:
            in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
            return
        if self.route_mode == ROUTE_HYPERX_ADAPTIVE:
            self._route_hyperx_adaptive(p0, here, there, in_vc)
            return
        # HyperX dimension order: straight to coordinate t of the row; ports skip the router's own
        d = self.bit_dim[ctz32(here ^ there)]
        c = (here >> self.coord_shift[d]) & self.coord_mask[d]
        t = (there >> self.coord_shift[d]) & self.coord_mask[d]
        in_vc.out_lo = <int16_t>(self.row_offset[d] + (t if t < c else t - 1))

    cdef void _route_hyperx_adaptive(self, int p0, uint32_t here, uint32_t there, InVC *in_vc) noexcept nogil:
        """HyperX minimal adaptive: of the dimensions still to correct, the one whose port towards the
        destination has the most free credits in this hop's VCs (the lowest dimension on a tie). Hop i
        uses VC class i, so hops only ever move to higher classes: deadlock-free."""
        cdef uint32_t diff = here ^ there
        cdef int hop = <int>((in_vc.front[0] >> HOPS_SHIFT) & HOPS_MASK), V = self.V
        cdef int d, c, t, port, best_port = -1, best_free = -1, free, v
        cdef uint64_t allowed
        if hop > 31:
            hop = 31
        allowed = self.class_mask[CLASS_HOP + hop]
        if self.forced_choice >= 0:          # probe_route: take the chosen unaligned dimension
            v = self.forced_choice
        else:
            v = -1
        while diff:
            d = self.bit_dim[ctz32(diff)]
            diff &= ~(self.coord_mask[d] << self.coord_shift[d])
            c = (here >> self.coord_shift[d]) & self.coord_mask[d]
            t = (there >> self.coord_shift[d]) & self.coord_mask[d]
            port = self.row_offset[d] + (t if t < c else t - 1)
            if v >= 0:
                free = 1 if v == 0 else 0
                v -= 1
            else:
                free = 0
                for c in range(V):
                    if allowed >> c & 1:
                        free += self.credits[(p0 + port) * V + c]
            if free > best_free:
                best_free = free
                best_port = port
        in_vc.out_lo = <int16_t>best_port
        in_vc.sel = <uint8_t>(CLASS_HOP + hop)

    cdef inline bint _coin(self, int r) noexcept nogil:
        """A fair coin from router r's stream (probe_route forces it)."""
        if self.forced_choice >= 0:
            return self.forced_choice & 1
        return rng_next(&self.router_rng[r]) >> 63

    cdef void _route_dragonfly(self, int r, int in_local, int32_t dest, InVC *in_vc) noexcept nogil:
        """Dragonfly minimal routing: to the router of this group that holds the global link to the
        destination group, across it, then to the destination router. The hop after the global one
        takes the upper VC class, every other hop the lower: the channel dependency graph is then acyclic
        (local-low, global, local-high, ejection)."""
        cdef int p = self.df_p, a = self.df_a
        cdef int dr = dest // p, i = r % a
        cdef int group = r // a, dgroup = dr // a
        if dr == r:
            in_vc.out_lo = <int16_t>(dest % p)
            in_vc.sel = CLASS_ALL
            return
        if dgroup == group:
            in_vc.sel = CLASS_HIGH if in_local >= p + a - 1 else CLASS_LOW
            in_vc.out_lo = <int16_t>self._local_port(i, dr % a)
        else:
            in_vc.sel = CLASS_LOW
            in_vc.out_lo = <int16_t>self._towards_group(i, group, dgroup)

    cdef inline int _local_port(self, int i, int j) noexcept nogil:
        """Dragonfly: the port of router index i of a group to router index j of the same group."""
        return self.df_p + (j if j < i else j - 1)

    cdef inline int _towards_group(self, int i, int group, int target) noexcept nogil:
        """Dragonfly: the port of router index i of `group` on the minimal way to another group: its
        global link there, or its local link to the router of the group that has it ("consecutive"
        arrangement: global link x of the group, x = target - group - 1 mod g, is router x // h's
        global port x % h)."""
        cdef int x = target - group - 1, j
        if x < 0:
            x += self.df_g
        j = x // self.df_h
        if j == i:
            return self.df_p + self.df_a - 1 + x % self.df_h
        return self._local_port(i, j)

    cdef void _route_valiant(self, int r, int in_local, int in_vc_index, int32_t dest, InVC *in_vc) noexcept nogil:
        """Dragonfly Valiant routing: minimally to an intermediate group, then minimally to the
        destination. The intermediate group is uniform over all g groups, drawn for the packet at its
        source (its key, pkt_key), so every router of the path finds the same one. The VC class is the
        number of global links crossed so far (0, 1, 2: three equal slices of the VCs), which the router
        reads back from the VC the packet came in on and the port (a global port adds one): dependencies
        only climb classes."""
        cdef int p = self.df_p, a = self.df_a, g = self.df_g
        cdef int dr = dest // p, i = r % a, target, crossed
        cdef int group = r // a
        cdef uint64_t pid = <uint64_t>((in_vc.front[0] >> PID_SHIFT) & PID_MASK)
        cdef int middle
        if self.forced_choice >= 0:
            middle = <int>((pid >> 1) % <uint64_t>g)      # probe_route: pid >> 1 stands for the group
        else:
            middle = <int>((<uint64_t>self.pkt_key[pid] * <uint64_t>g) >> 32)
        if in_local < p:
            crossed = 0                                            # injected here
        else:
            crossed = self._hop_class(in_vc_index) + (1 if in_local >= p + a - 1 else 0)
        if dr == r:
            in_vc.out_lo = <int16_t>(dest % p)
            in_vc.sel = CLASS_ALL
            return
        if self.route_mode == ROUTE_DRAGONFLY_UGAL:
            if self.forced_choice >= 0:
                # probe_route: the packet id's lowest bit stands for the source's decision
                if pid & 1:
                    in_vc.front[0] |= FLIT_NONMINIMAL
            elif in_local < p and middle != group and dr // a != group:
                # UGAL-L at the source, as BookSim's ugal_dragonflynew: minimal unless its port's
                # occupied downstream buffer exceeds twice the Valiant port's plus a threshold
                if self._used_credits(r, group, dr // a) > 2 * self._used_credits(r, group, middle) + self.ugal_threshold:
                    in_vc.front[0] |= FLIT_NONMINIMAL
            if not (in_vc.front[0] & FLIT_NONMINIMAL):
                middle = group              # minimal: no intermediate group
        target = middle if crossed == 0 and middle != group else dr // a
        in_vc.sel = <uint8_t>(CLASS_HOP + (crossed if crossed < 2 else 2))
        if target == group:
            in_vc.out_lo = <int16_t>self._local_port(i, dr % a)
        else:
            in_vc.out_lo = <int16_t>self._towards_group(i, group, target)

    cdef int _used_credits(self, int r, int group, int target) noexcept nogil:
        """Occupied downstream buffer slots (all VCs) of router r's port towards group `target`."""
        cdef int lo = self.port_indptr[r] + self._towards_group(r % self.df_a, group, target), v, used = 0
        for v in range(self.V):
            used += self.B - self.credits[lo * self.V + v]
        return used

    cdef inline int _hop_class(self, int v) noexcept nogil:
        """Which per-hop class (0, 1, ...) input VC v belongs to."""
        cdef int c = 0
        while c < 31 and not (self.class_mask[CLASS_HOP + c] >> v & 1):
            c += 1
        return c

    cdef void _route_table(self, int r, int p, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
        """Distance-table routing on a graph: the ports whose far router is one hop nearer the
        destination router are the candidates, and a hash of the packet's key and the router picks one,
        uniformly, so the packets of a pair spread evenly over every equal-cost path (ECMP). up*/down*:
        a packet that came in over a down link may only go down; before that, up links lead on by the
        up*/down* distance and down links by the down-only one. ecmp: shortest paths, hop i on VC class i."""
        cdef int t = self.ep_router[dest], n = self.n_routers, q, count = 0, pick, p1 = self.port_indptr[r + 1]
        cdef int hop, want, came_down = 0
        cdef uint32_t h
        cdef int16_t *row_any = self.dist_any + <int64_t>t
        cdef int16_t *row_down = self.dist_down + <int64_t>t
        if t == r:
            in_vc.out_lo = <int16_t>(self.endpoint_port[dest] - p0)
            in_vc.sel = CLASS_ALL
            return
        if self.route_mode == ROUTE_TABLE_ECMP:
            hop = <int>((in_vc.front[0] >> HOPS_SHIFT) & HOPS_MASK)
            in_vc.sel = <uint8_t>(CLASS_ALL if self.ecmp_any_vc else CLASS_HOP + (hop if hop < 31 else 31))
            want = row_any[<int64_t>r * n] - 1
        else:
            in_vc.sel = CLASS_ALL
            came_down = self.port_far[p] >= 0 and self.port_up[p]
            want = (row_down[<int64_t>r * n] if came_down else row_any[<int64_t>r * n]) - 1
        # two passes over the ports: count the candidates, then take the chosen one
        for q in range(p0, p1):
            count += self._table_candidate(q, n, want, came_down, row_any, row_down)
        if count == 0:
            in_vc.out_lo = 0                # never: fabric/routing/_tables.py checks every pair has a way
            return
        if self.forced_choice >= 0:         # probe_route: every choice in turn
            pick = self.forced_choice % count
        else:
            h = mix32(self.pkt_key[(in_vc.front[0] >> PID_SHIFT) & PID_MASK] ^ (<uint32_t>r * <uint32_t>0x9E3779B1))
            pick = <int>((<uint64_t>h * <uint64_t>count) >> 32)
        for q in range(p0, p1):
            if self._table_candidate(q, n, want, came_down, row_any, row_down):
                if pick == 0:
                    in_vc.out_lo = <int16_t>(q - p0)
                    return
                pick -= 1

    cdef inline int _table_candidate(self, int q, int n, int want, int came_down, int16_t *row_any,
                                     int16_t *row_down) noexcept nogil:
        """1 if port q leads one hop nearer, by the table the packet's phase uses."""
        cdef int w = self.port_far[q]
        if w < 0:
            return 0
        if self.route_mode == ROUTE_TABLE_ECMP:
            return row_any[<int64_t>w * n] == want
        if self.port_up[q]:
            return not came_down and row_any[<int64_t>w * n] == want
        return row_down[<int64_t>w * n] == want

    cdef void _route_tree(self, int r, int p0, int32_t dest, InVC *in_vc) noexcept nogil:
        """Fat tree, as BookSim's fattree_nca / fattree_anca: down towards the destination once it is
        below this router, else up through a random up port (anca: the one of two random up ports
        with more free credits; the first on a tie)."""
        cdef int32_t off = dest - self.tree_lo[r]
        cdef int up0 = self.tree_up0[r], k = self.tree_nup[r], a, b, V = self.V, v, free_a = 0, free_b = 0
        in_vc.sel = CLASS_ALL
        if 0 <= off < self.tree_span[r]:
            in_vc.out_lo = <int16_t>(off // self.tree_branch[r])
            return
        if self.forced_choice >= 0:         # probe_route: every choice in turn
            in_vc.out_lo = <int16_t>(up0 + self.forced_choice % k)
            return
        a = <int>rng_below(&self.router_rng[r], k)
        if self.route_mode == ROUTE_ANCA:
            b = <int>rng_below(&self.router_rng[r], k)
            for v in range(V):
                free_a += self.credits[(p0 + up0 + a) * V + v]
                free_b += self.credits[(p0 + up0 + b) * V + v]
            if free_b > free_a:
                a = b
        in_vc.out_lo = <int16_t>(up0 + a)

    # ------------------------------------------------------------------ one router, one cycle

    cdef int _router_step(self, Work *w, int r, Shape *shape) noexcept nogil:
        """One cycle of router r. The stages are functions of their own: the hot loops then keep fewer
        values live and spill less (measured +5-10% for the scan)."""
        cdef int p0 = self.port_indptr[r], p1 = self.port_indptr[r + 1]
        cdef int n_in = p1 - p0, li, j, n_sa = 0, n_va = 0, n_win, flags

        # A and B: credits and flits arriving at our ports; C. route computation, and gather VC- and
        # switch-allocation requests
        flags = self._scan(w, r, p0, &n_va, &n_sa, shape)
        if flags < 0:
            return ST_INVARIANT

        # D. VC allocation: iSLIP over (input VC) x (output VC), one iteration
        if flags & VA_SHARED:
            self._vc_allocate(w, r, p0, n_in * self.V, n_va)
        else:
            for j in range(n_va):
                self._va_alone(w.va_req[j], r, p0, w.va_cand[j])

        # E. switch allocation: iSLIP over input ports x output ports, one iteration; the winners
        # (the requests that keep their place in req_*) then cross the switch
        n_win = self._switch_allocate(w, p0, n_in, n_sa) if flags & SA_CONFLICT else n_sa
        for j in range(n_win):
            if self._traverse(w, r, p0, w.req_in[j], w.req_out[j], w.req_vc[j], shape):
                return ST_INVARIANT
        return ST_OK

    cdef inline int _mask_words(self, Shape *shape) noexcept nogil:
        """Words per router in the VC masks: 1 in the Plain copy, known to the compiler."""
        if Shape is Plain:
            return 1
        else:
            return self.WV

    cdef inline int _port_words(self, Shape *shape) noexcept nogil:
        """Words per router in a slot of arrive / credit_in: 1 in the Plain copy."""
        if Shape is Plain:
            return 1
        else:
            return self.WP

    cdef inline bint _waiting(self, InVC *in_vc, Shape *shape) noexcept nogil:
        """The VC's current pipeline stage has cycles to go: count one down. Plain stages take one
        cycle, so there is nothing to count."""
        if Shape is General:
            if in_vc.wait:
                in_vc.wait -= 1
                return True
        return False

    cdef inline int _receive(self, int r, int p0, Shape *shape) noexcept nogil:
        """A: credits arriving at router r's output VCs this cycle. B: flits that arrived on their input
        links last cycle were written into their buffers then and are usable from now on; doing the
        write here, just before its first use, keeps the input-VC state in cache. Only the ports whose
        byte the sender set in credit_in / arrive are visited."""
        cdef int V = self.V, B = self.B, WV, WP, p, i, q, w, b
        cdef int64_t flit
        cdef uint64_t *cm
        cdef uint64_t *am
        cdef uint64_t bytes
        cdef int16_t *credits = &self.credits[p0 * V]
        cdef int64_t *link_flit = self.link_prev
        cdef InVC *in_vc
        WV = self._mask_words(shape)
        WP = self._port_words(shape)
        cm = &self.cm_now[r * WP]
        am = &self.am_prev[r * WP]
        for w in range(WP):
            bytes = cm[w]
            cm[w] = 0
            while bytes:
                credits[pop_port_byte(&bytes, w, V)] += 1
            bytes = am[w]
            am[w] = 0
            while bytes:
                b = pop_port_byte(&bytes, w, V)
                self.vcmask[r * WV + (b >> 6)] |= (<uint64_t>1) << (b & 63)
                p = p0 + self.vc_port[b]
                flit = link_flit[p]
                link_flit[p] = -1
                i = p0 * V + b
                in_vc = &self.ivc[i]
                q = in_vc.count
                if q < 2:
                    in_vc.front[q] = flit
                elif q >= B:
                    return 1
                else:
                    q += in_vc.ring - 2
                    if q >= B - 2:
                        q -= B - 2
                    self.buf[<int64_t>i * B + q] = flit
                in_vc.count += 1
                # a head is routed soon, by its destination's key: a random line of ep_key, which the
                # sweep over the network's state has likely pushed out of the caches since last use
                prefetch(&self.ep_key[(flit >> DEST_SHIFT) & DEST_MASK], 0)
        return 0

    cdef int _scan(self, Work *w, int r, int p0, int *n_va, int *n_sa, Shape *shape) noexcept nogil:
        """Visit router r's input VCs holding flits, port by port: route new heads, and append VC- and
        switch-allocation requests. An input port asks for an output once, through the VC that comes
        first in round-robin order from the port's VC pointer.

        Which outputs were asked for is kept in bit masks over the output's index mod 64, in registers.
        With more than 64 ports two outputs can share a bit; a shared bit then only flags a conflict
        that is not there, and the allocators give what they give without it (each output grants its
        one requester, each input accepts its one grant), so the masks never change a result."""
        cdef int V = self.V, wi, b, li, v, lo, j, dist, vptr = 0, cur_li = -1, n, WV
        cdef uint64_t bits, bit, cand, held, rc_word, va_word, routed
        cdef uint64_t *words
        cdef uint64_t *rc_words
        cdef uint64_t *va_words
        cdef InVC *ivc = &self.ivc[p0 * V]
        cdef InVC *in_vc
        # outputs asked for: in VC allocation once and more than once; in switch allocation by any
        # input and by the input port being scanned
        cdef uint64_t va_once = 0, va_more = 0, sa_any = 0, sa_this = 0
        cdef int flags = 0, nva = 0, nsa = 0
        # A and B: credits and flits arriving
        WV = self._mask_words(shape)
        words = &self.vcmask[r * WV]
        rc_words = &self.rc_mask[r * WV]
        va_words = &self.va_mask[r * WV]
        if self._receive(r, p0, shape):
            return -1
        for wi in range(WV):
            held = words[wi]
            rc_word = rc_words[wi]
            va_word = va_words[wi]
            routed = 0
            # C. route computation for the heads at the front of idle VCs (each stage has a loop of its
            # own: a branch on the VC's stage would be mispredicted at most visits)
            bits = held & rc_word
            while bits:
                b = 64 * wi + ctz64(bits)
                bit = bits & -bits
                bits &= bits - 1
                in_vc = &ivc[b]
                if self._waiting(in_vc, shape):
                    continue
                self._route(r, p0, p0 + self.vc_port[b], self.vc_index[b], in_vc)
                in_vc.state = VC_ROUTED
                routed |= bit
                if Shape is General:
                    in_vc.wait = self.rd - 1
            # VC-allocation requests of routed heads. A request no free output VC can grant would
            # change nothing (iSLIP pointers move only on a grant), so it is not made
            bits = held & va_word
            while bits:
                b = 64 * wi + ctz64(bits)
                bits &= bits - 1
                in_vc = &ivc[b]
                if self._waiting(in_vc, shape):
                    continue
                lo = in_vc.out_lo
                cand = self.class_mask[in_vc.sel] & self.pstate[p0 + lo].free_vcs
                if cand:
                    bit = (<uint64_t>1) << (lo & 63)
                    va_more |= va_once & bit
                    va_once |= bit
                    w.va_req[nva] = p0 * V + b
                    w.va_cand[nva] = cand
                    nva += 1
            # switch-allocation requests of VCs holding an output VC, in VC order (an input port's
            # requests stay together)
            bits = held & ~(rc_word | va_word)
            while bits:
                b = 64 * wi + ctz64(bits)
                bits &= bits - 1
                in_vc = &ivc[b]
                if self._waiting(in_vc, shape):
                    continue
                lo = in_vc.out_lo
                if self.credits[(p0 + lo) * V + in_vc.sel] <= 0:
                    continue
                if Shape is General:
                    if self.any_slow and self.port_free[p0 + lo] > self.now:
                        continue
                li = self.vc_port[b]
                v = self.vc_index[b]
                if li != cur_li:
                    cur_li = li
                    vptr = self.pstate[p0 + li].sa_vptr
                    sa_this = 0
                dist = v - vptr
                if dist < 0:
                    dist += V
                n = nsa
                bit = (<uint64_t>1) << (lo & 63)
                if sa_this & bit:
                    # this input may already ask for that output (its requests are the last ones):
                    # keep the VC first in round robin
                    j = n - 1
                    while j >= 0 and w.req_in[j] == li and w.req_out[j] != lo:
                        j -= 1
                    if j >= 0 and w.req_in[j] == li:
                        if dist < (w.req_vc[j] - vptr + V) % V:
                            w.req_vc[j] = v
                        continue
                if sa_this or sa_any & bit:
                    flags |= SA_CONFLICT     # this input asks for a second output, or a second
                                             # input for this output
                sa_this |= bit
                sa_any |= bit
                w.req_in[n] = li
                w.req_out[n] = lo
                w.req_vc[n] = v
                nsa = n + 1
            # the heads routed now ask for VCs from the next cycle
            rc_words[wi] = rc_word & ~routed
            va_words[wi] = va_word | routed
        n_va[0] = nva
        n_sa[0] = nsa
        w.va_more = va_more
        if va_more:
            flags |= VA_SHARED
        return flags

    cdef int _switch_allocate(self, Work *w, int p0, int n_in, int n_sa) noexcept nogil:
        """iSLIP over the n_sa > 1 requests in req_*: returns how many won, moved to the front."""
        cdef int j, lo, li, dist, best, bi, n_win = 0
        cdef int32_t *req_in = w.req_in
        cdef int32_t *req_out = w.req_out
        cdef int32_t *req_vc = w.req_vc
        cdef int32_t *mark = w.mark
        cdef int32_t stamp
        w.mark_stamp += 1
        stamp = w.mark_stamp
        # grant: each output picks the requesting input closest after its pointer
        for j in range(n_sa):
            lo = req_out[j]
            dist = req_in[j] - self.pstate[p0 + lo].sa_gptr
            if dist < 0:
                dist += n_in
            if mark[lo] != stamp or dist < w.best_dist[lo]:
                mark[lo] = stamp
                w.best_dist[lo] = dist
                w.best_req[lo] = j
        # accept: requests of one input are contiguous; each input takes the granting output
        # closest after its pointer
        j = 0
        while j < n_sa:
            li = req_in[j]
            best = -1
            bi = -1
            while j < n_sa and req_in[j] == li:
                lo = req_out[j]
                if w.best_req[lo] == j:
                    dist = lo - self.pstate[p0 + li].sa_aptr
                    if dist < 0:
                        dist += n_in
                    if best < 0 or dist < best:
                        best = dist
                        bi = j
                j += 1
            if bi >= 0:
                req_in[n_win] = req_in[bi]
                req_out[n_win] = req_out[bi]
                req_vc[n_win] = req_vc[bi]
                n_win += 1
        return n_win

    cdef void _vc_allocate(self, Work *w, int r, int p0, int NV, int n_va) noexcept nogil:
        cdef int j, i, o, ov, lo_v, dist, best, bi, V = self.V, li_v, n
        cdef uint64_t cand
        cdef InVC *in_vc
        # An input VC asks for VCs of one output port only, so allocation splits by output port, and a
        # port with one requester (the scan counted them) needs no arbitration.
        n = 0
        for j in range(n_va):
            i = w.va_req[j]
            if not (w.va_more >> (self.ivc[i].out_lo & 63) & 1):
                self._va_alone(i, r, p0, w.va_cand[j])
            else:
                w.va_req[n] = i
                w.va_cand[n] = w.va_cand[j]
                n += 1
        n_va = n
        w.mark_stamp += 1
        # grant: each free output VC picks the requesting input VC closest after its pointer
        for j in range(n_va):
            i = w.va_req[j]
            in_vc = &self.ivc[i]
            li_v = i - p0 * V
            o = p0 + in_vc.out_lo
            cand = w.va_cand[j]
            while cand:
                ov = ctz64(cand)
                cand &= cand - 1
                lo_v = (o - p0) * V + ov
                dist = li_v - self.va_gptr[o * V + ov]
                if dist < 0:
                    dist += NV
                if w.mark[lo_v] != w.mark_stamp or dist < w.best_dist[lo_v]:
                    w.mark[lo_v] = w.mark_stamp
                    w.best_dist[lo_v] = dist
                    w.best_req[lo_v] = j
        # accept: each input VC takes the granting output VC closest after its pointer
        for j in range(n_va):
            i = w.va_req[j]
            in_vc = &self.ivc[i]
            o = p0 + in_vc.out_lo
            best = -1
            bi = -1
            cand = w.va_cand[j]
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
                self._grant_vc(i, r, p0, bi)

    cdef inline void _va_alone(self, int i, int r, int p0, uint64_t cand) noexcept nogil:
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
        self._grant_vc(i, r, p0, (a + ctz64(rot)) & 63)

    cdef inline void _grant_vc(self, int i, int r, int p0, int ov) noexcept nogil:
        """Input VC i (global; of router r, whose first port is p0) takes output VC ov of its output port."""
        cdef InVC *in_vc = &self.ivc[i]
        cdef int V = self.V, o = p0 + in_vc.out_lo, q = i - p0 * V
        cdef int next_in = q + 1, next_out = in_vc.out_lo * V + ov + 1
        self.pstate[o].free_vcs &= ~((<uint64_t>1) << ov)
        in_vc.sel = <uint8_t>ov
        in_vc.state = VC_ACTIVE_HEAD
        self.va_mask[r * self.WV + (q >> 6)] &= ~((<uint64_t>1) << (q & 63))
        in_vc.wait = self.va - 1
        self.va_gptr[o * V + ov] = next_in      # (may be the router's VC count: the same as 0, see PortState)
        in_vc.va_aptr = next_out

    cdef inline int _traverse(self, Work *w, int r, int p0, int li, int lo, int v,
                              Shape *shape) noexcept nogil:
        """Input port li, VC v won output port lo: move its front flit through the switch. Fields of
        self are read into locals first: the byte-wide stores below may alias anything, and would
        otherwise force them to be reloaded."""
        cdef int V = self.V, B = self.B
        cdef int p = p0 + li, o = p0 + lo, i = p * V + v, q, word
        cdef InVC *in_vc = &self.ivc[i]
        cdef int ov = in_vc.sel
        cdef int64_t flit = in_vc.front[0], slot
        cdef cycle_t now = self.now, arrival
        cdef int64_t rmask = self.rmask, slot_bytes = self.slot_bytes
        cdef Port *pin = &self.port[p]
        cdef Port *pout = &self.port[o]
        cdef PortState *ps = self.pstate
        cdef int head = in_vc.state == VC_ACTIVE_HEAD, count = in_vc.count - 1
        # leave the input buffer; the next flit moves to the front
        in_vc.count = count
        in_vc.front[0] = in_vc.front[1]     # (nothing, if the VC is now empty)
        if count > 1:
            q = in_vc.ring
            in_vc.front[1] = self.buf[<int64_t>i * B + q]
            in_vc.ring = q + 1 if q + 1 < B - 2 else 0
        # an empty VC leaves the router's busy mask
        q = i - p0 * V
        if Shape is Plain:
            word = r                # (q < 64)
        else:
            word = r * self.WV + (q >> 6)
        self.vcmask[word] &= ~((<uint64_t>(count == 0)) << (q & 63))
        # tail: release the output VC; the input VC is free for the next packet's head
        if flit & FLIT_TAIL:
            ps[o].free_vcs |= (<uint64_t>1) << ov
            in_vc.state = VC_IDLE
            self.rc_mask[word] |= (<uint64_t>1) << (q & 63)
        else:
            in_vc.state = VC_ACTIVE
        # round-robin pointers move past the winner (iSLIP; n_in and V stand for 0, see PortState)
        ps[o].sa_gptr = li + 1
        ps[p].sa_aptr = lo + 1
        ps[p].sa_vptr = v + 1
        # the freed slot's credit crosses the reverse channel
        slot = (now + pin.credit_delay) & rmask
        if pin.kind == PORT_LINK:
            (<uint8_t *> self.credit_in)[slot * slot_bytes + pin.peer_byte] = <uint8_t>(v + 1)
        else:
            # at most one flit leaves an injection buffer per cycle: one credit per (endpoint, plane)
            w.ep_credit[slot * w.cap + w.ep_credit_n[slot]] = pin.peer * V + v
            w.ep_credit_n[slot] += 1
        # onto the output link, or out through the ejection channel (1 cycle, always accepts)
        arrival = now + pout.flit_delay
        if self.port_flits != NULL:
            self.port_flits[o] += 1
        if Shape is General:
            if self.any_slow:
                self.port_free[o] = now + self.port_cpf[o]
        if pout.kind == PORT_LINK:
            if head and ((flit >> HOPS_SHIFT) & HOPS_MASK) < HOPS_MASK:
                flit += 1 << HOPS_SHIFT  # saturates at MAX_HOPS rather than spill into the dest bits
            # one flit per output per cycle and a fixed latency keep the slot free (a store, no load:
            # the conservation and credit checks catch a violation)
            slot = arrival & rmask
            (<uint8_t *> self.arrive)[slot * slot_bytes + pout.peer_byte] = <uint8_t>(ov + 1)
            w.flit_hops += 1
            q = self.credits[o * V + ov] - 1
            self.credits[o * V + ov] = q
            self.link_flit[slot * self.n_ports + pout.peer] = flit
            if q < 0:
                return 1
        else:
            # the endpoint's side of ejection waits until every router has stepped (see _eject)
            w.eject_flit[w.n_eject] = flit
            w.eject_at[w.n_eject] = 2 * arrival + head
            w.n_eject += 1
        return 0

    cdef void _eject(self, int64_t flit, int64_t at) noexcept nogil:
        """A flit left through its ejection channel, arriving at cycle at // 2 (a head if at is odd).
        Applied after the routers' step of the cycle, in router order, so that any number of threads
        gives the same packet-pool order and statistics."""
        cdef int32_t pid = <int32_t>((flit >> PID_SHIFT) & PID_MASK)
        cdef cycle_t arrival = at >> 1
        if at & 1:
            self.pkts[pid].hops = <int16_t>((flit >> HOPS_SHIFT) & HOPS_MASK)
        self.c_delivered_flits += 1
        if self.window_start <= arrival < self.window_end:
            self.c_window_ejected_flits += 1
            if self.C > 1:
                self.cls_stats[self.pkts[pid].cls * N_CLS_STATS + CS_EJECTED_FLITS] += 1
        if flit & FLIT_TAIL:
            self._deliver(pid, arrival)

    # ------------------------------------------------------------------ one endpoint, one cycle

    cdef int _endpoint_create(self, int e) noexcept nogil:
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
                dest = self._pick_dest(e, g, c, rng)
                lo = self.cls_size_lo[c]
                size = self.size_value[lo] if self.cls_size_lo[c + 1] - lo == 1 else self._pick_size(c, rng)
                measured = self.window_start <= now < self.window_end
                pid = self._queue_packet(e, dest, size, c, measured)
                if pid < 0:
                    return ST_PACKET_LIMIT if pid == -1 else ST_NO_MEMORY
                if self.n_msgs:
                    self.pkt_msg[pid] = -1
                if measured and self.C > 1:
                    self.cls_stats[c * N_CLS_STATS + CS_CREATED_FLITS] += size
                    self.cls_stats[c * N_CLS_STATS + CS_MEASURED] += 1
                self.gen_next[g] = self._next_arrival(g, c, now, rng)
            if self.C > 1:
                t = self.gen_next[e]
                for c in range(1, self.C):
                    if self.gen_next[c * self.n_endpoints + e] < t:
                        t = self.gen_next[c * self.n_endpoints + e]
                self.ep_next_arrival[e] = t
        return ST_OK

    cdef void _endpoint_send(self, Work *w, int e) noexcept nogil:
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
            s = e * self.P + self._pick_plane(e, pid)
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
        (<uint8_t *> self.arrive)[((now + 2) & self.rmask) * self.slot_bytes + self.port[port].peer_byte] = \
            <uint8_t>(v + 1)
        out.credits -= 1
        self.ep_last_vc[s] = <int16_t>v
        if self.ep_cur_sent[e] == 0:
            pkt.inject = now
        self.ep_cur_sent[e] += 1
        w.injected += 1
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

    cdef inline int32_t _pick_dest(self, int e, int g, int c, uint64_t *rng) noexcept nogil:
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
        i = lo + <int32_t>rng_below(rng, n)
        if rng_uniform(rng) > self.alias_prob[i]:
            i = self.alias_idx[i]
        return self.alias_dest[i]

    cdef inline int32_t _pick_size(self, int c, uint64_t *rng) noexcept nogil:
        cdef double u = rng_uniform(rng)
        cdef int k = self.cls_size_lo[c], last = self.cls_size_lo[c + 1] - 1
        while k < last and u > self.size_cum[k]:
            k += 1
        return self.size_value[k]

    cdef int64_t _next_arrival(self, int g, int c, cycle_t now, uint64_t *rng) noexcept nogil:
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
            return NO_CYCLE                 # the next one when this one has left (see _endpoint_send)
        t = now + (1 if lp == 0.0 else rng_geometric(rng, lp))
        if process == PROC_BERNOULLI or t < self.ep_on_until[g]:
            return t
        return self._next_burst(g, c, self.ep_on_until[g], rng)

    cdef int64_t _next_burst(self, int g, int c, int64_t off_start, uint64_t *rng) noexcept nogil:
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

    def _first_arrival(self, int e, int g, int c, double rate, cls):
        """The cycle of generator g's first packet (endpoint e, class c; the process starts at cycle 0)."""
        cdef uint64_t *rng = &self.ep_rng[e]
        cdef double lp = self.ep_log1mp[g]
        if rate <= 0.0:
            return NO_CYCLE
        if self.cls_process[c] == PROC_PERIODIC:
            # a random phase in [0, period), so sources do not all send in the same cycle
            self.ep_phase[g] = rng_uniform(rng) * self.ep_period[g]
            return <int64_t>ceil(self.ep_phase[g] - 1e-9)
        if self.cls_process[c] == PROC_ON_OFF:
            # start in the stationary state: ON with probability alpha / (alpha + beta)
            if rng_uniform(rng) <= cls.on_share:
                self.ep_on_until[g] = (NO_CYCLE if self.cls_log1m_beta[c] == 0.0 else
                                       rng_geometric(rng, self.cls_log1m_beta[c]))
                t = 0 if lp == 0.0 else rng_geometric(rng, lp) - 1
                if t < self.ep_on_until[g]:
                    return t
                return self._next_burst(g, c, self.ep_on_until[g], rng)
            return self._next_burst(g, c, 0, rng)
        return 0 if lp == 0.0 else rng_geometric(rng, lp) - 1

    cdef int _pick_plane(self, int e, int32_t pid) noexcept nogil:
        """The plane endpoint e sends packet pid on: uniform by the packet's key (`hash`), a draw from
        the endpoint's random stream (`random`), or the plane whose injection channel has the most
        credits (`least_loaded`; ties go to the first from the key's plane on)."""
        cdef int start, k, q, v, best = -1, best_credits = -1, credits
        if self.plane_policy == PLANE_RANDOM:
            return <int>rng_below(&self.ep_rng[e], self.P)
        start = <int>((<uint64_t>self.pkt_key[pid] * <uint64_t>self.P) >> 32)
        if self.plane_policy == PLANE_HASH:
            return start
        for q in range(self.P):
            k = (start + q) % self.P
            credits = 0
            for v in range(self.V):
                credits += self.ep_ovc[(e * self.P + k) * self.V + v].credits
            if credits > best_credits:
                best, best_credits = k, credits
        return best

    # ------------------------------------------------------------------ the cycle loop

    cdef void _send_endpoints(self) noexcept nogil:
        """Every endpoint with a packet queued sends a flit if it can (on n_threads threads, each taking
        its block's endpoints; what they did is merged with the routers' step)."""
        cdef int t
        if self.n_threads == 1:
            self._send_block(&self.works[0], 0, (self.n_endpoints + 63) // 64)
        else:
            for t in prange(self.n_blocks, num_threads=self.n_threads, schedule="static", chunksize=1):
                self._send_block(&self.works[t], self.works[t].e_lo, self.works[t].e_hi)

    cdef inline void _send_block(self, Work *w, int lo, int hi) noexcept nogil:
        """The endpoints of words lo .. hi-1 of ep_queued with a packet queued send, in endpoint order."""
        cdef int k
        cdef uint64_t bits
        for k in range(lo, hi):
            bits = self.ep_queued[k]
            while bits:
                self._endpoint_send(w, 64 * k + ctz64(bits))
                bits &= bits - 1

    cdef int _step_routers(self) noexcept nogil:
        """Every router's step of this cycle, on n_threads threads (each a contiguous block of routers),
        then what they did, merged block by block, in router order: the result does not depend on the
        thread count, as every read in a cycle sees the state the previous cycle left (the bytes a
        router writes for another, a flit or a credit on its way, are for later cycles)."""
        cdef int t, i, status = ST_OK
        cdef Work *w
        cdef Plain *plain = NULL
        cdef General *general = NULL
        self.cm_now = &self.credit_in[(self.now & self.rmask) * self.n_routers * self.WP]
        self.am_prev = &self.arrive[((self.now - 1) & self.rmask) * self.n_routers * self.WP]
        self.link_prev = &self.link_flit[((self.now - 1) & self.rmask) * self.n_ports]
        if self.n_threads == 1:
            if self.plain:
                self._step_block(&self.works[0], plain)
            else:
                self._step_block(&self.works[0], general)
        else:
            for t in prange(self.n_blocks, num_threads=self.n_threads, schedule="static", chunksize=1):
                if self.plain:
                    self._step_block(&self.works[t], plain)
                else:
                    self._step_block(&self.works[t], general)
        for t in range(self.n_blocks):
            w = &self.works[t]
            if w.status != ST_OK and status == ST_OK:
                status = w.status
            w.status = ST_OK
            if w.flit_hops or w.injected or w.n_eject:    # a flit moved onto a link, in, or out
                self.c_last_move = self.now
            self.c_flit_hops += w.flit_hops
            w.flit_hops = 0
            self.c_injected_flits += w.injected
            self.c_source_flits -= w.injected
            if self.window_start <= self.now < self.window_end:
                self.c_window_injected_flits += w.injected
                if self.C > 1:
                    for i in range(self.C):
                        self.cls_stats[i * N_CLS_STATS + CS_INJECTED_FLITS] += w.cls_injected[i]
            if self.C > 1:
                memset(w.cls_injected, 0, self.C * sizeof(int64_t))
            w.injected = 0
            for i in range(w.n_eject):
                # each ejection reads its packet, a random line of the pool: fetch a few ahead (this
                # merge is serial, and waiting for those lines was three quarters of it)
                if i + PREFETCH_EJECTS < w.n_eject:
                    prefetch(&self.pkts[(w.eject_flit[i + PREFETCH_EJECTS] >> PID_SHIFT) & PID_MASK], 1)
                self._eject(w.eject_flit[i], w.eject_at[i])
            w.n_eject = 0
        return status

    cdef void _prefetch_vcs(self, int r) noexcept nogil:
        """Fetch the state of router r's input VCs that hold flits or that flits arrive at (General copy:
        a high-radix router has too much VC state to fetch whole)."""
        cdef int i, WV = self.WV, WP = self.WP
        cdef uint64_t bits
        cdef InVC *base = &self.ivc[self.port_indptr[r] * self.V]
        for i in range(WV):
            bits = self.vcmask[r * WV + i]
            while bits:
                prefetch(&base[64 * i + ctz64(bits)], 1)
                bits &= bits - 1
        for i in range(WP):
            bits = self.am_prev[r * WP + i]
            while bits:
                prefetch(&base[pop_port_byte(&bits, i, self.V)], 1)

    cdef void _step_block(self, Work *w, Shape *shape) noexcept nogil:
        """The step of block w's routers (w.lo .. w.hi-1) in this cycle. A router with no flits buffered
        and no flit or credit arriving has nothing to do (its step would change nothing): it is skipped
        after a look at its VC mask and arrival and credit words."""
        cdef int r, ahead, WV = self._mask_words(shape), WP = self._port_words(shape)
        cdef uint64_t busy
        cdef uint64_t *cm = self.cm_now
        cdef uint64_t *am = self.am_prev
        cdef uint64_t *vm = self.vcmask
        cdef char *line
        cdef char *end
        for r in range(w.lo, w.hi):
            # Fetch the input-VC state of the router PREFETCH_ROUTERS ahead (2 ahead measured the same):
            # the steps touch a few VCs each, too sparsely for the hardware to see a stream, and waiting
            # for those lines took a third of the time on the 25^3 torus. A Plain router's state is
            # fetched whole if it holds or receives flits (inline: a call per router cost 23%)
            ahead = r + PREFETCH_ROUTERS
            if ahead < w.hi:
                if Shape is Plain:
                    if vm[ahead] | am[ahead]:
                        line = <char *> &self.ivc[self.port_indptr[ahead] * self.V]
                        end = <char *> &self.ivc[self.port_indptr[ahead + 1] * self.V]
                        while line < end:
                            prefetch(line, 1)
                            line += 64
                else:
                    self._prefetch_vcs(ahead)
            if Shape is Plain:
                busy = vm[r] | cm[r] | am[r]
            else:
                busy = any_set(&vm[r * WV], WV) or any_set(&cm[r * WP], WP) or any_set(&am[r * WP], WP)
            if busy and w.status == ST_OK:
                w.status = self._router_step(w, r, shape)

    cdef int _run(self, cycle_t until, bint stop_when_drained) noexcept nogil:
        cdef int e, status, i, t
        cdef int64_t slot
        cdef Work *w
        while self.now < until:
            if stop_when_drained and self._drained():
                return ST_DRAINED
            while self.heap_n > 0 and self.heap_time[0] <= self.now:
                status = self._release(self._heap_pop())
                if status != ST_OK:
                    return status
            slot = self.now & self.rmask
            for t in range(self.n_blocks):
                w = &self.works[t]
                if w.mark_stamp > STAMP_LIMIT:
                    memset(w.mark, 0, self.max_router_ports * self.V * sizeof(int32_t))
                    w.mark_stamp = 0
                # credits returning to the endpoints this cycle, from the routers' injection buffers
                for i in range(w.ep_credit_n[slot]):
                    self.ep_ovc[w.ep_credit[slot * w.cap + i]].credits += 1
                w.ep_credit_n[slot] = 0
            for e in range(self.n_endpoints):
                # most endpoints have nothing to create this cycle
                if self.ep_next_arrival[e] <= self.now:
                    status = self._endpoint_create(e)
                    if status != ST_OK:
                        return status
            self._send_endpoints()
            status = self._step_routers()
            if status != ST_OK:
                return status
            self.now += 1
            if self.check_every_cycle and self._check_cycle():
                return ST_INVARIANT
            if self.deadlock_cycles and self.now - self.c_last_move > self.deadlock_cycles \
                    and self.c_injected_flits > self.c_delivered_flits:
                return ST_DEADLOCK
        if stop_when_drained and self._drained():
            return ST_DRAINED
        return ST_OK

    cdef int _check_cycle(self) noexcept nogil:
        """After a cycle: every output VC's credits and every input VC's flits within 0..vc_buffer,
        every injection channel's credits too, and the flits injected and not delivered all in buffers or
        on links. Records the first violation in self.bad and returns 1."""
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
        if held + on_links != self.c_injected_flits - self.c_delivered_flits:
            self.bad[0], self.bad[1], self.bad[2] = CHECK_CONSERVATION, held + on_links, self.c_injected_flits
            self.bad[3] = self.c_delivered_flits
            return 1
        return 0

    def violation(self):
        """The invariant the last run broke, in words (after STATUS_INVARIANT), or None."""
        what, a, b, value = self.bad[0], self.bad[1], self.bad[2], self.bad[3]
        if what == CHECK_CREDITS:
            return f"output VC {b} of port {a} has {value} credits, outside 0..{self.B}"
        if what == CHECK_BUFFER:
            return f"input VC {b} of port {a} holds {value} flits, outside 0..{self.B}"
        if what == CHECK_INJECTION:
            return f"injection VC {b} of endpoint slot {a} has {value} credits, outside 0..{self.B}"
        if what == CHECK_CONSERVATION:
            return (f"{a} flits in buffers and on links, but {b} injected and {value} delivered: "
                    f"{b - value - a} flits appeared or vanished")
        return None

    cdef inline bint _drained(self) noexcept nogil:
        """Every measured packet has arrived (after the window); with messages, every message is done."""
        if self.n_msgs:
            return self.c_msgs_left == 0
        if self.process == PROC_BUDGET:
            return self.c_budget_left == 0 and self.c_measured_outstanding == 0
        return self.c_measured_outstanding == 0 and self.now >= self.window_end

    def vc_states(self):
        """Per input VC (port, vc): flits buffered, state (0 idle, 1 routed, 2-3 active), local output
        port and the class (routed) or the output VC held (active): four (n_ports, vcs) arrays."""
        cdef int64_t i, n = self.n_ports * self.V
        count, state, out, sel = (np.zeros(n, np.int64) for _ in range(4))
        for i in range(n):
            count[i] = self.ivc[i].count
            state[i] = self.ivc[i].state
            out[i] = self.ivc[i].out_lo
            sel[i] = self.ivc[i].sel
        shape = (self.n_ports, self.V)
        return count.reshape(shape), state.reshape(shape), out.reshape(shape), sel.reshape(shape)

    def class_vcs(self, int cls):
        """The output VCs (bit mask) class `cls` allows."""
        return int(self.class_mask[cls])

    def last_arrivals(self):
        """Budget workloads: each endpoint's latest tail arrival (-1 none)."""
        return self._keep["ep_last_arrival"][: self.n_endpoints].copy()

    def messages(self):
        """(release, done) cycles of every message, -1 where it has not happened."""
        k = self._keep
        return k["msg_release"][: self.n_msgs].copy(), k["msg_done"][: self.n_msgs].copy()

    def run(self, cycle_t until, bint stop_when_drained=False):
        """Step the network until cycle `until` (exclusive) or, with stop_when_drained, until every
        measured packet has arrived. Returns a status code (STATUS_*)."""
        cdef int status
        with nogil:
            status = self._run(until, stop_when_drained)
        return status

    # ------------------------------------------------------------------ read-out

    def probe_route(self, int router, int in_port, int in_vc, int dest, int choice=0, int hops=0, int pid=0):
        """What route computation decides for a head flit to endpoint `dest` that came in on local port
        `in_port`, VC `in_vc`, of `router`, having crossed `hops` links: (local output port, bit mask of
        the output VCs allowed).
        `choice` stands in for the routing's random draws (up port index, coin), and `pid` is the packet
        id (Valiant's intermediate group), so tests can follow every path the routing may take. Leaves the simulation state as it was."""
        cdef uint64_t allowed
        cdef int out_port = self._probe(router, self.port_indptr[router] + in_port, in_vc, dest, choice, hops, pid,
                                        &allowed)
        return out_port, int(allowed)

    cdef inline int _probe(self, int router, int p, int v, int dest, int choice, int hops, int pid,
                           uint64_t *allowed) noexcept nogil:
        """The local output port route computation picks for a head to `dest` at input VC (p, v) of
        `router` (p a global port index), packet id `pid`, with `hops` links behind it, its random draws
        replaced by `choice`; the output VCs it allows go to *allowed. State is left as it was."""
        cdef InVC *in_vc_state = &self.ivc[p * self.V + v]
        cdef InVC saved = in_vc_state[0]
        cdef int out
        in_vc_state.front[0] = flit_word(pid, dest, True) + ((<int64_t>min(hops, HOPS_MASK)) << HOPS_SHIFT)
        self.forced_choice = choice
        self._route(router, self.port_indptr[router], p, v, in_vc_state)
        self.forced_choice = -1
        out = in_vc_state.out_lo
        allowed[0] = self.class_mask[in_vc_state.sel]
        in_vc_state[0] = saved
        return out

    @cython.boundscheck(False)
    @cython.wraparound(False)
    def expected_loads(self, start_port, dest, weight, owner, is_link, peer, int max_hops=4096):
        """Expected flits per cycle on every port for flows (start_port[i] -> endpoint dest[i], weight[i]
        flits per cycle), sorted by dest. Each flow follows this core's own route computation hop by hop,
        split evenly over the distinct output ports its random draws can give (probing draws 0, 1, ...
        up to the router's port count). Flows to one destination move together, so the cost is the
        ports they touch, not the number of sources. Returns (loads, 0) or (None, hops) when a flow was
        still in the network after max_hops hops (a routing loop)."""
        cdef int32_t[::1] sp = np.ascontiguousarray(start_port, np.int32)
        cdef int32_t[::1] ds = np.ascontiguousarray(dest, np.int32)
        cdef double[::1] w = np.ascontiguousarray(weight, np.float64)
        cdef int32_t[::1] own = np.ascontiguousarray(owner, np.int32)
        cdef uint8_t[::1] link = np.ascontiguousarray(is_link, np.uint8)
        cdef int32_t[::1] far = np.ascontiguousarray(peer, np.int32)
        cdef Py_ssize_t n = sp.shape[0], i = 0, j
        load_arr = np.zeros(self.n_ports)
        cdef double[::1] load = load_arr
        cdef double[::1] cm = np.zeros(self.n_ports)
        cdef double[::1] nm = np.zeros(self.n_ports)
        cdef int32_t[::1] cl = np.empty(self.n_ports, np.int32)
        cdef int32_t[::1] nl = np.empty(self.n_ports, np.int32)
        cdef int32_t[::1] outs = np.empty(max(1, int(np.diff(self._keep["port_indptr"][: self.n_routers + 1]).max(initial=1))), np.int32)
        cdef double *cur_m = &cm[0]
        cdef double *next_m = &nm[0]
        cdef double *tmp_m
        cdef int32_t *cur_l = &cl[0]
        cdef int32_t *next_l = &nl[0]
        cdef int32_t *tmp_l
        cdef int d, p, q, r, a, b, c, k, out, ncur, nnext, hops, nports, first, second
        cdef double m, share
        cdef uint64_t allowed
        with nogil:
            while i < n:
                d = ds[i]
                ncur = 0
                j = i
                while j < n and ds[j] == d:
                    p = sp[j]
                    if cur_m[p] == 0.0:
                        cur_l[ncur] = p
                        ncur += 1
                    cur_m[p] += w[j]
                    j += 1
                i = j
                hops = 0
                while ncur > 0:
                    if hops >= max_hops:
                        with gil:
                            return None, hops
                    nnext = 0
                    for a in range(ncur):
                        p = cur_l[a]
                        m = cur_m[p]
                        cur_m[p] = 0.0
                        if m == 0.0:
                            continue
                        r = own[p]
                        first = self._probe(r, p, 0, d, 0, hops, 0, &allowed)
                        second = self._probe(r, p, 0, d, 1, hops, 0, &allowed)
                        k = 1
                        outs[0] = first
                        if second != first:     # the routing draws: collect every distinct port
                            nports = self.port_indptr[r + 1] - self.port_indptr[r]
                            for c in range(1, nports):
                                out = second if c == 1 else self._probe(r, p, 0, d, c, hops, 0, &allowed)
                                for b in range(k):
                                    if outs[b] == out:
                                        break
                                else:
                                    outs[k] = out
                                    k += 1
                        share = m / k
                        for b in range(k):
                            q = self.port_indptr[r] + outs[b]
                            if not link[q]:
                                continue                    # ejection
                            load[q] += share
                            q = far[q]
                            if next_m[q] == 0.0:
                                next_l[nnext] = q
                                nnext += 1
                            next_m[q] += share
                    tmp_m = cur_m; cur_m = next_m; next_m = tmp_m
                    tmp_l = cur_l; cur_l = next_l; next_l = tmp_l
                    ncur = nnext
                    hops += 1
        return load_arr, 0

    def counters(self):
        """Event counters and sums since cycle 0 (see fabric/statistics.py for their meaning)."""
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
            "window_injected_flits": self.c_window_injected_flits,
            "measured_created": self.c_measured_created,
            "measured_delivered": self.c_measured_delivered,
            "measured_outstanding": self.c_measured_outstanding,
            "sum_packet_latency": self.c_sum_packet_latency,
            "sum_network_latency": self.c_sum_network_latency,
            "sum_hops": self.c_sum_hops,
            "max_packet_latency": self.c_max_packet_latency,
            "max_network_latency": self.c_max_network_latency,
            "live_packets": self.pkt_live,
            "messages_left": self.c_msgs_left,
            "budget_left": self.c_budget_left,
            "last_arrival": self.c_last_arrival,
        }

    def port_flit_counts(self):
        """Flits sent out of each port since cycle 0 (router-to-router links and ejection channels),
        ndarray (n_ports,); None unless the core was made with cfg count_ports."""
        if self.port_flits == NULL:
            return None
        return np.asarray(self._keep["port_flits"][: self.n_ports]).copy()

    def histograms(self):
        """(packet, network) latency histograms of measured packets: bin = cycles."""
        cdef int64_t i
        hp = np.empty(self.hist_cap, np.int64)
        hn = np.empty(self.hist_cap, np.int64)
        for i in range(self.hist_cap):
            hp[i] = self.hist_packet[i]
            hn[i] = self.hist_network[i]
        return hp, hn

    def buffer_occupancy(self):
        """Flits buffered per (port, vc): ndarray of shape (n_ports, vcs)."""
        return self._per_vc(0)

    def output_credits(self):
        """Credits per (port, vc) of the output side: ndarray of shape (n_ports, vcs)."""
        return self._per_vc(1)

    cdef object _per_vc(self, bint credits):
        cdef int64_t i
        out = np.zeros(self.n_ports * self.V, np.int64)
        for i in range(self.n_ports * self.V):
            out[i] = self.credits[i] if credits else self.ivc[i].count
        return out.reshape(self.n_ports, self.V)

    def flits_in_network(self):
        """Flits in router buffers plus flits on links (injection channels included)."""
        on_links = int(np.count_nonzero(self._keep["link_flit"][: self.n_ports * self.R] >= 0))
        return int(self.buffer_occupancy().sum()) + on_links

    def check_credits(self, report=False):
        """True when, for every link and VC, the sender's credits + the receiver's buffered flits +
        flits and credits in flight equal the buffer depth."""
        k = self._keep
        R, B, V, WP = self.R, self.B, self.V, self.WP
        kinds = k["port_kind"][: self.n_ports]
        peer = k["port_peer"][: self.n_ports]
        indptr = k["port_indptr"]
        router = np.repeat(np.arange(self.n_routers), np.diff(indptr))
        credits = self.output_credits()
        count = self.buffer_occupancy()
        slots = lambda name: k[name][: R * self.n_routers * WP].view(np.uint8).reshape(R, self.n_routers * WP * 8)
        arriving, crediting = slots("arrive"), slots("credit_in")

        def in_flight(bytes_, port, v):
            column = bytes_[:, router[port] * WP * 8 + port - indptr[router[port]]]
            return int(np.count_nonzero(column == v + 1))

        wrong = []
        for p in np.flatnonzero(kinds == PORT_LINK):
            q = peer[p]
            for v in range(V):
                total = credits[p, v] + count[q, v] + in_flight(arriving, q, v) + in_flight(crediting, p, v)
                if total != B:
                    if not report:
                        return False
                    wrong.append((int(p), v, int(credits[p, v]), int(count[q, v]), in_flight(arriving, q, v),
                                  in_flight(crediting, p, v)))
        return wrong if report else True
