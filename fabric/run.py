"""Step a built core through a run's phases (warm-up and measurement, then the drain; or a workload until
it finishes), in slices short enough for Ctrl-C, with a progress bar."""
from __future__ import annotations

import sys
import time

from .build import _core

def _progress_bar(progress, total):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="cycle", unit_scale=True, file=sys.stderr, leave=False)


# Python sees Ctrl-C only between calls into the core, so a run is stepped in slices of about this much
# wall time: it stops within half a second at any size.
SLICE_SECONDS = 0.05


def _run_phase(core, until, stop_when_drained, bar):
    """Advance the core to `until` in slices of about SLICE_SECONDS (for progress and Ctrl-C); returns
    the last status. A slice is at most twice the last, sized by the speed the last one ran at."""
    status = _core.STATUS_OK
    cycles = 1
    while core.now < until:
        before, started = core.now, time.perf_counter()
        status = core.run(min(until, core.now + cycles), stop_when_drained)
        spent = time.perf_counter() - started
        if bar is not None:
            bar.update(core.now - before)
        if status != _core.STATUS_OK:
            break
        cycles = max(1, min(2 * cycles, int((core.now - before) * SLICE_SECONDS / max(spent, 1e-6))))
    return status


def run_phases(core, sim: dict, progress=None, partial: bool = False, reads: dict | None = None) -> tuple[int, bool]:
    """Run a core made for a spec whose ``sim`` table is given: (its last status, whether Ctrl-C cut it
    short). With ``partial``, Ctrl-C stops the run; else it raises KeyboardInterrupt. With ``reads`` (a
    dict), the run stops at the window's start and end to put the core's activity there, as "start" and
    "end" (a workload's window is the whole run)."""
    window_end = sim["warmup_cycles"] + sim["measure_cycles"]
    closed_loop = core.workload is not None
    # a workload's length is unknown (the bar counts cycles); a run's is its window and drain budget,
    # and a run that drains early fills the bar before it goes
    bar = _progress_bar(progress, None if closed_loop else window_end + sim["drain_cycles"])
    try:
        if closed_loop:                 # until every message has arrived
            _read(core, reads, "start")
            status = _run_phase(core, sim["max_cycles"], True, bar)
            _read(core, reads, "end")
        else:
            status = _core.STATUS_OK
            if reads is not None:
                status = _run_phase(core, sim["warmup_cycles"], False, bar)
                _read(core, reads, "start")
            if status == _core.STATUS_OK:
                status = _run_phase(core, window_end, False, bar)
            _read(core, reads, "end")
            if status == _core.STATUS_OK and sim["drain_cycles"] > 0:
                status = _run_phase(core, window_end + sim["drain_cycles"], True, bar)
            if bar is not None and status == _core.STATUS_DRAINED:
                bar.update(bar.total - bar.n)
    except KeyboardInterrupt:
        if not partial:
            raise
        _read(core, reads, "start")
        _read(core, reads, "end")
        return _core.STATUS_OK, True
    finally:
        if bar is not None:
            bar.close()
    return status, False


def _read(core, reads, name):
    """The core's activity now into reads[name], unless there is already one (or no reads are wanted)."""
    if reads is not None and name not in reads:
        reads[name] = core.activity()
