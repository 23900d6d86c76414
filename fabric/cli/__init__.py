"""The ``fabric`` command: a thin Typer layer over `fabric.spec` and `fabric.engine`.

stdout carries data only (the result JSON); errors go to stderr through `reports_errors`. numpy and
the compiled core are imported inside the commands that need them, so ``fabric validate`` and
``fabric --version`` start fast.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated, Optional

import typer

from .._version import __version__
from ..errors import FabricError, SpecError
from ..spec import load_spec
from ._errors import reports_errors

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
    seed: Annotated[Optional[int], typer.Option("--seed", help="Replace sim.seed.")] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the result JSON here instead of stdout.")
    ] = None,
    progress: Annotated[
        Optional[bool],
        typer.Option("--progress/--no-progress", help="Progress bar on stderr. [default: when stderr is a terminal]",
                     show_default=False),
    ] = None,
) -> None:
    """Simulate SPEC and print the result as one JSON object."""
    resolved = load_spec(spec, sets or (), seed=seed)
    from ..engine import simulate

    with _naming(spec):
        text = simulate(resolved, progress=progress).to_json() + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise FabricError(f"{output}: cannot write the result ({error.strerror or error})") from None


@app.command()
@reports_errors
def validate(spec: SpecArgument, sets: SetOption = None) -> None:
    """Check SPEC; print nothing and exit 0 when it is valid, else list every problem on stderr."""
    load_spec(spec, sets or ())


@app.command()
@reports_errors
def describe(spec: SpecArgument, sets: SetOption = None) -> None:
    """Print SPEC's network as JSON: routers, endpoints, links, radix histogram, diameter, mean minimal
    hops, bisection links and the uniform-traffic saturation bound. Builds the network; simulates nothing."""
    import json

    resolved = load_spec(spec, sets or ())
    from ..describe import describe as describe_network

    with _naming(spec):
        typer.echo(json.dumps(describe_network(resolved), indent=1))


def main() -> None:
    """Console-script entry point (``fabric``, ``python -m fabric``)."""
    app(prog_name="fabric")
