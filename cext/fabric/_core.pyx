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
# The parts (each a .pxd of nogil functions on the Core, inlined here; docs/architecture.md):
#   _types      the vocabulary: widths, constants, the flit word, packet / VC / port records, Shape
#   _core.pxd   the state of one simulation (the Core's fields)
#   _links      flits and credits in flight, received at the start of a router's step
#   _routing    route computation, handed to a family: _routing_dor, _routing_tree, _routing_hyperx,
#               _routing_dragonfly, _routing_table (shared: _routing_base)
#   _allocators VC and switch allocation (separable iSLIP)
#   _router     one router's step: receive, route, allocate, traverse
#   _packets    the packet pool, source queues' tails, ejection and delivery
#   _sources    creation processes, destinations, sizes, message release, planes, injection
#   _messages   the release heap of collectives and traces
#   _statistics latency histograms and per-class counters
#   _inspection the per-cycle invariant check and the route probe
# This file: the cycle loop (one cycle: message releases, endpoint credits, creation, injection, the
# routers' step on n_threads threads, the merge in router order), construction, and the read-outs.
cimport cython
from cython.parallel cimport prange
from libc.stdlib cimport free
from libc.string cimport memset
from libc.math cimport log

from _types cimport *
from _rng cimport mix_seed
from _routing_base cimport FAMILY_SHIFT, FAMILY_TABLE
from _routing_dor cimport dor_modes
from _routing_tree cimport tree_modes
from _routing_hyperx cimport hyperx_modes
from _routing_dragonfly cimport dragonfly_modes
from _routing_table cimport table_modes
from _router cimport router_step, router_cycle
from _packets cimport grow_packets, eject
from _sources cimport endpoint_create, endpoint_send, release_message, first_arrival, drop_cut_off_queued
from _messages cimport heap_push, heap_pop
from _statistics cimport (grow_histograms, grow_series, series_sample, stat_class_injected, flush_counts,
                          COUNTS_PERIOD, N_SR, N_SE, N_SF, N_SS, SE_ACCEPTED_FLITS, ep_stat)
from _inspection cimport check_cycle, probe

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

STATUS_OK = ST_OK
STATUS_DRAINED = ST_DRAINED
STATUS_PACKET_LIMIT = ST_PACKET_LIMIT
STATUS_NO_MEMORY = ST_NO_MEMORY
STATUS_INVARIANT = ST_INVARIANT
STATUS_DEADLOCK = ST_DEADLOCK

# The integers Python hands the core, named here once; fabric/constants.py reads them from these tables.
# A routing family's file names its own modes
ROUTING_MODES = {**dor_modes(), **tree_modes(), **hyperx_modes(), **dragonfly_modes(), **table_modes()}
PORT_KINDS = {"none": PORT_NONE, "link": PORT_LINK, "endpoint": PORT_ENDPOINT}
TORUS_TIES = {"random": TIE_RANDOM, "positive": TIE_POSITIVE}
ROUTER_KINDS = {"iq": KIND_IQ, "oq": KIND_OQ}
# separable_output_first is iSLIP's one iteration (BookSim: both arbiters' pointers move past a match, and
# the router gives every request one priority; docs/switches.md)
ALLOCATORS = {"islip": ALLOC_ISLIP, "separable_output_first": ALLOC_ISLIP, "separable_input_first": ALLOC_INPUT_FIRST,
              "wavefront": ALLOC_WAVEFRONT, "pim": ALLOC_PIM, "max_size": ALLOC_MAX_SIZE}
PLANE_POLICIES = {"hash": PLANE_HASH, "random": PLANE_RANDOM, "least_loaded": PLANE_LEAST_LOADED}
DEST_MODES = {"uniform": DEST_UNIFORM, "table": DEST_TABLE, "alias": DEST_ALIAS, "rotate": DEST_ROTATE}
PROCESSES = {"bernoulli": PROC_BERNOULLI, "periodic": PROC_PERIODIC, "on_off": PROC_ON_OFF, "budget": PROC_BUDGET}

cdef enum:
    PREFETCH_ROUTERS = 4    # how far ahead step_block fetches a router's input-VC state
    PREFETCH_EJECTS = 8     # how far ahead the merge of ejections fetches their packets
    EJECT_CREDITS = 0x7FFF
    STAMP_LIMIT = 0x3FFFFFFF


CLASS_STATS = ("measured", "created_flits", "ejected_flits", "delivered", "sum_packet_latency",
               "sum_network_latency", "max_packet_latency", "max_network_latency", "sum_hops", "injected_flits")
MAX_ENDPOINTS = DEST_MASK
MAX_HOPS = HOPS_MASK
MAX_ROUTER_PORTS = 0x7FFF       # a local port is an int16 (out_lo, vc_port, the switch pointers)
MAX_ROUTER_VCS = 0xFFFF         # ports x VCs of a router: the VC allocation pointers are uint16
MAX_COORD_BITS = 32             # router coordinates are packed into one 32-bit key
MAX_PACKETS = 1 << 30


HUGE_PAGE = 1 << 21
ARENA_CHUNK = 16 * HUGE_PAGE


class _Shared:
    """What the set-up steps share: the ports' arrays as built (see Core._set_up_ports)."""

    def __init__(self, **mem):
        self.__dict__.update(mem)


class _Arrays:
    """The core's mem, taken from an _Arena and kept by name (Core._keep holds them, so they live as long
    as the core, and the read-outs find them)."""

    def __init__(self):
        self.arena = _Arena()
        self.keep = {}

    def copy(self, name, src, dtype):
        """A copy of src."""
        src = np.ascontiguousarray(src, dtype=dtype)
        out = self.arena.take(src.nbytes).view(dtype)[:src.size].reshape(src.shape)
        out[...] = src
        self.keep[name] = out
        return out

    def full(self, name, n, dtype, fill=0):
        """n (at least 1) entries of `fill`."""
        n = max(int(n), 1)
        out = self.arena.take(n * np.dtype(dtype).itemsize).view(dtype)[:n]
        if fill:
            out.fill(fill)
        self.keep[name] = out
        return out

    def raw(self, name, nbytes):
        """nbytes zeroed bytes."""
        out = self.arena.take(nbytes)
        self.keep[name] = out
        return out


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

    def __cinit__(self):
        self.pkts = NULL
        self.pkt_msg = NULL
        self.pkt_key = NULL
        self.port_flits = NULL
        self.cls_hist = NULL
        self.series_counts = NULL
        self.oq = NULL
        self.queued = False
        self.st_credit_stall = self.st_vc_cycles = self.st_router = self.st_endpoint = self.st_class_flow = NULL
        self.series_cap = self.series_used = 0
        self.series_next = NO_CYCLE
        self.C = 1
        self.n_msgs = 0
        self.pkt_cap = 0
        self.pkt_free = -1
        self.hist_cap = 0

    def __init__(self, dict net, cfg):
        mem = _Arrays()
        self._keep = mem.keep
        self._set_up_settings(cfg)
        self._set_up_router_classes(net, cfg, mem)
        ports = self._set_up_ports(net, cfg, mem)
        self._set_up_routing(net, cfg, mem, ports)
        self._set_up_router_state(cfg, mem, ports)
        self._set_up_links(cfg, mem, ports)
        self._set_up_queues(mem, ports)
        self._set_up_streams(cfg, mem)
        self._set_up_endpoints(mem)
        self._set_up_blocks(cfg, mem, ports)
        self._set_up_traffic(net, cfg, mem)
        self._set_up_messages(net, mem)
        self._set_up_statistics(cfg, mem)
        if grow_packets(self, min(1024, self.max_packets)) or grow_histograms(self, 1024):
            raise MemoryError("fabric core: cannot allocate the packet pool")

    def _set_up_settings(self, cfg):
        """The scalar settings, and the run's checks."""
        self.V = cfg.vcs
        self.B = max(s.vc_buffer for s in cfg.routers)
        self.queued = any(s.kind == KIND_OQ or s.internal_speedup[0] != s.internal_speedup[1] for s in cfg.routers)
        self.any_matching = any(max(s.sw_allocator, s.vc_allocator) >= ALLOC_WAVEFRONT for s in cfg.routers)
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
        self.deadlock_cycles = cfg.deadlock_cycles
        self.check_every_cycle = cfg.check
        self.bad[0] = 0
        self.c_last_move = 0

    def _set_up_router_classes(self, dict net, cfg, mem):
        """Each router class's settings (router.classes; fabric/core_config.py RouterSetup), and each
        router's class."""
        cdef cnp.ndarray a
        cdef RouterSetup *rs
        n_routers = len(net["port_indptr"]) - 1
        a = mem.raw("setup", len(cfg.routers) * sizeof(RouterSetup)); self.setup = <RouterSetup *> a.data
        for i, s in enumerate(cfg.routers):
            rs = &self.setup[i]
            rs.speedup_num, rs.speedup_den = s.internal_speedup
            rs.kind = s.kind
            rs.queued = s.kind == KIND_OQ or rs.speedup_num != rs.speedup_den
            rs.oq_limit = s.output_buffer if s.output_buffer > 0 and rs.queued else NO_LIMIT
            rs.B = s.vc_buffer
            rs.vcs = s.vcs
            rs.rd, rs.va, rs.sa, rs.st = s.routing_delay, s.vc_alloc_delay, s.sw_alloc_delay, s.st_delay
            rs.sw_alloc, rs.vc_alloc = s.sw_allocator, s.vc_allocator
            rs.sa_iters, rs.va_iters = s.sw_iters, s.vc_iters
        router_class = np.asarray(net.get("router_class", np.zeros(n_routers, np.int8)), np.int8)
        if len(router_class) != n_routers or (n_routers and not 0 <= int(router_class.min()) <= int(router_class.max())
                                              < len(cfg.routers)):
            raise ValueError("router_class: one class per router, each below the number of router setups")
        a = mem.copy("router_class", router_class if n_routers else np.zeros(1, np.int8), np.int8)
        self.router_class = <int8_t *> a.data
        # per router, its class's settings the per-port arrays are made of (construction only)
        fields = {"sa": "sw_alloc_delay", "st": "st_delay", "depth": "vc_buffer", "rd": "routing_delay",
                  "va": "vc_alloc_delay", "vcs": "vcs"}
        self._by_router = {key: np.array([getattr(s, name) for s in cfg.routers], np.int64)[router_class]
                           for key, name in fields.items()}

    def _set_up_ports(self, dict net, cfg, mem):
        """Ports, endpoints and router coordinates (packed into keys); what the later steps share."""
        cdef cnp.ndarray a
        indptr = mem.copy("port_indptr", net["port_indptr"], np.int32)
        self.n_routers = indptr.shape[0] - 1
        self.n_ports = int(indptr[self.n_routers])
        a = indptr; self.port_indptr = <int32_t *> a.data
        kinds = mem.copy("port_kind", net["port_kind"], np.int8)
        peers = mem.copy("port_peer", net["port_peer"], np.int32)
        lat = mem.copy("port_latency", net["port_latency"], np.int32)
        # a link of c cycles per flit sends one flit every c cycles; a flit's last part leaves c - 1
        # cycles after its first, so it (and the credit back over the same channel) takes c - 1 more
        cpf = np.ascontiguousarray(net.get("port_cpf", np.ones(len(kinds), np.int16)), np.int16)
        cpf = np.where(kinds == PORT_LINK, cpf, 1).astype(np.int16)
        lat = lat + (cpf.astype(np.int32) - 1)
        in_lat = np.where(kinds == PORT_LINK, lat[np.where(kinds == PORT_LINK, peers, 0)], 1) if len(kinds) else 1
        # a port's delays are its router's: switch allocation and traversal for the flits it sends, switch
        # allocation for the credits it returns
        router_of_port = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        sa, st = self._by_router["sa"][router_of_port], self._by_router["st"][router_of_port]
        flit_delay = (lat + sa + st - 1).astype(np.int32)
        credit_delay = (in_lat + sa).astype(np.int32)
        self.P = cfg.planes
        self.plane_policy = cfg.plane_policy
        self.draw_keys = (cfg.packet_keys or (self.P > 1 and self.plane_policy != PLANE_RANDOM))
        slots = mem.copy("slot_port", net["endpoint_port"], np.int32)
        a = slots; self.slot_port = <int32_t *> a.data
        eport = mem.copy("endpoint_port", slots[::self.P], np.int32)
        a = eport; self.endpoint_port = <int32_t *> a.data
        self.n_endpoints = eport.shape[0]
        # an endpoint port's peer, in the core: its slot (the endpoint's VCs in that plane)
        peers = peers.copy()
        peers[slots] = np.arange(len(slots), dtype=np.int32)
        if self.n_endpoints > MAX_ENDPOINTS:
            raise ValueError(f"the core supports at most {MAX_ENDPOINTS} endpoints")
        coords = np.ascontiguousarray(net["router_coords"], dtype=np.int64)
        dims = mem.copy("dims", net["dims"], np.int32)
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
        a = mem.copy("router_key", key if self.n_routers else [0], np.uint32); self.router_key = <uint32_t *> a.data
        return _Shared(indptr=indptr, kinds=kinds, peers=peers, lat=lat, cpf=cpf, flit_delay=flit_delay,
                       credit_delay=credit_delay, port_router=port_router, endpoint_router=endpoint_router, key=key)

    def _set_up_routing(self, dict net, cfg, mem, ports):
        """The routing families' tables (cext/_routing_*.pxd)."""
        cdef cnp.ndarray a
        self.df_p, self.df_a, self.df_h, self.df_g = cfg.dragonfly
        self.ugal_threshold = cfg.ugal_threshold
        self.ecmp_any_vc = cfg.ecmp_any_vc
        self.forced_choice = -1
        for d, offset in enumerate(np.asarray(net.get("row_offsets", []), dtype=np.int64).tolist()[:32]):
            self.row_offset[d] = offset
        zeros = np.zeros(max(self.n_routers, 1), np.int32)
        a = mem.copy("tree_lo", net.get("tree_lo", zeros), np.int32); self.tree_lo = <int32_t *> a.data
        a = mem.copy("tree_span", net.get("tree_span", zeros), np.int32); self.tree_span = <int32_t *> a.data
        a = mem.copy("tree_branch", net.get("tree_branch", zeros + 1), np.int32)
        self.tree_branch = <int32_t *> a.data
        a = mem.copy("tree_up0", net.get("tree_up0", zeros), np.int32); self.tree_up0 = <int32_t *> a.data
        a = mem.copy("tree_nup", net.get("tree_nup", zeros), np.int32); self.tree_nup = <int32_t *> a.data
        one16 = np.zeros(1, np.int16)
        a = mem.copy("dist_any", net.get("dist_any", one16), np.int16); self.dist_any = <int16_t *> a.data
        a = mem.copy("dist_down", net.get("dist_down", one16), np.int16); self.dist_down = <int16_t *> a.data
        a = mem.copy("port_far", net.get("port_far", np.full(max(self.n_ports, 1), -1, np.int32)), np.int32)
        self.port_far = <int32_t *> a.data
        a = mem.copy("port_up", net.get("port_up", np.zeros(max(self.n_ports, 1), np.int8)), np.int8)
        self.port_up = <int8_t *> a.data
        a = mem.copy("dist_any_after", net.get("dist_any_after", net.get("dist_any", one16)), np.int16)
        self.dist_any_after = <int16_t *> a.data
        a = mem.copy("dist_down_after", net.get("dist_down_after", net.get("dist_down", one16)), np.int16)
        self.dist_down_after = <int16_t *> a.data
        a = mem.copy("port_far_after", net.get("port_far_after", np.full(max(self.n_ports, 1), -1, np.int32)), np.int32)
        self.port_far_after = <int32_t *> a.data
        a = mem.copy("port_up_after", net.get("port_up_after", np.zeros(max(self.n_ports, 1), np.int8)), np.int8)
        self.port_up_after = <int8_t *> a.data
        a = mem.copy("ep_router", ports.endpoint_router, np.int32); self.ep_router = <int32_t *> a.data
        if self.route_mode >> FAMILY_SHIFT == FAMILY_TABLE and net.get("dist_any") is None:
            raise ValueError("table routing needs dist_any")
        a = mem.copy("ep_key", ports.key[ports.endpoint_router] if self.n_endpoints else [0], np.uint32)
        self.ep_key = <uint32_t *> a.data

    def _set_up_router_state(self, cfg, mem, ports):
        """Input VCs and their buffers, the VC masks, output VCs and their credits, the allocators' pointers."""
        cdef cnp.ndarray a
        cdef int64_t i
        NPV = self.n_ports * self.V
        a = mem.raw("ivc", NPV * sizeof(InVC) + 64)
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
        a = mem.raw("buf", NPV * self.B * 8 + 64)
        self.buf = <int64_t *> (a.data + (-(<size_t> a.data) & 63))   # 64-byte aligned, zeroed
        self.WV = (self.max_router_ports * self.V + 63) // 64
        a = mem.full("vcmask", self.n_routers * self.WV, np.uint64); self.vcmask = <uint64_t *> a.data
        a = mem.full("rc_mask", self.n_routers * self.WV, np.uint64, np.iinfo(np.uint64).max)   # every VC idle
        self.rc_mask = <uint64_t *> a.data
        a = mem.full("va_mask", self.n_routers * self.WV, np.uint64); self.va_mask = <uint64_t *> a.data
        local_vcs = np.arange(self.max_router_ports * self.V)
        a = mem.copy("vc_port", local_vcs // self.V, np.int16); self.vc_port = <int16_t *> a.data
        a = mem.copy("vc_index", local_vcs % self.V, np.int8); self.vc_index = <int8_t *> a.data
        a = mem.raw("pstate", self.n_ports * sizeof(PortState)); self.pstate = <PortState *> a.data
        for i in range(self.n_ports):
            self.pstate[i].free_vcs = ((<uint64_t>1) << self.V) - 1 if self.V < 64 else <uint64_t>-1
        # an output VC's credits: the depth of the input VC at the far end (its router's vc_buffer)
        depth = self._by_router["depth"][ports.port_router]
        mem.copy("port_depth", depth if self.n_ports else [0], np.int32)      # each input VC's depth
        far = np.where(ports.kinds == PORT_LINK, ports.peers, 0)
        initial = np.where(ports.kinds == PORT_LINK, depth[far] if self.n_ports else 0,
                           np.where(ports.kinds == PORT_ENDPOINT, EJECT_CREDITS, 0))
        # a router class with fewer VCs than the most: the VCs from its count on are never used, so the output
        # VCs towards it (or, at an ejection port, of it) start with no credit and are never free
        own_vcs = self._by_router["vcs"][ports.port_router]
        port_vcs = np.where(ports.kinds == PORT_LINK, own_vcs[far] if self.n_ports else 0, own_vcs)
        mem.copy("port_vcs", port_vcs if self.n_ports else [self.V], np.int32)
        usable = np.arange(self.V)[None, :] < port_vcs[:, None]
        a = mem.copy("credits", np.where(usable, np.repeat(initial, self.V).reshape(-1, self.V), 0), np.int16)
        self.credits = <int16_t *> a.data
        for i in range(self.n_ports):
            if port_vcs[i] < self.V:
                self.pstate[i].free_vcs = ((<uint64_t>1) << port_vcs[i]) - 1
        a = mem.full("va_gptr", NPV, np.uint16); self.va_gptr = <uint16_t *> a.data

    def _set_up_links(self, cfg, mem, ports):
        """The links' time slots and the ports' records (cext/_links.pxd)."""
        cdef cnp.ndarray a
        cdef int64_t i
        # Time slots: a power of two larger than the longest flit or credit delay.
        longest = (int(ports.lat.max()) if self.n_ports else 1) + int((self._by_router["sa"] + self._by_router["st"]).max(initial=2)) + 2
        if self.queued:
            longest += self.V * self.B      # credits wait their turn, one a cycle per port
        self.R = 1
        while self.R <= longest:
            self.R *= 2
        self.rmask = self.R - 1

        a = mem.full("link_flit", self.n_ports * self.R, np.int64, -1); self.link_flit = <int64_t *> a.data
        a = mem.copy("port_cpf", ports.cpf if self.n_ports else [1], np.int16); self.port_cpf = <int16_t *> a.data
        a = mem.full("port_free", self.n_ports, np.int64); self.port_free = <int64_t *> a.data
        if cfg.count_ports or cfg.stats:
            a = mem.full("port_flits", self.n_ports, np.int64); self.port_flits = <int64_t *> a.data
        self.any_slow = bool(self.n_ports and int(ports.cpf.max()) > 1)
        self.WP = (self.max_router_ports + 7) // 8
        self.plain = (self.WV == 1 and self.WP == 1 and not self.any_slow and not self.queued
                      and bool(np.all(self._by_router["rd"] == 1) and np.all(self._by_router["va"] == 1)))
        a = mem.full("arrive", self.R * self.n_routers * self.WP, np.uint64); self.arrive = <uint64_t *> a.data
        a = mem.full("credit_in", self.R * self.n_routers * self.WP, np.uint64)
        self.credit_in = <uint64_t *> a.data
        self.slot_bytes = self.n_routers * self.WP * 8
        # where the far end of each link port (an endpoint port: the port itself) has its byte
        local = np.arange(self.n_ports, dtype=np.int64) - ports.indptr[ports.port_router].astype(np.int64)
        far = np.where(ports.kinds == PORT_LINK, ports.peers, np.arange(self.n_ports))
        far_byte = ports.port_router.astype(np.int64)[far] * self.WP * 8 + local[far]
        a = mem.raw("port", self.n_ports * sizeof(Port)); self.port = <Port *> a.data
        columns = zip(ports.peers.tolist(), far_byte.tolist(), ports.flit_delay.tolist(), ports.credit_delay.tolist(),
                      ports.kinds.tolist())
        for i, (pp, pb, fd, cd, kd) in enumerate(columns):
            self.port[i].peer = pp
            self.port[i].peer_byte = pb
            self.port[i].flit_delay = fd
            self.port[i].credit_delay = cd
            self.port[i].kind = kd

    def _set_up_queues(self, mem, ports):
        """The output queues (cext/_output_queues.pxd), when the router has them: a ring per output VC of
        vc_buffer flits to start with (the most an input-queued router's link port can hold: its flits hold
        credits), which grows where nothing bounds it."""
        cdef cnp.ndarray a
        cdef int64_t i, n = self.n_ports * self.V, cap = self.B
        cdef int64_t *items
        self.WQ = (self.max_router_ports + 63) // 64
        if not self.queued:
            return
        a = mem.raw("oq", n * sizeof(OutQueue)); self.oq = <OutQueue *> a.data
        a = mem.raw("oq_port", self.n_ports * sizeof(PortQueue)); self.oq_port = <PortQueue *> a.data
        a = mem.full("oq_ports", self.n_routers * self.WQ, np.uint64); self.oq_ports = <uint64_t *> a.data
        a = mem.full("credit_next", self.n_ports, np.int64); self.credit_next = <int64_t *> a.data
        a = mem.raw("oq_items", n * cap * 2 * 8); items = <int64_t *> a.data
        for i in range(n):
            self.oq[i].items = &items[i * cap * 2]
            self.oq[i].cap = cap
        for i in range(self.n_ports):
            self.oq_port[i].last_order = -1

    def _set_up_streams(self, cfg, mem):
        """The random streams: one per router, and two per endpoint (its draws, and its packets' keys)."""
        cdef cnp.ndarray a
        cdef int64_t i, r
        seed = int(cfg.seed) & 0xFFFFFFFFFFFFFFFF
        self._seed = seed
        a = mem.full("router_rng", self.n_routers, np.uint64); self.router_rng = <uint64_t *> a.data
        for r in range(self.n_routers):
            self.router_rng[r] = mix_seed(seed, 2 * <uint64_t>r + 1)
        a = mem.full("ep_rng", self.n_endpoints, np.uint64); self.ep_rng = <uint64_t *> a.data
        for i in range(self.n_endpoints):
            self.ep_rng[i] = mix_seed(seed, 2 * <uint64_t>i + 2)
        a = mem.full("key_rng", self.n_endpoints, np.uint64); self.key_rng = <uint64_t *> a.data
        for i in range(self.n_endpoints):
            self.key_rng[i] = mix_seed(seed, (<uint64_t>1 << 48) + <uint64_t>i)

    def _set_up_endpoints(self, mem):
        """Source queues and injection channels (cext/_sources.pxd)."""
        cdef cnp.ndarray a
        cdef int64_t i
        NEV = self.n_endpoints * self.P * self.V
        a = mem.full("ep_next_arrival", self.n_endpoints, np.int64, NO_CYCLE)
        self.ep_next_arrival = <int64_t *> a.data
        a = mem.full("ep_q_head", self.n_endpoints, np.int32, -1); self.ep_q_head = <int32_t *> a.data
        a = mem.full("ep_q_tail", self.n_endpoints, np.int32, -1); self.ep_q_tail = <int32_t *> a.data
        a = mem.full("ep_queued", (self.n_endpoints + 63) // 64, np.uint64); self.ep_queued = <uint64_t *> a.data
        a = mem.full("ep_cur_vc", self.n_endpoints, np.int16, -1); self.ep_cur_vc = <int16_t *> a.data
        a = mem.full("ep_cur_plane", self.n_endpoints, np.int16, -1); self.ep_cur_plane = <int16_t *> a.data
        a = mem.full("ep_cur_sent", self.n_endpoints, np.int32); self.ep_cur_sent = <int32_t *> a.data
        a = mem.full("ep_last_vc", self.n_endpoints * self.P, np.int16, self.V - 1)
        self.ep_last_vc = <int16_t *> a.data
        a = mem.raw("ep_ovc", NEV * sizeof(OutVC)); self.ep_ovc = <OutVC *> a.data
        depth = self._keep["port_depth"]
        vcs = self._keep["port_vcs"]        # (an endpoint port's: its router's VCs)
        for i in range(NEV):
            self.ep_ovc[i].credits = depth[self.slot_port[i // self.V]] if i % self.V < vcs[self.slot_port[i // self.V]] else 0

    def _set_up_blocks(self, cfg, mem, ports):
        """The routers' blocks, one per thread, with their scratch (Work)."""
        cdef cnp.ndarray a
        self.n_threads = max(1, cfg.threads)
        # one block of contiguous routers per thread: neighbours then mostly share a thread, and fewer
        # flits and credits cross between the cores' caches. (Eight blocks per thread, taken in turn,
        # measured 3% slower on the 25^3 torus and 5% on clos15488, both on two threads.)
        self.n_blocks = min(self.n_threads, max(1, self.n_routers))
        assert sizeof(Work) % 64 == 0, sizeof(Work)
        assert sizeof(InVC) == 32, sizeof(InVC)            # two VCs to a cache line
        a = mem.raw("works", self.n_blocks * sizeof(Work) + 64)
        self.works = <Work *> (a.data + (-(<size_t> a.data) & 63))    # 64-byte aligned
        MPV = self.max_router_ports * self.V
        endpoint_ports = np.bincount(ports.port_router[ports.kinds == PORT_ENDPOINT], minlength=self.n_routers)
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
            # the int32 scratch mem, MPV entries each, in one block
            a = mem.full(f"scratch{t}", 10 * MPV, np.int32); scratch = <int32_t *> a.data
            wk.req_in, wk.req_out, wk.req_vc = scratch, scratch + M, scratch + 2 * M
            wk.va_req, wk.best_req, wk.best_dist = scratch + 3 * M, scratch + 4 * M, scratch + 5 * M
            wk.mark = scratch + 6 * M
            wk.won, wk.done = scratch + 7 * M, scratch + 8 * M
            a = mem.full(f"va_cand{t}", MPV, np.uint64); wk.va_cand = <uint64_t *> a.data
            wk.mark_stamp = 0
            wk.va_more = 0
            wk.flit_hops = wk.injected = wk.status = wk.n_eject = wk.drained = 0
            # at most one flit leaves each injection buffer per cycle: one credit per slot (endpoint, plane)
            a = mem.full(f"ep_credit{t}", wk.cap * self.R, np.int32); wk.ep_credit = <int32_t *> a.data
            a = mem.full(f"ep_credit_n{t}", self.R, np.int32); wk.ep_credit_n = <int32_t *> a.data
            # and at most one flit leaves each ejection channel
            a = mem.full(f"eject_flit{t}", wk.cap, np.int64); wk.eject_flit = <int64_t *> a.data
            a = mem.full(f"eject_at{t}", wk.cap, np.int64); wk.eject_at = <int64_t *> a.data
            a = mem.full(f"cls_injected{t}", self.C, np.int64); wk.cls_injected = <int64_t *> a.data
        self._set_up_matchings(mem, MPV)

    def _set_up_matchings(self, mem, Py_ssize_t nodes):
        """The allocators' state: wavefront's and max_size's starts, PIM's streams, and the matchings' scratch
        per block (cext/_matching.pxd): pairs for the VC allocator's (input VC, output VC) requests."""
        cdef cnp.ndarray a
        cdef Matching *m
        cdef int32_t *s
        cdef int64_t r
        cdef Py_ssize_t pairs = nodes * self.V
        a = mem.full("alloc_state", 2 * self.n_routers, np.int32); self.alloc_state = <int32_t *> a.data
        a = mem.full("alloc_rng", self.n_routers, np.uint64); self.alloc_rng = <uint64_t *> a.data
        for r in range(self.n_routers):
            self.alloc_rng[r] = mix_seed(self._seed, (<uint64_t>2 << 48) + <uint64_t>r)
        self.matching = NULL
        if not self.any_matching:
            return
        a = mem.raw("matching", self.n_blocks * sizeof(Matching)); self.matching = <Matching *> a.data
        for t in range(self.n_blocks):
            m = &self.matching[t]
            a = mem.full(f"match_pairs{t}", 4 * pairs, np.int32); s = <int32_t *> a.data
            m.left, m.right, m.req, m.won = s, s + pairs, s + 2 * pairs, s + 3 * pairs
            a = mem.full(f"match_keys{t}", max(pairs, nodes), np.int64); m.key = <int64_t *> a.data
            a = mem.full(f"match_nodes{t}", 14 * nodes, np.int32); s = <int32_t *> a.data
            m.lmark, m.lmatch, m.lfirst, m.lcount = s, s + nodes, s + 2 * nodes, s + 3 * nodes
            m.rmark, m.rmatch, m.rseen, m.roff = s + 4 * nodes, s + 5 * nodes, s + 6 * nodes, s + 7 * nodes
            m.rbest, m.rdist, m.rfrom = s + 8 * nodes, s + 9 * nodes, s + 10 * nodes
            m.stack, m.next_stack = s + 11 * nodes, s + 12 * nodes
            m.stamp = 0

    def _set_up_traffic(self, dict net, cfg, mem):
        """Per class and endpoint: destination tables, rates, sizes, and each generator's first creation
        (fabric/traffic/*.py, fabric/build.py)."""
        cdef cnp.ndarray a
        cdef int64_t i
        classes = cfg.classes
        # traffic: per class and endpoint, destination tables, rates, sizes (fabric/traffic/*.py, fabric/build.py)
        E1 = max(self.n_endpoints, 1)
        G = self.C * E1
        a = mem.copy("cls_dest_mode", [c.dest_mode for c in classes], np.int8); self.cls_dest_mode = <int8_t *> a.data
        a = mem.copy("cls_process", [c.process for c in classes], np.int8); self.cls_process = <int8_t *> a.data
        a = mem.copy("cls_allow_self", [int(c.allow_self) for c in classes], np.int8)
        self.cls_allow_self = <int8_t *> a.data
        a = mem.full("cls_log1m_alpha", self.C, np.float64); self.cls_log1m_alpha = <double *> a.data
        a = mem.full("cls_log1m_beta", self.C, np.float64); self.cls_log1m_beta = <double *> a.data
        for i, c in enumerate(classes):
            self.cls_log1m_alpha[i] = log(1.0 - c.on_alpha) if c.on_alpha < 1.0 else 0.0
            self.cls_log1m_beta[i] = log(1.0 - c.on_beta) if c.on_beta < 1.0 else 0.0
        a = mem.copy("dest_table", net.get("dest_table", np.full(G, -1)), np.int32)
        self.dest_table = <int32_t *> a.data
        a = mem.copy("alias_row", net.get("alias_row", np.zeros(G)), np.int32); self.alias_row = <int32_t *> a.data
        a = mem.copy("alias_lo", net.get("alias_lo", np.zeros(2)), np.int32); self.alias_lo = <int32_t *> a.data
        a = mem.copy("alias_prob", net.get("alias_prob", np.ones(1)), np.float64); self.alias_prob = <double *> a.data
        a = mem.copy("alias_idx", net.get("alias_idx", np.zeros(1)), np.int32); self.alias_idx = <int32_t *> a.data
        a = mem.copy("alias_dest", net.get("alias_dest", np.zeros(1)), np.int32); self.alias_dest = <int32_t *> a.data
        a = mem.full("ep_counter", G, np.int64); self.ep_counter = <int64_t *> a.data
        rate = np.broadcast_to(np.asarray(net.get("ep_packet_rate", self.packet_rate), np.float64), (G,)).copy()
        table = np.asarray(net.get("dest_table", np.full(G, -1)))
        for i, c in enumerate(classes):
            if c.dest_mode == DEST_TABLE:
                rate[i * E1:(i + 1) * E1] = np.where(table[i * E1:(i + 1) * E1] >= 0, rate[i * E1:(i + 1) * E1], 0.0)
        a = mem.full("ep_log1mp", G, np.float64); self.ep_log1mp = <double *> a.data
        for i in range(self.C * self.n_endpoints):
            self.ep_log1mp[i] = log(1.0 - rate[i]) if 0.0 < rate[i] < 1.0 else 0.0   # libm's log, as before
        a = mem.copy("ep_period", np.where(rate > 0, 1.0 / np.maximum(rate, 1e-300), 0.0), np.float64)
        self.ep_period = <double *> a.data
        a = mem.full("ep_phase", G, np.float64); self.ep_phase = <double *> a.data
        a = mem.full("ep_on_until", G, np.int64); self.ep_on_until = <int64_t *> a.data
        sizes = np.concatenate([np.asarray(c.sizes, np.int32) for c in classes])
        cum = np.concatenate([np.cumsum(c.size_weights) / np.sum(c.size_weights) for c in classes])
        a = mem.copy("cls_size_lo", np.cumsum([0] + [len(c.sizes) for c in classes]), np.int32)
        self.cls_size_lo = <int32_t *> a.data
        a = mem.copy("size_value", sizes, np.int32); self.size_value = <int32_t *> a.data
        a = mem.copy("size_cum", cum, np.float64); self.size_cum = <double *> a.data
        a = mem.full("cls_stats", self.C * N_CLS_STATS, np.int64); self.cls_stats = <int64_t *> a.data

        # First creation of each generator's process (the processes start at cycle 0).
        if self.C == 1:
            self.gen_next = self.ep_next_arrival
        else:
            a = mem.full("gen_next", G, np.int64, NO_CYCLE); self.gen_next = <int64_t *> a.data
        for c in range(self.C):
            for i in range(self.n_endpoints):
                g = c * self.n_endpoints + i
                self.gen_next[g] = first_arrival(self, i, g, c, rate[g], classes[c].on_share)
                if classes[c].start and self.gen_next[g] != NO_CYCLE:     # the class starts later: shift it
                    self.gen_next[g] += classes[c].start
                    if classes[c].process == PROC_PERIODIC:
                        self.ep_phase[g] += classes[c].start
                    elif classes[c].process == PROC_ON_OFF and self.ep_on_until[g] != NO_CYCLE:
                        self.ep_on_until[g] += classes[c].start
        if self.C > 1:
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = min(self.gen_next[c * self.n_endpoints + i] for c in range(self.C))
        a = mem.full("ep_budget", E1, np.int64, cfg.budget); self.ep_budget = <int64_t *> a.data
        a = mem.full("ep_last_arrival", E1, np.int64, -1); self.ep_last_arrival = <int64_t *> a.data
        self.c_budget_left = 0
        self.c_last_arrival = -1
        if self.process == PROC_BUDGET:
            self.c_budget_left = cfg.budget * self.n_endpoints
            for i in range(self.n_endpoints):
                self.ep_next_arrival[i] = 0 if self.ep_budget[i] > 0 else NO_CYCLE

    def _set_up_messages(self, dict net, mem):
        """The messages of a closed-loop workload: the ones that wait for nothing go on the release heap."""
        cdef cnp.ndarray a
        cdef int64_t i
        # messages: the ones that wait for nothing go on the release heap
        self.n_msgs = len(net.get("msg_src", ()))
        M1 = max(self.n_msgs, 1)
        a = mem.copy("msg_src", net.get("msg_src", np.zeros(1)), np.int32); self.msg_src = <int32_t *> a.data
        a = mem.copy("msg_dest", net.get("msg_dest", np.zeros(1)), np.int32); self.msg_dest = <int32_t *> a.data
        a = mem.copy("msg_flits", net.get("msg_flits", np.zeros(1)), np.int32); self.msg_flits = <int32_t *> a.data
        a = mem.copy("msg_start", net.get("msg_start", np.zeros(1)), np.int64); self.msg_start = <int64_t *> a.data
        a = mem.copy("msg_delay", net.get("msg_delay", np.zeros(1)), np.int64); self.msg_delay = <int64_t *> a.data
        a = mem.copy("msg_ndeps", net.get("msg_ndeps", np.zeros(1)), np.int32); self.msg_ndeps = <int32_t *> a.data
        a = mem.copy("dep_indptr", net.get("dep_indptr", np.zeros(2)), np.int32); self.dep_indptr = <int32_t *> a.data
        a = mem.copy("dep_list", net.get("dep_list", np.zeros(1)), np.int32); self.dep_list = <int32_t *> a.data
        a = mem.full("msg_left", M1, np.int32); self.msg_left = <int32_t *> a.data
        a = mem.full("msg_release", M1, np.int64, -1); self.msg_release = <int64_t *> a.data
        a = mem.full("msg_done", M1, np.int64, -1); self.msg_done = <int64_t *> a.data
        a = mem.full("heap_time", M1, np.int64); self.heap_time = <int64_t *> a.data
        a = mem.full("heap_msg", M1, np.int32); self.heap_msg = <int32_t *> a.data
        # faults: the endpoints the surviving network joins, plane by plane (traffic between others is dropped)
        self.faulty = "ep_component" in net
        a = mem.copy("ep_component", net.get("ep_component", np.zeros(1)), np.int32); self.ep_comp = <int32_t *> a.data
        a = mem.copy("ep_component_after", net.get("ep_component_after", net.get("ep_component", np.zeros(1))),
                     np.int32)
        self.ep_comp_after = <int32_t *> a.data
        self.fault_at = int(net.get("fault_at", -1))
        a = mem.copy("port_failed", net.get("port_failed", np.zeros(1)), np.uint8); self.port_failed = <uint8_t *> a.data
        self.heap_n = 0
        self.c_msgs_left = self.n_msgs
        for i in range(self.n_msgs):
            if self.msg_ndeps[i] == 0:
                heap_push(self, self.msg_start[i], <int32_t>i)

    def _set_up_statistics(self, cfg, mem):
        """The activity counters and the time series, when the run asks for them (cfg stats, stats_interval)."""
        cdef cnp.ndarray a
        if not cfg.stats:
            return
        a = mem.full("st_credit_stall", self.n_ports, np.int64); self.st_credit_stall = <int64_t *> a.data
        a = mem.full("st_vc_cycles", self.n_ports * self.V, np.int64); self.st_vc_cycles = <int64_t *> a.data
        a = mem.full("st_router", self.n_routers * N_SR, np.int64); self.st_router = <int64_t *> a.data
        a = mem.full("st_endpoint", self.n_endpoints * N_SE, np.int64); self.st_endpoint = <int64_t *> a.data
        if cfg.stats_interval > 0:
            self.series_interval = cfg.stats_interval
            a = mem.full("st_class_flow", self.C * N_SF, np.int64); self.st_class_flow = <int64_t *> a.data
            if grow_series(self, min(self.hist_limit // self.series_interval + 2, 1 << 16)):
                raise MemoryError("fabric core: cannot allocate the time series")
            series_sample(self)         # the first bucket's start: cycle 0

    def __dealloc__(self):
        cdef int64_t i
        free(self.pkts)
        free(self.pkt_msg)
        free(self.pkt_key)
        free(self.cls_hist)
        free(self.hist_packet)
        free(self.hist_network)
        free(self.series_counts)
        if self.oq != NULL:
            for i in range(self.n_ports * self.V):
                if self.oq[i].owned:
                    free(self.oq[i].items)

    # ------------------------------------------------------------------ running

    def run(self, cycle_t until, bint stop_when_drained=False):
        """Step the network until cycle `until` (exclusive) or, with stop_when_drained, until every
        measured packet has arrived. Returns a status code (STATUS_*)."""
        cdef int status
        with nogil:
            status = run_cycles(self, until, stop_when_drained)
        return status

    # ------------------------------------------------------------------ read-outs (fabric/statistics.py)

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
            "dropped_packets": self.c_dropped_packets,
            "dropped_flits": self.c_dropped_flits,
            "drained_flits": self.c_drained_flits,
            "in_flight_at_fault": self.c_in_flight_at_fault,
            "dropped_in_queue": self.c_dropped_in_queue,
        }

    def histograms(self):
        """(packet, network) latency histograms of measured packets: bin = cycles."""
        cdef int64_t i
        hp = np.empty(self.hist_cap, np.int64)
        hn = np.empty(self.hist_cap, np.int64)
        for i in range(self.hist_cap):
            hp[i] = self.hist_packet[i]
            hn[i] = self.hist_network[i]
        return hp, hn

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

    def messages(self):
        """(release, done) cycles of every message, -1 where it has not happened."""
        k = self._keep
        return k["msg_release"][: self.n_msgs].copy(), k["msg_done"][: self.n_msgs].copy()

    def last_arrivals(self):
        """Budget workloads: each endpoint's latest tail arrival (-1 none)."""
        return self._keep["ep_last_arrival"][: self.n_endpoints].copy()

    def port_flit_counts(self):
        """Flits sent out of each port since cycle 0 (router-to-router links and ejection channels),
        ndarray (n_ports,); None unless the core was made with cfg count_ports."""
        if self.port_flits == NULL:
            return None
        flush_counts(self)
        return np.asarray(self._keep["port_flits"][: self.n_ports]).copy()

    def activity(self):
        """The activity counters since cycle 0 (cfg stats), copies, or None: a dict of
        ``now``; ``port_flits`` and ``credit_stall`` (n_ports,); ``vc_cycles`` (n_ports, vcs), flit-cycles
        spent in each input VC's buffer; ``router`` (n_routers, 4): VC-allocation requests and grants,
        switch-allocation requests and grants; ``endpoint`` (n_endpoints, 8): packets and flits created,
        flits injected, flit-cycles in the source queue, flits accepted, and the measured packets
        delivered to it with the sum and the largest of their latencies. All but the last two grow with
        time, so the difference of two read-outs is what happened between them."""
        cdef int64_t e, i, n, flits, waited
        cdef int32_t pid
        cdef Packet *pkt
        if self.st_endpoint == NULL:
            return None
        k = self._keep
        flush_counts(self)
        n = self.n_endpoints
        counts = k["st_endpoint"][: n * N_SE]
        created, queue_cycles = counts[: 2 * n].reshape(n, 2), counts[2 * n: 3 * n]
        received = counts[3 * n:].reshape(n, 4)
        # what the source queues hold: flits created, not yet injected, and waiting until now
        queued = np.zeros((n, 2), np.int64)
        for e in range(n):
            pid = self.ep_q_head[e]
            flits = waited = 0
            i = self.ep_cur_sent[e]             # flits of the front packet already sent
            while pid >= 0:
                pkt = &self.pkts[pid]
                flits += pkt.size - i
                waited += (pkt.size - i) * (self.now - pkt.create)
                i = 0
                pid = pkt.next
            queued[e, 0], queued[e, 1] = flits, waited
        # in fabric/activity.py's ENDPOINT_COUNTS order: injected = created - queued
        endpoint = np.column_stack([created, created[:, 1] - queued[:, 0], queue_cycles + queued[:, 1], received])
        return {
            "now": self.now,
            "port_flits": k["port_flits"][: self.n_ports].copy(),
            "credit_stall": k["st_credit_stall"][: self.n_ports].copy(),
            "vc_cycles": k["st_vc_cycles"][: self.n_ports * self.V].reshape(-1, self.V).copy(),
            "router": k["st_router"][: self.n_routers * N_SR].reshape(-1, N_SR).copy(),
            "endpoint": endpoint,
        }

    def series(self):
        """The time series (cfg stats_interval), or None: (counts, lost). counts is (buckets, classes, 6):
        flits created, flits accepted, packets delivered and the sum of their latencies in each bucket's
        cycles, and the flits in the network and in source queues as it started (a bucket that starts after
        now was not sampled yet). lost is
        True if a bucket could not be stored. fabric/statistics.py (series_edges) gives the buckets' cycles."""
        cdef int64_t i, n
        if self.series_counts == NULL:
            return None
        n = self.series_used * self.C * N_SS
        out = np.empty(n, np.int64)
        for i in range(n):
            out[i] = self.series_counts[i]
        return out.reshape(self.series_used, self.C, N_SS), bool(self.series_lost)

    # ------------------------------------------------------------------ inspection: for checks and tests

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

    def buffer_occupancy(self):
        """Flits buffered per (port, vc): ndarray of shape (n_ports, vcs)."""
        return per_vc(self, 0)

    def output_credits(self):
        """Credits per (port, vc) of the output side: ndarray of shape (n_ports, vcs)."""
        return per_vc(self, 1)

    def output_queue_occupancy(self):
        """Flits in each output VC's queue (router.internal_speedup, router.kind "oq"): ndarray of shape
        (n_ports, vcs), zeros for a router without output queues."""
        cdef int64_t i
        out = np.zeros(self.n_ports * self.V, np.int64)
        if self.queued:
            for i in range(self.n_ports * self.V):
                out[i] = self.oq[i].count
        return out.reshape(self.n_ports, self.V)

    def flits_in_network(self):
        """Flits in router buffers and output queues plus flits on links (injection channels included)."""
        on_links = int(np.count_nonzero(self._keep["link_flit"][: self.n_ports * self.R] >= 0))
        return int(self.buffer_occupancy().sum()) + int(self.output_queue_occupancy().sum()) + on_links

    def check_credits(self, report=False):
        """True when, for every link and VC, the sender's credits + the receiver's buffered flits +
        flits and credits in flight (+ the flits in the sender's output queue, which took their credits at
        switch allocation in an input-queued router) equal the buffer depth."""
        k = self._keep
        R, B, V, WP = self.R, self.B, self.V, self.WP
        kinds = k["port_kind"][: self.n_ports]
        peer = k["port_peer"][: self.n_ports]
        indptr = k["port_indptr"]
        router = np.repeat(np.arange(self.n_routers), np.diff(indptr))
        credits = self.output_credits()
        count = self.buffer_occupancy()
        holding = self.output_queue_occupancy()
        port_oq = np.array([self.setup[self.router_class[r]].kind == KIND_OQ for r in range(self.n_routers)],
                           bool)[router] if self.n_routers else np.zeros(0, bool)
        holding[port_oq] = 0        # an output-queued router's queued flits take their credits as they leave
        depth = self._keep["port_depth"]
        port_vcs = self._keep["port_vcs"]
        slots = lambda name: k[name][: R * self.n_routers * WP].view(np.uint8).reshape(R, self.n_routers * WP * 8)
        arriving, crediting = slots("arrive"), slots("credit_in")

        def in_flight(bytes_, port, v):
            column = bytes_[:, router[port] * WP * 8 + port - indptr[router[port]]]
            return int(np.count_nonzero(column == v + 1))

        wrong = []
        for p in np.flatnonzero(kinds == PORT_LINK):
            q = peer[p]
            for v in range(V):
                total = (credits[p, v] + count[q, v] + in_flight(arriving, q, v) + in_flight(crediting, p, v)
                         + holding[p, v])
                if total != (depth[q] if v < port_vcs[p] else 0):
                    if not report:
                        return False
                    wrong.append((int(p), v, int(credits[p, v]), int(count[q, v]), in_flight(arriving, q, v),
                                  in_flight(crediting, p, v)))
        return wrong if report else True

    def probe_route(self, int router, int in_port, int in_vc, int dest, int choice=0, int hops=0, int pid=0):
        """What route computation decides for a head flit to endpoint `dest` that came in on local port
        `in_port`, VC `in_vc`, of `router`, having crossed `hops` links: (local output port, bit mask of
        the output VCs allowed).
        `choice` stands in for the routing's random draws (up port index, coin), and `pid` is the packet
        id (Valiant's intermediate group, ROMM's intermediate router), so tests can follow every path the
        routing may take. Leaves the simulation state as it was."""
        cdef uint64_t allowed
        cdef int out_port = probe(self, router, self.port_indptr[router] + in_port, in_vc, dest, choice, hops, pid,
                                        &allowed)
        return out_port, int(allowed)

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
        cdef int32_t[::1] outs = np.empty(max(1, self.max_router_ports), np.int32)
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
                        first = probe(self, r, p, 0, d, 0, hops, 0, &allowed)
                        second = probe(self, r, p, 0, d, 1, hops, 0, &allowed)
                        k = 1
                        outs[0] = first
                        if second != first:     # the routing draws: collect every distinct port
                            nports = self.port_indptr[r + 1] - self.port_indptr[r]
                            for c in range(1, nports):
                                out = second if c == 1 else probe(self, r, p, 0, d, c, hops, 0, &allowed)
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


# ---------------------------------------------------------------------- the cycle loop


cdef void send_endpoints(Core self) noexcept nogil:
    """Every endpoint with a packet queued sends a flit if it can (on n_threads threads, each taking
    its block's endpoints; what they did is merged with the routers' step)."""
    cdef int t
    if self.n_threads == 1:
        send_block(self, &self.works[0], 0, (self.n_endpoints + 63) // 64)
    else:
        for t in prange(self.n_blocks, num_threads=self.n_threads, schedule="static", chunksize=1):
            send_block(self, &self.works[t], self.works[t].e_lo, self.works[t].e_hi)


cdef inline void send_block(Core self, Work *w, int lo, int hi) noexcept nogil:
    """The endpoints of words lo .. hi-1 of ep_queued with a packet queued send, in endpoint order."""
    cdef int k
    cdef uint64_t bits
    for k in range(lo, hi):
        bits = self.ep_queued[k]
        while bits:
            endpoint_send(self, w, 64 * k + ctz64(bits))
            bits &= bits - 1


cdef int step_routers(Core self) noexcept nogil:
    """Every router's step of this cycle, on n_threads threads (each a contiguous block of routers),
    then what they did, merged block by block, in router order: the result does not depend on the
    thread count, as every read in a cycle sees the state the previous cycle left (the bytes a
    router writes for another, a flit or a credit on its way, are for later cycles)."""
    cdef int t, i, status = ST_OK
    cdef Work *w
    self.cm_now = &self.credit_in[(self.now & self.rmask) * self.n_routers * self.WP]
    self.am_prev = &self.arrive[((self.now - 1) & self.rmask) * self.n_routers * self.WP]
    self.link_prev = &self.link_flit[((self.now - 1) & self.rmask) * self.n_ports]
    if self.n_threads == 1:
        step_shaped(self, &self.works[0])
    else:
        for t in prange(self.n_blocks, num_threads=self.n_threads, schedule="static", chunksize=1):
            step_shaped(self, &self.works[t])
    for t in range(self.n_blocks):
        w = &self.works[t]
        if w.status != ST_OK and status == ST_OK:
            status = w.status
        w.status = ST_OK
        if w.flit_hops or w.injected or w.n_eject:    # a flit moved onto a link, in, or out
            self.c_last_move = self.now
        self.c_flit_hops += w.flit_hops
        w.flit_hops = 0
        self.c_drained_flits += w.drained
        w.drained = 0
        self.c_injected_flits += w.injected
        self.c_source_flits -= w.injected
        if self.window_start <= self.now < self.window_end:
            self.c_window_injected_flits += w.injected
            if self.C > 1:
                for i in range(self.C):
                    self.cls_stats[i * N_CLS_STATS + CS_INJECTED_FLITS] += w.cls_injected[i]
        stat_class_injected(self, w.cls_injected if self.C > 1 else &w.injected)
        if self.C > 1:
            memset(w.cls_injected, 0, self.C * sizeof(int64_t))
        w.injected = 0
        for i in range(w.n_eject):
            # each ejection reads its packet, a random line of the pool: fetch a few ahead (this
            # merge is serial, and waiting for those lines was three quarters of it)
            if i + PREFETCH_EJECTS < w.n_eject:
                prefetch(&self.pkts[(w.eject_flit[i + PREFETCH_EJECTS] >> PID_SHIFT) & PID_MASK], 1)
                if self.st_endpoint != NULL:
                    prefetch(ep_stat(self, SE_ACCEPTED_FLITS, flit_dest(w.eject_flit[i + PREFETCH_EJECTS])), 1)
            eject(self, w.eject_flit[i], w.eject_at[i])
        w.n_eject = 0
    return status


cdef inline void step_shaped(Core self, Work *w) noexcept nogil:
    """Block w's step in the copy compiled for the network's shape (Plain, General, or Queued when some
    routers have output queues) and for whether the run counts activity."""
    cdef Plain *plain = NULL
    cdef General *general = NULL
    cdef Queued *queued = NULL
    cdef Silent *silent = NULL
    cdef Counting *counting = NULL
    if self.port_flits == NULL:
        if self.plain:
            step_block(self, w, plain, silent)
        elif self.queued:
            step_block(self, w, queued, silent)
        else:
            step_block(self, w, general, silent)
    elif self.plain:
        step_block(self, w, plain, counting)
    elif self.queued:
        step_block(self, w, queued, counting)
    else:
        step_block(self, w, general, counting)


cdef void prefetch_vcs(Core self, int r) noexcept nogil:
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


cdef void prefetch_queues(Core self, int r) noexcept nogil:
    """Fetch the records of router r's output queues that hold flits (the end of its cycle sends from them)."""
    cdef int i, lo, p0 = self.port_indptr[r]
    cdef uint64_t bits
    for i in range(self.WQ):
        bits = self.oq_ports[r * self.WQ + i]
        while bits:
            lo = 64 * i + ctz64(bits)
            bits &= bits - 1
            prefetch(&self.oq_port[p0 + lo], 1)
            prefetch(&self.oq[(p0 + lo) * self.V], 1)


cdef void step_block(Core self, Work *w, Shape *shape, Count *counts) noexcept nogil:
    """The step of block w's routers (w.lo .. w.hi-1) in this cycle. A router with no flits buffered
    and no flit or credit arriving has nothing to do (its step would change nothing): it is skipped
    after a look at its VC mask and arrival and credit words."""
    cdef int r, ahead, WV = mask_words(self, shape), WP = port_words(self, shape)
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
                prefetch_vcs(self, ahead)
                if Shape is Queued:
                    prefetch_queues(self, ahead)
            if Count is Counting:
                if self.st_router != NULL:      # stats: the counters the step will add to
                    prefetch(&self.st_router[ahead * N_SR], 1)
        if Shape is Plain:
            busy = vm[r] | cm[r] | am[r]
        else:
            busy = any_set(&vm[r * WV], WV) or any_set(&cm[r * WP], WP) or any_set(&am[r * WP], WP)
        if Shape is Queued:
            if w.status == ST_OK and (busy or any_set(&self.oq_ports[r * self.WQ], self.WQ)):
                w.status = router_cycle(self, w, r, shape, counts)
        elif busy and w.status == ST_OK:
            w.status = router_step(self, w, r, shape, counts)


cdef int run_cycles(Core self, cycle_t until, bint stop_when_drained) noexcept nogil:
    cdef int e, status, i, t
    cdef int64_t slot
    cdef Work *w
    while self.now < until:
        if stop_when_drained and drained(self):
            return ST_DRAINED
        if self.now == self.fault_at:       # the links and switches fail: new packets see what is left
            self.ep_comp = self.ep_comp_after
            self.c_in_flight_at_fault = self.c_injected_flits - self.c_delivered_flits
            drop_cut_off_queued(self)
        while self.heap_n > 0 and self.heap_time[0] <= self.now:
            status = release_message(self, heap_pop(self))
            if status != ST_OK:
                return status
        slot = self.now & self.rmask
        for t in range(self.n_blocks):
            w = &self.works[t]
            if w.mark_stamp > STAMP_LIMIT:
                memset(w.mark, 0, self.max_router_ports * self.V * sizeof(int32_t))
                memset(w.done, 0, 2 * self.max_router_ports * sizeof(int32_t))
                w.mark_stamp = 0
            if self.matching != NULL and self.matching[t].stamp > STAMP_LIMIT:
                memset(self.matching[t].lmark, 0, 14 * self.max_router_ports * self.V * sizeof(int32_t))
                self.matching[t].stamp = 0
            # credits returning to the endpoints this cycle, from the routers' injection buffers
            for i in range(w.ep_credit_n[slot]):
                self.ep_ovc[w.ep_credit[slot * w.cap + i]].credits += 1
            w.ep_credit_n[slot] = 0
        for e in range(self.n_endpoints):
            # most endpoints have nothing to create this cycle
            if self.ep_next_arrival[e] <= self.now:
                status = endpoint_create(self, e)
                if status != ST_OK:
                    return status
        send_endpoints(self)
        status = step_routers(self)
        if status != ST_OK:
            return status
        self.now += 1
        if self.now == self.series_next:
            series_sample(self)
        if self.port_flits != NULL and self.now - self.counts_base >= COUNTS_PERIOD:
            flush_counts(self)
        if self.check_every_cycle and check_cycle(self):
            return ST_INVARIANT
        if self.deadlock_cycles and self.now - self.c_last_move > self.deadlock_cycles \
                and self.c_injected_flits > self.c_delivered_flits:
            return ST_DEADLOCK
    if stop_when_drained and drained(self):
        return ST_DRAINED
    return ST_OK


cdef inline bint drained(Core self) noexcept nogil:
    """Every measured packet has arrived (after the window); with messages, every message is done."""
    if self.n_msgs:
        return self.c_msgs_left == 0
    if self.process == PROC_BUDGET:
        return self.c_budget_left == 0 and self.c_measured_outstanding == 0
    return self.c_measured_outstanding == 0 and self.now >= self.window_end


cdef object per_vc(Core self, bint credits):
    cdef int64_t i
    out = np.zeros(self.n_ports * self.V, np.int64)
    for i in range(self.n_ports * self.V):
        out[i] = self.credits[i] if credits else self.ivc[i].count
    return out.reshape(self.n_ports, self.V)

