"""Messages for closed-loop workloads (collectives, traces): a list of (source, destination, flits,
earliest start, the messages it waits for), turned into the core's arrays, and the core's release and
completion cycles turned into results."""
from __future__ import annotations

from ..errors import FabricError


class Messages:
    """Messages in the order they are added; `add` returns the new message's id. A workload's steps that
    send nothing (a trace's compute, a receive) are entries too, added by `add_step`: they order the
    messages and take time, and the result does not count them as messages."""

    def __init__(self):
        self.src, self.dest, self.flits, self.start, self.deps, self.step = [], [], [], [], [], []
        self.delay, self.sends = [], []     # cycles a step takes; False for a step

    def add(self, src: int, dest: int, flits: int, start: int = 0, deps=(), step: int = 0) -> int:
        self.src.append(int(src))
        self.dest.append(int(dest))
        self.flits.append(int(flits))
        self.start.append(int(start))
        self.deps.append(tuple(int(d) for d in deps))
        self.step.append(step)
        self.delay.append(0)
        self.sends.append(True)
        return len(self.src) - 1

    def add_step(self, endpoint: int, cycles: int = 0, deps=(), step: int = 0) -> int:
        """An entry that sends nothing at `endpoint`: done `cycles` after the last of `deps`."""
        m = self.add(endpoint, endpoint, 0, 0, deps, step)
        self.delay[m] = int(cycles)
        self.sends[m] = False
        return m

    def __len__(self):
        return len(self.src)

    def arrays(self, n_endpoints: int) -> dict:
        """The core's message arrays: per message its endpoints, size, start and count of unmet
        dependencies, and each message's dependents in CSR form."""
        import numpy as np

        n = len(self)
        if n == 0:
            raise FabricError("traffic: the workload has no messages")
        src, dest = np.asarray(self.src), np.asarray(self.dest)
        if src.min() < 0 or dest.min() < 0 or max(src.max(), dest.max()) >= n_endpoints:
            raise FabricError(f"traffic: a message names an endpoint outside 0..{n_endpoints - 1}")
        parents = np.fromiter((p for d in self.deps for p in d), np.int64)
        children = np.repeat(np.arange(n), [len(d) for d in self.deps])
        order = np.argsort(parents, kind="stable")
        indptr = np.searchsorted(parents[order], np.arange(n + 1))
        return {
            "msg_src": src, "msg_dest": dest, "msg_flits": np.asarray(self.flits), "msg_start": np.asarray(self.start),
            "msg_delay": np.asarray(self.delay),
            "msg_ndeps": np.asarray([len(d) for d in self.deps]), "dep_indptr": indptr, "dep_list": children[order],
        }


def latency_summary(values) -> dict:
    import numpy as np

    values = np.asarray(values)
    if not len(values):
        return {"mean": None, "p50": None, "p99": None, "max": None}
    return {"mean": round(float(values.mean()), 6), "p50": int(np.percentile(values, 50, method="inverted_cdf")),
            "p99": int(np.percentile(values, 99, method="inverted_cdf")), "max": int(values.max())}


def nearest_rank(hist, n: int, q: float):
    """Nearest-rank percentile of n latencies given as a histogram (bin = cycles): the smallest latency with at
    least q*n samples at or below it; None without samples."""
    import numpy as np

    if n == 0 or hist is None:
        return None
    return int(np.searchsorted(np.cumsum(hist), max(1, int(np.ceil(q * n)))))


def histogram_latency(hist, total_sum, n: int, maximum) -> dict:
    """{mean, p50, p99, max} of n latencies given as a histogram, their sum and their largest."""
    return {"mean": round(total_sum / n, 6) if n else None, "p50": nearest_rank(hist, n, 0.50),
            "p99": nearest_rank(hist, n, 0.99), "max": int(maximum) if n else None}
