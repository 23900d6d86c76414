"""What the compiled core is told about a run: typed records, built once in Python (`build.prepare`) and
handed to `fabric._core.Core`. Every field is required, so a setting that is misspelled or forgotten is
an error where the record is made, never a silent default inside the core."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrafficClass:
    """One kind of traffic: how its sources pick destinations, when they create packets, and their sizes."""

    dest_mode: int              # constants.DEST_MODES
    process: int                # constants.PROCESSES
    allow_self: bool            # uniform: the source may pick itself
    sizes: tuple                # packet sizes (flits) of the mix,
    size_weights: tuple         # and their weights
    on_alpha: float             # on_off: OFF -> ON per cycle (unused by the other processes)
    on_beta: float              # on_off: ON -> OFF per cycle
    on_share: float             # on_off: the share of time ON
    start: int                  # the cycle its sources start (a job's start; else 0)


@dataclass(frozen=True)
class RouterSetup:
    """The settings of one class of routers (``[router]``, with ``[router.classes.NAME]`` over it)."""

    kind: int                   # constants.ROUTER_KINDS
    vcs: int                    # VCs per input port (at most CoreConfig.vcs, which lays the VCs out)
    vc_buffer: int              # flits per input VC (the credits its upstream starts with)
    routing_delay: int
    vc_alloc_delay: int
    sw_alloc_delay: int
    st_delay: int
    sw_allocator: int           # constants.ALLOCATORS
    vc_allocator: int
    sw_iters: int               # iterations of the switch allocator (islip, pim: router.alloc_iters; else 1)
    vc_iters: int               # and of the VC allocator
    internal_speedup: tuple     # (num, den): internal steps per channel cycle, as a fraction
    output_buffer: int          # most flits an output queue holds, -1 unbounded


@dataclass(frozen=True)
class CoreConfig:
    """The scalar settings of a run (the arrays go beside it, by name)."""

    # routers
    vcs: int                    # the most VCs of any router class: every port's VC state is laid out for it
    routers: tuple              # a RouterSetup per router class (Network.router_classes; the array
                                # router_class gives each router's)
    # routing
    route_mode: int             # constants.ROUTING_MODES
    torus_tie: int              # constants.TORUS_TIES
    hop_classes: int            # VC classes by hop (1: none)
    dragonfly: tuple            # (p, a, h, groups) of a dragonfly, else (1, 1, 1, 1)
    ugal_threshold: int         # ugal: flits of bias towards the minimal path
    ecmp_any_vc: bool           # ecmp without its hop classes (can deadlock; for testing detection)
    packet_keys: bool           # the routing draws a random key per packet (its path choices)
    planes: int                 # ports per endpoint, one in each plane
    plane_policy: int           # constants.PLANE_POLICIES
    # traffic
    classes: tuple              # TrafficClass, the main traffic first
    packet_size: int            # flits per packet of a message (closed loop), else the first size
    packet_rate: float          # the main class's packets per cycle per endpoint
    budget: int                 # all-to-all as budgets: packets each source makes (0: none)
    # the run
    seed: int
    threads: int
    count_ports: bool           # count the flits out of every port (Core.port_flit_counts)
    stats: bool                 # the activity counters of links, routers and endpoints (Core.activity)
    stats_interval: int         # cycles per bucket of the time series (Core.series), 0: none
    deadlock_cycles: int        # stop when nothing moved for this long (0: never)
    check: bool                 # verify the invariants after every cycle
    window_start: int           # the measurement window, [start, end)
    window_end: int
    max_packets: int            # the packet pool's limit
    hist_limit: int             # the most latency-histogram bins the run can need


ROUTING_SETTINGS = ("hop_classes", "dragonfly", "ugal_threshold", "ecmp_any_vc", "packet_keys")
