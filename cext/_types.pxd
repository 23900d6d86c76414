# The core's vocabulary, shared by every part: fixed-width types, the constants Python reads through the
# tables in fabric/_core.pyx (statuses, port kinds, destination modes, processes...), the flit word, the records
# of packets, VCs and ports, and the shapes the router step is compiled for.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport realloc

ctypedef int64_t cycle_t    # simulated cycles

cdef extern from *:
    """
    #define FABRIC_NO_CYCLE ((int64_t)0x3FFFFFFFFFFFFFFFLL)
    #define FABRIC_FLIT_NONMINIMAL (((int64_t)1) << 62)
    """
    const int64_t NO_CYCLE "FABRIC_NO_CYCLE"                # a cycle that never comes
    # head flit bit 62: UGAL chose the non-minimal (Valiant) path at the source router
    const int64_t FLIT_NONMINIMAL "FABRIC_FLIT_NONMINIMAL"
    # the same bit under up*/down* with a fault during the run (faults.at_cycle): the packet was injected
    # after the fault, and takes the tables of the network that is left
    const int64_t FLIT_AFTER_FAULT "FABRIC_FLIT_NONMINIMAL"

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

# Output-VC classes a route may allow (Core.class_mask): all VCs, or the lower or upper half
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

cdef enum:
    NO_LIMIT = 0x7FFFFFFF   # an unbounded output queue (router.output_buffer -1)
    ORDER_SHIFT = 20        # up to 2^20 flits may leave one output port's queue in the same cycle's order
    KIND_IQ = 0             # router kinds: input-queued (BookSim's iq_router)
    KIND_OQ = 1             # output-queued (SuperSim's output_queued)
# Flit word layout
cdef enum:
    FLIT_TAIL = 1
    HOPS_SHIFT = 1
    HOPS_MASK = 0x3FF
    DEST_SHIFT = 11
    DEST_MASK = 0x1FFFFF
    PID_SHIFT = 32
    PID_MASK = 0x3FFFFFFF

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
    int32_t cycles          # stats: flit-cycles in the buffer since Core.cycles_base, less (now - base) per
                            # flit it holds (cext/_statistics.pxd, flush_vc_cycles)


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
    int16_t sa_gptr         # output side: next local input port to favour in switch allocation (an output-
                            # queued router, which has no switch allocation: the next output VC to hand out)
    int16_t sa_aptr         # input side: next local output port to favour
    int16_t sa_vptr         # input side: next VC to favour
    uint16_t flits          # output side: flits sent since Core.counts_base, while the run counts (stats,
                            # count_ports; cext/_statistics.pxd, flush_counts, moves it to Core.port_flits)


# Output queues (cext/_output_queues.pxd), with internal speedup or the output-queued kind: a FIFO of
# flits per output VC, each entry two words: the flit, and (its order << 1 | head), where the order is
# (departure cycle << ORDER_SHIFT) + its place among the port's flits of that cycle. The front entry is
# kept here (most queues hold one flit at a time), those behind it in a ring
cdef struct OutQueue:
    int64_t front           # the front entry's flit
    int64_t front_order     # and its order word
    int64_t *items          # the ring: 2 * cap words
    int32_t cap, head, count    # count: entries in the queue, the front one included
    int32_t owned           # items was allocated by a growth (freed with the core), not from the arena
cdef struct PortQueue:
    int64_t last_order      # order of the flit queued last at the port (orders increase)
    uint64_t vcs            # bit v set while output VC v's queue holds a flit
    int32_t n               # flits queued at the port, all VCs
    int32_t unused
# Allocators (router.vc_allocator, router.sw_allocator; Python's names in fabric/_core.pyx ALLOCATORS)
cdef enum:
    ALLOC_ISLIP = 0         # separable iSLIP (also BookSim's separable_output_first, which is the same
                            # with every request of one priority)
    ALLOC_INPUT_FIRST = 1   # separable input-first
    ALLOC_WAVEFRONT = 2     # these last three match request pairs (cext/_matching.pxd)
    ALLOC_PIM = 3
    ALLOC_MAX_SIZE = 4
# Scratch of the matchings (cext/_matching.pxd), one per block of routers, sized by the largest router:
# request pairs (up to a router's input VCs x VCs) and per-node arrays (up to its ports x VCs)
cdef struct Matching:
    int32_t *left           # per pair: its left node (input port or input VC),
    int32_t *right          # its right node (output port or output VC),
    int32_t *req            # the request it stands for,
    int32_t *won            # and 1 if matched
    int64_t *key            # sort keys (pairs, or left nodes)
    int32_t *lmark          # per left node: stamp of the matching it is matched in,
    int32_t *lmatch         # and its right node
    int32_t *lfirst         # its first pair, and how many (max_size)
    int32_t *lcount
    int32_t *rmark          # per right node: the same
    int32_t *rmatch
    int32_t *rseen          # stamp of the search step (PIM's grant, max_size's search) that reached it
    int32_t *roff           # PIM: its random offset,
    int32_t *rbest          # the pair it grants,
    int32_t *rdist          # and that pair's distance after the offset
    int32_t *rfrom          # max_size: the left node the search reached it from
    int32_t *stack          # max_size: the search's frontier and the next one
    int32_t *next_stack
    int32_t stamp
cdef struct OutVC:
    int32_t credits         # free slots in the downstream buffer
    int16_t busy            # 1 while a packet holds the VC


# One class of routers' settings (router, router.classes.NAME): Core.setup[Core.router_class[r]]
cdef struct RouterSetup:
    int64_t speedup_num, speedup_den    # internal steps per channel cycle, num / den
    int32_t oq_limit        # router.output_buffer: most flits an output port's queue holds (input-queued), or
                            # an output VC's queue (output-queued); NO_LIMIT: unbounded
    int32_t B               # vc_buffer: the depth of its input VCs (the credits its upstream starts with)
    int16_t rd, va, sa, st  # pipeline delays
    int16_t vcs             # VCs per input port (Core.V lays them out: the VCs from vcs on are never used)
    int8_t kind             # KIND_IQ, KIND_OQ
    int8_t queued           # flits leave through output queues (internal speedup above 1, or output-queued)
    int8_t sw_alloc, vc_alloc   # ALLOC_*
    int8_t sa_iters, va_iters   # iSLIP's and PIM's iterations
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
    int32_t *won            # switch allocation with iterations: the iteration each request won in (0: none)
    int32_t *done           # and stamps of the matched input ports (first half) and output ports
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
    int32_t step            # the router's internal step within this cycle (0: the first; internal_speedup)
    int32_t steps           # and how many it takes this cycle
    RouterSetup *rs         # the settings of the router being stepped
    int64_t drained         # flits sent over a failed link after a fault during the run (it drains)
    char pad[48]            # to 256 bytes, so that no two blocks (perhaps on two threads) share a cache line


# The shapes of network the router step is compiled for: Cython makes one copy of each hot function per
# member of the fused type `Shape`, and the tests on the shape inside are decided by the compiler.
cdef struct Plain:
    # every router has at most 8 ports (its arrival and credit bytes fit one word) and input VCs that
    # fit one 64-bit mask word, every port sends a flit every cycle, no router has output queues, and
    # route computation and VC allocation take one cycle each (meshes, tori and small-radix networks with BookSim's default
    # delays: the word loops, slow-port checks and stage waits disappear)
    char unused

cdef struct General:
    # routers of any radix, ports of any speed, stages of any delay
    char unused
cdef struct Queued:
    # the same, and some routers with output queues (internal speedup, output-queued; _output_queues)
    char unused

ctypedef fused Shape:
    Plain
    General
    Queued

# And whether the step counts activity (stats, or count_ports): a run that does not count gets a copy of
# the router step without the counting in it.
cdef struct Silent:
    char unused

cdef struct Counting:
    char unused

ctypedef fused Count:
    Silent
    Counting



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


# The flit word: packet id (bits 32-61), destination endpoint (bits 11-31), links crossed so far (bits
# 1-10, head flit only), the tail bit (bit 0); bit 62 is FLIT_NONMINIMAL, and bit 63 stays clear (-1
# means no flit)
cdef inline int64_t flit_word(int32_t pid, int32_t dest, bint tail) noexcept nogil:
    return (<int64_t>pid << PID_SHIFT) | (<int64_t>dest << DEST_SHIFT) | (FLIT_TAIL if tail else 0)


cdef inline int32_t flit_pid(int64_t flit) noexcept nogil:
    return <int32_t>((flit >> PID_SHIFT) & PID_MASK)


cdef inline int32_t flit_dest(int64_t flit) noexcept nogil:
    return <int32_t>((flit >> DEST_SHIFT) & DEST_MASK)


cdef inline int flit_hops(int64_t flit) noexcept nogil:
    return <int>((flit >> HOPS_SHIFT) & HOPS_MASK)


cdef inline bint grow_block(void **p, int64_t nbytes) noexcept nogil:
    """realloc p[0] to nbytes; False (p[0] unchanged) when there is no memory."""
    cdef void *q = realloc(p[0], nbytes)
    if q == NULL:
        return False
    p[0] = q
    return True
