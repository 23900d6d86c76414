"""What the permutation patterns share: endpoint coordinates for the digit patterns, and the checks of
the bit patterns (which need a power-of-two endpoint count)."""
from __future__ import annotations

from ..errors import FabricError


def power_of_two_bits(n: int, pattern: str, even: bool = False) -> int:
    """log2(n), or a FabricError naming traffic.pattern when n is not a (even) power of two."""
    bits = n.bit_length() - 1
    if n < 2 or n != 1 << bits:
        raise FabricError(f"traffic.pattern: {pattern} works on a power-of-two number of endpoints "
                          f"(it permutes the bits of the endpoint id), this network has {n}")
    if even and bits % 2:
        raise FabricError(f"traffic.pattern: {pattern} needs an even power of two endpoints "
                          f"(it swaps the two halves of the id's bits), this network has {n} = 2^{bits}")
    return bits


def digits(network):
    """(radices, a function endpoint -> digits, digits -> endpoint) for the digit patterns: the router
    coordinates of a mesh, torus or hyperx (dimension 0 first) with the endpoint's index at its router
    kept as it is; for other networks one digit, the endpoint id."""
    import numpy as np

    n = network.n_endpoints
    dims = tuple(network.dims) if network.dims else ()
    if not dims or n % int(np.prod(dims)):
        return (n,), lambda e: e[:, None], lambda d: d[:, 0]
    local = n // int(np.prod(dims))
    radices = (local,) + dims

    def split(e):
        out = []
        for k in radices:
            out.append(e % k)
            e = e // k
        return np.stack(out, axis=1)

    def join(d):
        e = np.zeros(len(d), np.int64)
        for i, k in reversed(list(enumerate(radices))):
            e = e * k + d[:, i]
        return e

    return radices, split, join


def shift_digits(network, step):
    """The destination table that moves every coordinate x of radix k to (x + step(k)) mod k, the
    endpoint's index at its router kept (for a network without dimensions: the endpoint id itself)."""
    import numpy as np

    radices, split, join = digits(network)
    d = split(np.arange(network.n_endpoints))
    for i, k in enumerate(radices):
        if i > 0 or len(radices) == 1:
            d[:, i] = (d[:, i] + step(k)) % k
    return join(d)
