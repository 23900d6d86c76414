"""Worker processes for the tools that run many simulations (sweeps, the saturation search)."""
from __future__ import annotations

import contextlib


def _start_worker(parent: int):
    """Workers leave Ctrl-C to the parent (pid `parent`), which stops them cleanly, and end with the parent
    however it ends: a parent killed (SIGTERM, SIGKILL) runs no cleanup, and its workers would otherwise run
    on, each with the points already handed to it."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        # Linux: the kernel sends SIGKILL when the parent ends (prctl PR_SET_PDEATHSIG = 1)
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass                    # elsewhere: only a parent that stops cleanly stops its workers
    if os.getppid() != parent:  # the parent ended before prctl took effect (even before this worker started)
        os._exit(1)


@contextlib.contextmanager
def worker_pool(jobs: int):
    """A pool of `jobs` spawned processes. On Ctrl-C, an error or a consumer gone, the points still
    running are stopped rather than waited for; otherwise the pool is shut down when they are done."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
