# Fixed-width types shared by the core. Ids are int32, cycles int64.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint64_t

ctypedef int32_t id_t       # router, port, endpoint, packet ids
ctypedef int64_t cycle_t    # simulated cycles
ctypedef int8_t  small_t    # VC numbers in link/credit slots (-1 = empty), small enums
