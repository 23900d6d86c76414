"""Walker's alias method (Vose's construction): draw from a discrete distribution in O(1), one uniform
index and one uniform number. The core holds each distribution as a row of (keep probability, alias,
destination) entries."""
from __future__ import annotations


def alias_tables(dests, probs, row_of_source) -> dict:
    """The core's arrays for rows of destinations ``dests[i]`` with probabilities ``probs[i]``, and
    source s drawing from row ``row_of_source[s]``."""
    import numpy as np

    lo, prob, alias, dest = [0], [], [], []
    for d, p in zip(dests, probs):
        p = np.asarray(p, float)
        m = len(p)
        scaled = p * m / p.sum()
        keep = np.ones(m)
        other = np.arange(m)
        small = [i for i in range(m) if scaled[i] < 1.0]
        large = [i for i in range(m) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            keep[s], other[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        base = lo[-1]
        prob.append(keep)
        alias.append(other + base)
        dest.append(np.asarray(d))
        lo.append(base + m)
    return {"alias_row": np.asarray(row_of_source), "alias_lo": np.asarray(lo), "alias_prob": np.concatenate(prob),
            "alias_idx": np.concatenate(alias), "alias_dest": np.concatenate(dest)}
