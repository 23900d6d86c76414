# splitmix64 (Steele, Lea & Flood 2014; Vigna's public-domain reference): one 64-bit word of state per
# stream, so every endpoint and router owns its stream and results do not depend on evaluation order.
from libc.stdint cimport uint32_t, uint64_t
from libc.math cimport log, floor

cdef inline uint64_t rng_next(uint64_t *state) noexcept nogil:
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)

cdef inline double rng_uniform(uint64_t *state) noexcept nogil:
    """Uniform in (0, 1]."""
    return ((rng_next(state) >> 11) + 1) * (1.0 / 9007199254740992.0)

cdef inline uint64_t rng_below(uint64_t *state, uint64_t n) noexcept nogil:
    """Uniform integer in [0, n) for n < 2**32 (Lemire's multiply-shift; bias below 2**-32)."""
    return ((rng_next(state) >> 32) * n) >> 32

cdef inline long long rng_geometric(uint64_t *state, double log1mp) noexcept nogil:
    """Cycles to the next success of a Bernoulli(p) process (>= 1); log1mp = log(1 - p) < 0."""
    return 1 + <long long>floor(log(rng_uniform(state)) / log1mp)


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
