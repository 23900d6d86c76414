# The state of one simulation, owned by the cycle loop (_core.pyx) and read and written by the parts,
# each a .pxd of nogil functions that take the Core: _links, _routing (and its families _routing_*),
# _allocators, _router, _packets, _sources, _messages, _statistics, _inspection. The comment on a field
# names what it is; the part that owns it is the one that writes it in the cycle loop.
cimport cython
from _types cimport *

@cython.final
cdef class Core:
    # ---- sizes and configuration
    cdef int n_routers, n_ports, n_endpoints, n_dims, V, R, rmask, max_router_ports
    cdef int B                      # the deepest input VC (vc_buffer): each VC's ring is laid out for it
    cdef RouterSetup *setup         # (router classes) each class's settings (router.classes)
    cdef int8_t *router_class       # (n_routers) each router's class
    cdef int32_t *alloc_state       # (2*n_routers) per router, switch then VC allocator: wavefront's first
                                    # diagonal, max_size's first input
    cdef uint64_t *alloc_rng        # (n_routers) PIM's random streams
    cdef Matching *matching         # (n_blocks) the matchings' scratch, NULL unless an allocator matches
    cdef uint64_t _seed             # sim.seed
    # output queues (cext/_output_queues.pxd): with router.internal_speedup above 1, or router.kind "oq"
    cdef bint queued                # some routers' flits cross the switch into output queues
    cdef bint any_matching          # some router's allocator is a matching (cext/_matching.pxd)
    cdef OutQueue *oq               # (n_ports*V) the queue of each output VC
    cdef PortQueue *oq_port         # (n_ports)
    cdef uint64_t *oq_ports         # (n_routers*WQ) bit per local port whose queue holds a flit
    cdef int WQ
    cdef int64_t *credit_next       # (n_ports) input side: first cycle its next credit may be sent (one a
                                    # cycle, as BookSim's credit queue, when a port sends more than one flit)
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
    cdef int64_t *msg_delay         # a message of no flits (a step of a trace: compute, a receive) is done this
                                    # many cycles after its release
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
    cdef object _by_router          # per router, its class's sa, st, depth, rd, va, vcs (construction only)
    cdef public object workload         # closed loop: what fabric/statistics.py reports about it, else None
    cdef public object message_steps    # and each message's step (collectives)
    cdef public object message_dest     # and destination
    cdef public object message_sends    # and False for a step that sends nothing (fabric/traffic/_messages.py)
    cdef public object workload_summary # the pattern's own result keys: f(workload, release, done, s/cycle), or None
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
    # the same tables for the network after a fault during the run (faults.at_cycle), taken by packets
    # injected from then on (FLIT_AFTER_FAULT); the tables before it then order the routers alike
    cdef int16_t *dist_any_after
    cdef int16_t *dist_down_after
    cdef int32_t *port_far_after
    cdef int8_t *port_up_after
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
    cdef int64_t *port_flits        # (n_ports) flits sent out of each port up to counts_base (cfg count_ports or
                                    # stats), else NULL

    # ---- activity counters and the time series (cext/_statistics.pxd), NULL unless cfg stats asks for them
    cdef int64_t *st_credit_stall   # (n_ports) cycles a flit holding an output VC of the port waited for a credit
    cdef int64_t *st_vc_cycles      # (n_ports*V) flit-cycles in each input VC's buffer up to counts_base
    cdef int64_t counts_base        # (the VCs and ports count on from there, in InVC.cycles and PortState.flits)
    cdef int64_t *st_router         # (n_routers*N_SR) allocation requests and grants
    cdef int64_t *st_endpoint       # (N_SE*n_endpoints) created, queue cycles, received (see _statistics.ep_stat)
    cdef int64_t *st_class_flow     # (C*N_SF) flits created, injected and accepted per class, from cycle 0
    cdef int64_t *series_counts     # (series_cap*C*N_SS) per bucket and class (growable), NULL without a series
    cdef int64_t series_interval, series_cap, series_used
    cdef int64_t series_now, series_next     # the bucket now is in, and the first cycle of the next one
    cdef bint series_lost           # a bucket could not be grown (no memory): its counts were dropped

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
    cdef int64_t c_dropped_packets, c_dropped_flits     # for a destination the faults cut off (fabric/faults.py)

    # ---- faults: which endpoints the surviving network joins
    cdef bint faulty
    cdef int32_t *ep_comp           # (planes * n_endpoints) an endpoint's label in each plane (-1: cut off there)
    cdef int32_t *ep_comp_after     # and after a fault during the run
    cdef cycle_t fault_at           # the cycle of that fault, or -1
    cdef uint8_t *port_failed       # (n_ports) 1 for a port of a link that fails then
    cdef int64_t c_drained_flits, c_in_flight_at_fault, c_dropped_in_queue


cdef inline RouterSetup *setup_of(Core self, int r) noexcept nogil:
    """Router r's settings."""
    return &self.setup[self.router_class[r]]


# The router step is compiled once per Shape (see _types): these sizes are constants in the Plain copy
cdef inline int mask_words(Core self, Shape *shape) noexcept nogil:
    """Words per router in the VC masks: 1 in the Plain copy, known to the compiler."""
    if Shape is Plain:
        return 1
    else:
        return self.WV


cdef inline int port_words(Core self, Shape *shape) noexcept nogil:
    """Words per router in a slot of arrive / credit_in: 1 in the Plain copy."""
    if Shape is Plain:
        return 1
    else:
        return self.WP
