"""matrix: a traffic matrix from a CSV file. Either N rows of N numbers (row s: how much s sends to each
destination), or lines ``source,destination,weight`` (pairs not listed send nothing). A source sends to
destination d with probability proportional to its row's entry. ``rates = "equal"`` (the default):
every source with traffic injects ``injection_rate``; ``"row"``: a source injects in proportion to its
row sum, the busiest at ``injection_rate``. A relative ``file`` is found beside the spec.

    [traffic]
    pattern = "matrix"
    file = "matrix.csv"
    rates = "row"
"""
import os

from ..errors import FabricError
from ..params import Param
from ..registry import traffic_patterns
from ._alias import alias_tables

PARAMS = (
    Param("file", "str", "", "the CSV: N rows of N weights, or source,destination,weight lines"),
    Param("rates", "str", "equal", "per-source rate: equal, or in proportion to the row sum",
          choices=("equal", "row")),
)


def read(path: str, n: int):
    """The N x N weight matrix of a CSV file; FabricError naming the line on bad input."""
    import numpy as np

    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig") as file:
            lines = [(i, line.split("#", 1)[0].strip()) for i, line in enumerate(file, 1)]
    except OSError as error:
        raise FabricError(f"traffic.file: {path}: {error.strerror or error}") from None
    rows = [(i, [f.strip() for f in line.split(",")]) for i, line in lines if line]
    if rows and not _number(rows[0][1][0]):
        rows = rows[1:]                                  # a header
    m = np.zeros((n, n))
    dense = len(rows) == n and all(len(r) == n for _, r in rows)
    for k, (i, fields) in enumerate(rows):
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise FabricError(f"traffic.file: {name} line {i}: not a number in {fields!r}") from None
        if any(v < 0 for v in values):
            raise FabricError(f"traffic.file: {name} line {i}: weights cannot be negative")
        if dense:
            m[k] = values
        elif len(values) == 3 and values[0].is_integer() and values[1].is_integer():
            s, d = int(values[0]), int(values[1])
            if not (0 <= s < n and 0 <= d < n):
                raise FabricError(f"traffic.file: {name} line {i}: endpoints are 0 to {n - 1}, got {s}, {d}")
            m[s, d] += values[2]
        else:
            raise FabricError(f"traffic.file: {name} line {i}: expected {n} weights (a row of the matrix) or "
                              f"source,destination,weight")
    if not m.any():
        raise FabricError(f"traffic.file: {name}: no traffic")
    return m


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@traffic_patterns.register("matrix", params=PARAMS)
def make(network, traffic: dict) -> dict:
    import numpy as np

    from ..constants import DEST_MODES

    if not traffic["file"]:
        raise FabricError("traffic.file: required for the matrix pattern")
    m = read(traffic["file"], network.n_endpoints)
    sums = m.sum(axis=1)
    senders = np.flatnonzero(sums)
    rows = [np.flatnonzero(m[s]) for s in senders]
    tables = alias_tables(rows, [m[s][r] for s, r in zip(senders, rows)], np.zeros(network.n_endpoints, np.int64))
    tables["alias_row"][senders] = np.arange(len(senders))
    scale = sums / sums.max() if traffic["rates"] == "row" else (sums > 0).astype(float)
    return {"dest_mode": DEST_MODES["alias"], "rate_scale": scale, **tables}
