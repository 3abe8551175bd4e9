"""`striatumd`: the daemon's own command line (the daemon itself is `striatum.daemon.main`)."""

from __future__ import annotations

import click

from striatum.cli.failures import run_guarded
from striatum.cli.options import database_url_option


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@database_url_option
def striatumd(database_url: str | None) -> None:
    """Run the Striatum daemon in the foreground until SIGTERM or SIGINT."""
    from striatum.daemon import main as daemon

    daemon.serve(database_url)


def main() -> None:
    run_guarded(lambda: striatumd.main(prog_name="striatumd", standalone_mode=False))


if __name__ == "__main__":
    main()
