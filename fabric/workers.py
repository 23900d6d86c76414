"""Worker processes for the tools that run many simulations (sweeps, the saturation search)."""
from __future__ import annotations

import contextlib


def _ignore_sigint():
    """Workers leave Ctrl-C to the parent, which stops them cleanly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def worker_pool(jobs: int):
    """A pool of `jobs` spawned processes. On Ctrl-C, an error or a consumer gone, the points still
    running are stopped rather than waited for; otherwise the pool is shut down when they are done."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_ignore_sigint)
    try:
        yield pool
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
