"""The integers Python hands the core (routing modes, torus ties, port kinds, plane policies, destination
modes, creation processes), read from the core, which defines each once (cext/_core.pyx): no number is copied
by hand between the two languages."""
from ._find_core import find_core

_core = find_core()

ROUTING_MODES: dict = dict(_core.ROUTING_MODES)
TORUS_TIES: dict = dict(_core.TORUS_TIES)
ROUTER_KINDS: dict = dict(_core.ROUTER_KINDS)
ALLOCATORS: dict = dict(_core.ALLOCATORS)
PLANE_POLICIES: dict = dict(_core.PLANE_POLICIES)
DEST_MODES: dict = dict(_core.DEST_MODES)
PROCESSES: dict = dict(_core.PROCESSES)
PORT_NONE: int = _core.PORT_KINDS["none"]           # unconnected (a mesh edge)
PORT_LINK: int = _core.PORT_KINDS["link"]           # router-to-router link
PORT_ENDPOINT: int = _core.PORT_KINDS["endpoint"]   # injection (input side) and ejection (output side)
