"""`striatum`: the command-line entry point."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from striatum import __version__

F = TypeVar("F", bound=Callable[..., Any])


def database_url_option(function: F) -> F:
    return click.option(
        "--database-url", envvar="STRIATUM_DATABASE_URL", default=None, metavar="URL",
        help="Use this PostgreSQL 14+ server instead of the embedded one "
        "(env STRIATUM_DATABASE_URL).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="striatum")
def cli() -> None:
    """Striatum: coordinate terminal-based AI coding agents through explicit workflows."""


@cli.group()
def daemon() -> None:
    """The daemon and its database substrate."""


@daemon.command()
@database_url_option
@click.option("--apply-migrations", is_flag=True, help="Apply pending schema migrations first.")
@click.option("--fast", is_flag=True,
              help="Check hashes and links only; skip comparing columns with the hashed bytes.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(database_url: str | None, apply_migrations: bool, fast: bool, as_json: bool) -> None:
    """Check the database, roles, migrations and both hash chains.

    Starts the embedded PostgreSQL for the check when no daemon runs it. Exits 0 only when
    everything holds; 8 when a chain or an append-only guarantee is broken (naming the first
    bad row), 11 when migrations are pending or edited.
    """
    from striatum.cli import doctor_view
    from striatum.daemon import doctor as doctor_checks
    from striatum.daemon import substrate

    with substrate.database(database_url) as database:
        report = doctor_checks.run(database, apply_migrations=apply_migrations, deep=not fast)
    doctor_view.show(report, as_json=as_json)
    sys.exit(report.exit_code)


def main() -> None:
    """Console-script entry: run the CLI, turning our errors into one line and an exit code."""
    from striatum.cli.failures import run_guarded

    run_guarded(lambda: cli.main(prog_name="striatum", standalone_mode=False))
