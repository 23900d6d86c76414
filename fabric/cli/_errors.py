"""The CLI's one error policy, applied to every command body by `reports_errors`.

User errors (`FabricError`) become ``error: ...`` lines on stderr and exit 1 (`stdout_errors` turns a
failed write to stdout, such as a full disk, into one); Ctrl-C exits 130; a closed stdout pipe
(``fabric sweep ... | head -1``) exits quietly with 141, the status of a process killed by SIGPIPE;
anything else is a bug: its traceback, a request to report it, and exit 70. Usage errors never reach
here: Click reports them and exits 2.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
import warnings

import typer

from .._version import __version__
from ..errors import CoreBuildError, FabricError, FabricWarning, SpecError

EXIT_USER_ERROR = 1
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE in sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def reports_errors(command):
    """Wrap a command body so that every exception leaves through the policy above."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        spec = kwargs.get("spec")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", FabricWarning)
                warnings.showwarning = functools.partial(_show_warning, spec)
                return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except FabricError as error:
            problems = error.problems if isinstance(error, SpecError) else [str(error)]
            for problem in problems:
                typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except CoreBuildError as error:            # the package is not built, or built from other sources
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # the reader went away (`fabric sweep ... | head -1`): stop quietly with the status of a
            # process killed by SIGPIPE, as `yes | head -1` does
            _discard_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None

        except Exception as error:
            if type(error).__name__ == "InvariantError":       # sim.check caught the core breaking a rule
                typer.echo(f"fabric {__version__}: {error} (a bug in fabric: please report it with the spec)",
                           err=True)
                raise typer.Exit(EXIT_INTERNAL_ERROR) from None
            traceback.print_exc()
            typer.echo(f"fabric {__version__}: internal error, please report it with the traceback above",
                       err=True)
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return wrapper


@contextlib.contextmanager
def stdout_errors():
    """A write to stdout that fails (a full disk, /dev/full) is a user's problem, not fabric's bug. A
    closed pipe (BrokenPipeError) is left to `reports_errors`."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        _discard_stdout()
        raise FabricError(f"<stdout>: cannot write the output ({error.strerror or error})") from None


def _show_warning(spec, message, category, filename, lineno, file=None, line=None) -> None:
    """A FabricWarning as one line, ``warning: file: key: message``; any other warning as Python shows it."""
    if issubclass(category, FabricWarning):
        where = "" if spec is None else f"{'<stdin>' if spec == '-' else spec}: "
        typer.echo(f"warning: {where}{message}", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not hit the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (e.g. under a test runner)
        pass
