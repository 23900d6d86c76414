# Fixed-width types shared by the core. Ids are int32, cycles int64.
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint64_t

ctypedef int64_t cycle_t    # simulated cycles
