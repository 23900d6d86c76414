"""The ``fabric`` command: a thin Typer layer over the library (`fabric.spec`, `fabric.simulation`, ...

stdout carries data only (the result JSON); errors go to stderr through `reports_errors`. numpy and
the compiled core are imported inside the commands that need them, so ``fabric validate`` and
``fabric --version`` start fast.
"""
from __future__ import annotations

import contextlib
import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .._version import __version__
from ..errors import FabricError, SpecError
from ..spec import MAX_THREADS, load_spec
from ._errors import EXIT_INTERRUPTED, reports_errors, stdout_errors

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SpecArgument = Annotated[str, typer.Argument(metavar="SPEC", help="TOML spec file, or - for standard input.")]
SetOption = Annotated[
    Optional[list[str]],
    typer.Option("--set", metavar="KEY=VALUE",
                 help="Override one dotted key, e.g. --set router.vcs=2; VALUE is read as TOML. Repeatable."),
]


UnsetOption = Annotated[
    Optional[list[str]],
    typer.Option("--unset", metavar="KEY",
                 help="Remove one dotted key from the spec (it takes its default), before --set. Repeatable."),
]


@contextlib.contextmanager
def _naming(spec: str):
    """A user error found after the spec loaded (while building the network or the traffic) names the
    spec file too, as the loader's messages do."""
    try:
        yield
    except SpecError:
        raise
    except FabricError as error:
        raise FabricError(f"{'<stdin>' if spec == '-' else spec}: {error}") from None


ProgressOption = Annotated[
    Optional[bool],
    typer.Option("--progress/--no-progress", help="Progress bar on stderr. [default: when stderr is a terminal]",
                 show_default=False),
]
ThreadsOption = Annotated[int, typer.Option(
    "--threads", min=1, max=MAX_THREADS, metavar="N",
    help="Step the routers of each cycle on N threads; the result is the same for any N.")]


class Format(str, enum.Enum):
    json = "json"
    csv = "csv"
    table = "table"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
StatsOption = Annotated[Optional[str], typer.Option(
    "--stats", metavar="KINDS", help="Count the activity of every link, router and endpoint: the result gains a "
                                     "`stats` summary, and --stats-dir gets these tables: a comma list of links, "
                                     "routers, endpoints, series, or all.")]
StatsDirOption = Annotated[Optional[Path], typer.Option(
    "--stats-dir", metavar="DIR", help="Write the --stats tables here (Parquet with pyarrow, else CSV); alone, "
                                       "all of them.")]


def _stats_kinds(stats, stats_dir):
    """The tables --stats asks for (all, with --stats-dir alone), or None."""
    if stats is None and stats_dir is None:
        return None
    from ..activity import parse_kinds

    try:
        return parse_kinds(stats if stats is not None else "all")
    except ValueError as error:
        raise FabricError(f"--stats: {error}") from None


def parse_size(text: str) -> int:
    """Bytes of '512M', '2G', '1.5G' or a plain number of bytes."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise FabricError(f"--max-memory: a size like 512M or 2G, got {text!r}") from None
    if value <= 0:
        raise FabricError(f"--max-memory: must be above 0, got {text!r}")
    return int(value)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"fabric {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Cycle-accurate flit-level network-on-chip and datacenter-fabric simulator."""


@app.command()
@reports_errors
def run(
    spec: SpecArgument,
    sets: SetOption = None,
    unsets: UnsetOption = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Replace sim.seed.")] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the result JSON here instead of stdout.")
    ] = None,
    progress: ProgressOption = None,
    fmt: FormatOption = Format.json,
    max_memory: Annotated[Optional[str], typer.Option(
        "--max-memory", metavar="SIZE", help="Refuse a network estimated to need more, e.g. 2G.")] = None,
    partial: Annotated[bool, typer.Option(
        "--partial", help='On Ctrl-C, print the statistics so far with "status": "interrupted".')] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Verify credits, buffers and flit conservation after every cycle (sets sim.check).")] = False,
    threads: ThreadsOption = 1,
    stats: StatsOption = None,
    stats_dir: StatsDirOption = None,
    isolated: Annotated[bool, typer.Option(
        "--isolated", help="With [jobs]: also run each job alone on its endpoints and report its slowdown.")] = False,
) -> None:
    """Simulate SPEC and print the result as one JSON object."""
    fmt = fmt.value
    kinds = _stats_kinds(stats, stats_dir)
    resolved = load_spec(spec, [*(sets or ()), *(["sim.check=true"] if check else [])], seed=seed,
                         unset=unsets or ())
    from ..simulation import simulate

    options = {"partial": True} if partial else {}
    if threads != 1:
        options["threads"] = threads
    if max_memory is not None:
        options["max_memory"] = parse_size(max_memory)
    if kinds:
        options["stats"] = kinds
    with _naming(spec):
        if isolated:
            from ..isolation import simulate_isolated

            result = simulate_isolated(resolved, progress=progress, **options)
        else:
            result = simulate(resolved, progress=progress, **options)
    if stats_dir is not None:
        from ..table_files import write_tables

        write_tables(result.tables, stats_dir)
    if fmt == "json":
        text = result.to_json() + "\n"
    else:
        import io

        from ..formats import Writer

        buffer = io.StringIO()
        Writer(buffer, fmt, many=False).write(result.to_dict())
        text = buffer.getvalue()
    _emit(output, text)
    if result.status == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
@reports_errors
def sweep(
    spec: SpecArgument,
    vary: Annotated[list[str], typer.Option("--vary", metavar="KEY=VALUES",
                                            help="Values of one dotted key: a comma list (0.1,0.2) or a range "
                                                 "start:stop:step. Several give their cartesian product.")],
    zipped: Annotated[Optional[list[str]], typer.Option(
        "--zip", metavar="KEY,KEY", help="--vary keys that advance together instead of in a product.")] = None,
    sets: SetOption = None,
    unsets: UnsetOption = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1,
                                                help="Worker processes. [default: the number of cores]",
                                                show_default=False)] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", metavar="ADDRESS", help="Run the points on this Dask scheduler, e.g. tcp://127.0.0.1:8786.")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the lines to this file, replacing it (with --resume: adding to it).")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="With --output (NDJSON): skip the points the file holds, and add the others to it. "
                         "Refused if the file's points ran with other settings.")] = False,
    progress: ProgressOption = None,
    fmt: FormatOption = Format.json,
    threads: ThreadsOption = 1,
    stats: StatsOption = None,
    stats_dir: Annotated[Optional[Path], typer.Option(
        "--stats-dir", metavar="DIR", help="Write each point's --stats tables to a folder of its own here, named "
                                           "by the point (Parquet with pyarrow, else CSV); alone, all of them.")] = None,
) -> None:
    """Run SPEC at every point of the --vary values and print one result per line (NDJSON), each as it
    finishes, with its `point`, `seed` and `ok`; a point that fails is an `ok: false` line."""
    import os
    import sys

    from ..formats import Writer
    from ..spec import load_raw

    fmt = fmt.value
    kinds = _stats_kinds(stats, stats_dir)
    from ..sweeps import check_points, check_resume, done_records, execute, plan, point_id

    if resume and output is None:
        raise FabricError("--resume needs --output: the file whose points to skip")
    if resume and fmt != "json":
        raise FabricError(f"--resume reads the finished points back from NDJSON lines: use --format json, "
                          f"not {fmt}")
    data, source_name, resolved = load_raw(spec, sets or (), unsets or ())
    points = plan(vary, zipped or ())
    with _naming(spec):
        check_points(data, source_name, points)
    done = done_records(output) if resume else {}
    check_resume(done, data, source_name, resolved["sim"]["seed"])
    todo = [p for p in points if point_id(p) not in done]
    bar = None
    if progress or (progress is None and sys.stderr.isatty()):
        from tqdm import tqdm

        bar = tqdm(total=len(points), initial=len(points) - len(todo), unit="point", file=sys.stderr)
    try:
        stream = open(output, "a" if resume else "w", encoding="utf-8") if output else sys.stdout
    except OSError as error:
        raise FabricError(f"{output}: cannot write ({error.strerror or error})") from None
    writer = Writer(stream, fmt, many=True, header=not (resume and output and os.path.getsize(output)))
    failed = 0
    try:
        for line in execute(data, source_name, todo, resolved["sim"]["seed"], jobs or os.cpu_count() or 1, scheduler,
                            threads, kinds, None if stats_dir is None else str(stats_dir.resolve())):
            with stdout_errors():
                writer.write(line)
            failed += not line["ok"]
            if bar is not None:
                bar.update(1)
        writer.close()
    finally:
        if bar is not None:
            bar.close()
        if output:
            stream.close()
    if todo and failed == len(todo):
        raise FabricError(f"every point of the sweep failed ({failed}); the first error is in its line")


@app.command()
@reports_errors
def saturate(
    spec: SpecArgument,
    sets: SetOption = None,
    unsets: UnsetOption = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Replace sim.seed.")] = None,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", min=0.001, help="Stop when the bracket is this narrow.")] = 0.01,
    factor: Annotated[float, typer.Option("--factor", min=1.1,
                                          help="Saturated: mean latency above this many times zero-load.")] = 3.0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Loads run at once in each round (processes); "
                                      "the bracket is cut into JOBS + 1 parts.")] = 1,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the answer here instead of stdout.")] = None,
    progress: ProgressOption = None,
    fmt: FormatOption = Format.json,
    threads: ThreadsOption = 1,
) -> None:
    """Find SPEC's saturation throughput: a search on traffic.injection_rate between a load that runs
    (mean latency below FACTOR times its zero-load value, and not saturated) and one that does not."""
    import sys

    from ..saturation import saturate as find

    resolved = load_spec(spec, sets or (), seed=seed, unset=unsets or ())
    with _naming(spec):
        answer = find(resolved, tolerance, factor, threads, jobs,
                      progress if progress is not None else sys.stderr.isatty())
    _emit(output, _saturate_text(answer, fmt.value))


def _saturate_text(answer: dict, fmt: str) -> str:
    """saturate's answer as JSON, as CSV (a row per point) or as a table (the answer, then the points)."""
    import io
    import json

    from ..formats import Writer

    if fmt == "json":
        return json.dumps(answer, indent=1) + "\n"
    buffer = io.StringIO()
    if fmt == "table":
        for key in ("saturation_throughput", "bracket", "criterion", "zero_load_latency"):
            value = answer[key]
            buffer.write(f"{key.ljust(22)}  {', '.join(map(str, value)) if isinstance(value, list) else value}\n")
        buffer.write("\n")
    columns = ("offered", "accepted", "latency", "status")
    if fmt == "csv":
        writer = Writer(buffer, "csv", many=True)
        for point in answer["points"]:
            writer.write(point)
    else:
        for row in [columns] + [[point[k] for k in columns] for point in answer["points"]]:
            buffer.write("  ".join(str(cell).ljust(12) for cell in row).rstrip() + "\n")
    return buffer.getvalue()


def _emit(output: Optional[Path], text: str) -> None:
    """Text to stdout, or to the --output file."""
    if output is None:
        with stdout_errors():
            typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise FabricError(f"{output}: cannot write the result ({error.strerror or error})") from None


@app.command()
@reports_errors
def plot(
    results: Annotated[Path, typer.Argument(
        metavar="RESULTS", help="Results: NDJSON lines from fabric sweep, or the JSON of fabric run or saturate; "
                                "or a --stats-dir folder.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The picture: .png or .svg.")],
    x: Annotated[Optional[str], typer.Option("--x", help="Dotted key for the x axis, e.g. throughput.offered.")] = None,
    y: Annotated[Optional[str], typer.Option("--y", help="Dotted key for the y axis, e.g. latency.packet.mean.")] = None,
    stats: Annotated[str, typer.Option(
        "--stats", metavar="WHAT", help="With a --stats-dir folder: links (utilisation: a heat map on a mesh or "
                                        "torus, by kind of link elsewhere) or series.")] = "links",
    group: Annotated[Optional[str], typer.Option("--group", help="Dotted key: one line per value.")] = None,
    log_x: Annotated[bool, typer.Option("--log-x", help="Logarithmic x axis.")] = False,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    xlim: Annotated[Optional[str], typer.Option(
        "--xlim", metavar="LOW,HIGH", help="x axis range; an end may be empty.")] = None,
    ylim: Annotated[Optional[str], typer.Option(
        "--ylim", metavar="LOW,HIGH", help="y axis range; an end may be empty.")] = None,
) -> None:
    """Draw Y against X from results, one line per GROUP value; saturated points are drawn hollow. Or, for a
    --stats-dir folder, its link utilisation or time series."""
    if results.is_dir():
        from ..plot_stats import plot_stats

        plot_stats(results, output, stats)
        return
    if x is None or y is None:
        raise FabricError("fabric plot: give --x and --y (the keys to draw), or a --stats-dir folder")
    from ..plot import plot as draw

    draw(results, x, y, output, group, log_x, log_y, xlim, ylim)


@app.command()
@reports_errors
def validate(spec: SpecArgument, sets: SetOption = None, unsets: UnsetOption = None) -> None:
    """Check SPEC as far as running it would (the network, routing and traffic are built; nothing is
    simulated). Print nothing and exit 0 when `fabric run` would take it, else list every problem on
    stderr; warnings go to stderr too."""
    import warnings

    from ..errors import FabricWarning

    resolved = load_spec(spec, sets or (), unset=unsets or ())
    from ..build import validate as check

    with _naming(spec):
        for warning in check(resolved):
            warnings.warn(FabricWarning(warning), stacklevel=1)


@app.command()
@reports_errors
def describe(spec: SpecArgument, sets: SetOption = None, unsets: UnsetOption = None,
             graph: Annotated[Optional[Path], typer.Option(
                 "--graph", metavar="FILE", help="Also write the network as a graph: FILE.graphml (NetworkX, "
                                                 "yEd) or FILE.dot (Graphviz).")] = None) -> None:
    """Print SPEC's network as JSON: routers, endpoints, links, radix histogram, diameter, mean minimal
    hops, bisection links and the uniform-traffic saturation bound. Builds the network; simulates nothing."""
    import json

    resolved = load_spec(spec, sets or (), unset=unsets or ())
    from ..description import describe as describe_network

    with _naming(spec):
        text = json.dumps(describe_network(resolved), indent=1)
        if graph is not None:
            from ..graph_files import write

            write(resolved, str(graph))
    _emit(None, text + "\n")


import_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                         rich_markup_mode=None, help="Print the fabric spec of another simulator's configuration.")
app.add_typer(import_app, name="import")


@import_app.command("booksim")
@reports_errors
def import_booksim(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="A BookSim 2 configuration file.")],
    sets: Annotated[Optional[list[str]], typer.Option(
        "--set", metavar="KEY=VALUE", help="Override one BookSim field after the file, as on BookSim's command "
                                           "line (KEY=VALUE, BookSim's syntax). Repeatable.")] = None,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="List the fields fabric cannot honour as comments instead of refusing them.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the spec here.")] = None,
) -> None:
    """Print the TOML spec of a BookSim 2 configuration: its topology, routing, router, traffic and
    measurement, with BookSim's defaults for what it leaves out. A field fabric cannot honour is an error
    that names it and says why."""
    from ..importers.booksim import import_config

    _emit(output, import_config(str(config), sets or (), lenient))


def main() -> None:
    """Console-script entry point (``fabric``, ``python -m fabric``)."""
    app(prog_name="fabric")
