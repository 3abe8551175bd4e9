"""How a failed command ends: one or two lines on stderr and the documented exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from striatum import errors
from striatum.model.terminal_text import visible


def run_guarded(command: Callable[[], Any]) -> None:
    """Run a click command in non-standalone mode; never let a traceback reach the user."""
    try:
        result = command()
    except errors.StriatumError as error:
        from striatum.cli import role_hint

        role_hint.add_hint(error, sys.argv[1:])
        report(error)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        sys.exit(errors.EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(errors.EXIT_USAGE if isinstance(error, click.UsageError) else error.exit_code)
    except KeyboardInterrupt:
        sys.exit(errors.EXIT_INTERRUPTED)
    except Exception as error:
        report(
            errors.StriatumError(
                f"internal error: {type(error).__name__}: {error}",
                hint="please report this with the command you ran",
            )
        )
        sys.exit(errors.EXIT_INTERNAL)
    sys.exit(result if isinstance(result, int) else errors.EXIT_OK)


def report(error: errors.StriatumError) -> None:
    """The message and hint on one line each: they may quote agent or workflow text, so
    their control characters, newlines included, are escaped."""
    click.echo(f"striatum: error: {visible(error.message)}", err=True)
    if error.hint:
        click.echo(f"  hint: {visible(error.hint)}", err=True)
