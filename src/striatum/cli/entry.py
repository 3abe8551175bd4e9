"""The `striatum` console script: the cheapest path to the answer.

`--version` is answered before anything is imported, and an ordinary verb call is parsed
from the catalog and sent to the daemon without loading click (see fastpath.py). Everything
else (help, usage errors, local commands) goes to the full click CLI.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from striatum import __version__

        sys.stdout.write(f"striatum, version {__version__}\n")
        sys.exit(0)
    from striatum.cli import fastpath

    invocation = fastpath.parse(argv)
    if invocation is not None:
        sys.exit(fastpath.run(invocation))
    from striatum.cli.main import main as full_cli

    full_cli()
