"""Parameter sweeps: the points of ``--vary`` / ``--zip``, each run as its own simulation, locally or on a
Dask cluster, one NDJSON line per point written as it finishes; ``--resume`` skips the points a file
already holds.

A point is a dict of dotted keys to values. Its seed derives from the spec's ``sim.seed`` and the point
(unless the point sets ``sim.seed`` itself), so a point gives the same result wherever and whenever it
runs.
"""
from __future__ import annotations

import copy
import decimal
import hashlib
import itertools
import json
import os
import tomllib

from .errors import FabricError


def parse_values(key: str, text: str) -> list:
    """VALUES of ``--vary KEY=VALUES``: a comma list of TOML values (bare words are strings), or a range
    ``start:stop:step`` whose stop is included when it falls on the grid."""
    text = text.strip()
    if text.count(":") == 2 and not text.startswith(("[", "{", '"')):
        try:
            start, stop, step = (decimal.Decimal(part.strip()) for part in text.split(":"))
        except decimal.InvalidOperation:
            raise FabricError(f"--vary {key}: a range is start:stop:step, got {text!r}") from None
        if step <= 0 or stop < start:
            raise FabricError(f"--vary {key}: a range needs step > 0 and stop >= start, got {text!r}")
        count = int((stop - start) / step) + 1
        if count > 1_000_000:
            raise FabricError(f"--vary {key}: {count} values, more than a sweep should have")
        values = [start + i * step for i in range(count)]
        as_int = all(v == v.to_integral_value() for v in (start, step))
        return [int(v) if as_int else float(v) for v in values]
    values = []
    for item in _split_top_level(text):
        try:
            values.append(tomllib.loads("v = " + item)["v"])
        except tomllib.TOMLDecodeError:
            values.append(item.strip())
    if not values or values == [""]:
        raise FabricError(f"--vary {key}: no values")
    return values


def _split_top_level(text: str) -> list:
    """Split on commas outside brackets and quotes (so [4, 4] stays one value)."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def plan(vary: list, zipped: list = ()) -> list:
    """The points: the cartesian product of the ``--vary`` axes, where keys named together in one
    ``--zip KEY,KEY`` advance together (their value lists must be as long as each other)."""
    axes = {}
    for item in vary:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise FabricError(f"--vary {item}: expected KEY=VALUES, e.g. --vary traffic.injection_rate=0.1:0.5:0.1")
        key = key.strip()
        if key in axes:
            raise FabricError(f"--vary {key}: given twice")
        axes[key] = parse_values(key, text)
    groups, grouped = [], set()
    for item in zipped:
        keys = [k.strip() for k in item.split(",") if k.strip()]
        for k in keys:
            if k not in axes:
                raise FabricError(f"--zip {item}: {k} is not a --vary key")
            if k in grouped:
                raise FabricError(f"--zip {item}: {k} is in two --zip groups")
        lengths = {len(axes[k]) for k in keys}
        if len(lengths) > 1:
            raise FabricError(f"--zip {item}: the keys have {sorted(lengths)} values; zipped keys need as many each")
        groups.append(keys)
        grouped.update(keys)
    groups += [[k] for k in axes if k not in grouped]
    columns = [[{k: axes[k][i] for k in keys} for i in range(len(axes[keys[0]]))] for keys in groups]
    return [dict(itertools.chain.from_iterable(part.items() for part in combo))
            for combo in itertools.product(*columns)] if columns else [{}]


def point_id(point: dict) -> str:
    """A point's identity: its keys and values as canonical JSON."""
    return json.dumps(point, sort_keys=True, separators=(",", ":"))


def point_seed(base_seed: int, point: dict) -> int:
    """The seed of a point: sim.seed if the point sets it, else derived from the spec's seed and the point."""
    if "sim.seed" in point:
        return point["sim.seed"]
    digest = hashlib.sha256(f"{base_seed}|{point_id(point)}".encode()).hexdigest()
    return int(digest[:13], 16)        # 52 bits: exact in JSON readers that use doubles (jq, JavaScript)


def apply(data: dict, point: dict) -> dict:
    """A copy of the parsed spec ``data`` with the point's values set at their dotted keys."""
    from .spec import set_dotted

    out = copy.deepcopy(data)
    for key, value in point.items():
        if not set_dotted(out, key, value):
            raise FabricError(f"{key}: cannot set a key inside a value that is not a table")
    return out


def run_point(data: dict, source_name: str, point: dict, seed: int, threads: int = 1, stats=None,
              stats_dir: str | None = None) -> dict:
    """One point's NDJSON line: the run's result plus ``point``, ``seed`` and ``ok``; or, when the point
    cannot run, ``ok: false`` and the ``error``. With ``stats`` the result has its activity summary, and
    with ``stats_dir`` its tables go to a folder of their own there (``stats_dir`` in the line). Runs in a
    worker process (or a Dask worker)."""
    from .simulation import simulate
    from .spec import resolve_spec

    line = {"point": point, "seed": seed}
    try:
        spec = resolve_spec(apply(data, {**point, "sim.seed": seed}), source_name)
        run = simulate(spec, progress=False, threads=threads, stats=stats)
        result = run.to_dict()
        if stats_dir is not None:
            from .table_files import write_tables

            folder = os.path.join(stats_dir, point_folder(point))
            write_tables(run.tables, folder)
            line["stats_dir"] = folder
    except FabricError as error:
        return {**line, "ok": False, "error": str(error)}
    except Exception as error:  # noqa: BLE001 - a point's crash must not stop the sweep
        return {**line, "ok": False, "error": f"internal error: {type(error).__name__}: {error}"}
    return {**result, **line, "ok": True}


def point_folder(point: dict) -> str:
    """A point's folder name: its keys and values, e.g. traffic.injection_rate=0.1 (characters a file
    name cannot hold become _)."""
    name = ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in sorted(point.items())) or "point"
    return "".join(c if c.isalnum() or c in "._=,-+" else "_" for c in name)


def check_points(data: dict, source_name: str, points: list) -> None:
    """Refuse, before anything runs, a sweep whose --vary keys the spec does not have (every point would
    fail the same way). A value a key cannot take fails its own point only."""
    from .errors import SpecError
    from .spec import resolve_spec

    for point in points:
        try:
            resolve_spec(apply(data, point), source_name)
        except SpecError as error:
            unknown = [p for p in error.problems if ("unknown key" in p or "unknown section" in p)
                       and any(p.startswith(f"{source_name}: {key}:") for key in point)]
            if unknown:
                raise SpecError([p.replace(f"{source_name}: ", f"{source_name}: --vary ", 1)
                                 for p in unknown]) from None
        except FabricError:
            pass


def check_resume(records: dict, data: dict, source_name: str, base_seed: int) -> None:
    """Refuse to resume into a file whose finished points ran with other settings (another --set, or an
    edited spec): the file would mix configurations. Names the first key that differs."""
    from .formats import flatten
    from .spec import resolve_spec

    for point_key, record in records.items():
        if not record.get("ok") or "spec" not in record:
            continue
        point = record["point"]
        now = flatten(resolve_spec(apply(data, {**point, "sim.seed": point_seed(base_seed, point)}), source_name))
        then = flatten(record["spec"])
        for key in sorted(set(now) | set(then)):
            if now.get(key) != then.get(key):
                raise FabricError(f"--resume: the file's point {point_key} ran with {key} = "
                                  f"{json.dumps(then.get(key))}, this sweep has {json.dumps(now.get(key))}; "
                                  f"use the same spec and --set, or another --output")


def done_points(path) -> set:
    """The point ids a results file already holds. A last line cut short (the process was killed while
    writing it) is removed from the file."""
    return set(done_records(path))


def done_records(path) -> dict:
    """The lines a results file already holds, by point id (see done_points)."""
    if not os.path.exists(path):
        return {}
    done, keep = {}, 0
    with open(path, "rb") as f:
        raw = f.read()
    for line in raw.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            break
        if isinstance(record, dict) and isinstance(record.get("point"), dict):
            done[point_id(record["point"])] = record
        keep += len(line)
    if keep < len(raw):
        with open(path, "r+b") as f:
            f.truncate(keep)
    return done


def execute(data: dict, source_name: str, points: list, base_seed: int, jobs: int = 1, scheduler: str | None = None,
            threads: int = 1, stats=None, stats_dir: str | None = None):
    """Run the points, each on `threads` threads (with `stats`, and their tables in `stats_dir`); yields
    each line as it finishes (in completion order)."""
    tasks = [(point, point_seed(base_seed, point), threads, stats, stats_dir) for point in points]
    if scheduler:
        yield from _execute_dask(data, source_name, heaviest_first(tasks), scheduler)
    elif jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield run_point(data, source_name, *task)
    else:
        yield from _execute_local(data, source_name, heaviest_first(tasks), jobs)


def heaviest_first(tasks: list) -> list:
    """The tasks in the order workers should start them: the points of higher traffic.injection_rate first
    (they carry more flits and take longer), so that the last point to start is a short one and the
    workers finish together. Points without the key keep their order."""
    return sorted(tasks, key=lambda task: -float(task[0].get("traffic.injection_rate", 0) or 0))


def _execute_local(data, source_name, tasks, jobs):
    from concurrent.futures import as_completed

    from .workers import worker_pool

    with worker_pool(jobs) as pool:
        futures = [pool.submit(run_point, data, source_name, *task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _execute_dask(data, source_name, tasks, scheduler):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise FabricError("--scheduler: needs Dask: pip install 'fabric-sim[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise FabricError(f"--scheduler: cannot reach {scheduler} ({error})") from None
    except (ValueError, TypeError) as error:       # not an address Dask can read
        raise FabricError(f"--scheduler: {scheduler!r} is not a scheduler address such as "
                          f"tcp://127.0.0.1:8786 ({error})") from None
    try:
        futures = [client.submit(run_point, data, source_name, *task, pure=False) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
    finally:
        client.close()
