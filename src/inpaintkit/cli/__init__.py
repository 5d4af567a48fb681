"""The command line: parse arguments into a Request, call the library, report.

No image logic lives here. Usage errors (a mistyped command or flag) are typer's own
message with exit code 2; inpaintkit's errors become one line on stderr that names the
fix in flags, with exit code 2 for bad input and 1 for an internal error. Never a
traceback (set ``INPAINTKIT_DEBUG=1`` to see one).

Modules: :mod:`.app` (the Typer apps), :mod:`.flags` (shared flags and the engine flags
derived from the option tables), :mod:`.fill` (``run``, ``outpaint``), :mod:`.recipes`
(``engines``, ``info``, ``replay``), :mod:`.masks` (``mask refine|lint|scratches``).
"""

from __future__ import annotations

import os
import sys

import typer

from inpaintkit.cli import (  # noqa: F401  (they register commands)
    apps,
    automask,
    batch,
    fill,
    masks,
    recipes,
    restore,
    serve,
)
from inpaintkit.cli.app import EXIT_BAD_INPUT, EXIT_INTERNAL, app
from inpaintkit.errors import EngineUnavailableError, InpaintKitError, InvalidInputError, spell_flag

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: turn errors into one line and an exit code, never a traceback."""
    try:
        app()  # standalone mode: typer reports usage errors itself, with exit code 2
    except (InvalidInputError, EngineUnavailableError) as error:
        typer.echo("error: " + " ".join(error.spelled(spell_flag).split()), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence against tracebacks
        if os.environ.get("INPAINTKIT_DEBUG"):
            raise
        kind = "error" if isinstance(error, InpaintKitError) else "internal error"
        text = error.spelled(spell_flag) if isinstance(error, InpaintKitError) else str(error)
        typer.echo(
            f"{kind}: {type(error).__name__}: {' '.join(text.split())} "
            "(set INPAINTKIT_DEBUG=1 for details)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
