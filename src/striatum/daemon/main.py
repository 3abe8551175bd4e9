"""`striatumd`: the daemon in the foreground.

Today it brings the substrate up (embedded cluster or `--database-url`), applies migrations,
and holds the embedded cluster until SIGTERM/SIGINT, then stops it cleanly. The socket server
and the verbs arrive with the daemon issue.
"""

from __future__ import annotations

import signal
import sys

import click

from striatum.cli.main import database_url_option


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@database_url_option
def striatumd(database_url: str | None) -> None:
    """Run the Striatum daemon in the foreground until SIGTERM or SIGINT."""
    from striatum.daemon import substrate
    from striatum.store import migrations

    wanted = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    with substrate.database(database_url) as database:
        report = migrations.migrate(database)
        applied = ", ".join(report.applied) or "none pending"
        click.echo(f"striatumd: {database.label} (PostgreSQL {report.server_version}); "
                   f"migrations: {applied}; ready", err=True)
        received = signal.sigwait(wanted)
        click.echo(f"striatumd: {signal.Signals(received).name} received, shutting down", err=True)


def main() -> None:
    from striatum.cli.failures import run_guarded

    run_guarded(lambda: striatumd.main(prog_name="striatumd", standalone_mode=False))


if __name__ == "__main__":
    main()
    sys.exit(0)
