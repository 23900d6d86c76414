"""Write a run's tables (`Result.tables`) to a folder: one file per table, Parquet through pyarrow (the
optional extra ``fabric-sim[parquet]``) and CSV without it."""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from .errors import FabricError


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_tables(tables: dict, directory, fmt: str | None = None) -> list[Path]:
    """Each table as DIRECTORY/NAME.parquet (or .csv); `fmt` "parquet" or "csv" (default: Parquet when
    pyarrow is installed). Returns the files written."""
    directory = Path(directory)
    fmt = fmt or ("parquet" if parquet_available() else "csv")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FabricError(f"{directory}: cannot make the folder ({error.strerror or error})") from None
    written = []
    for name, columns in tables.items():
        path = directory / f"{name}.{fmt}"
        try:
            (_write_parquet if fmt == "parquet" else _write_csv)(columns, path)
        except OSError as error:
            raise FabricError(f"{path}: cannot write ({error.strerror or error})") from None
        written.append(path)
    return written


def _write_parquet(columns: dict, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: (v.astype(str) if v.dtype == object else v) for k, v in columns.items()})
    pq.write_table(table, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)


def _cell(value):
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def _write_csv(columns: dict, path: Path) -> None:
    names = list(columns)
    rows = zip(*(columns[k].tolist() for k in names))
    partial = path.with_suffix(".tmp")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(names)
        for row in rows:
            out.writerow([_cell(v) for v in row])
    os.replace(partial, path)
