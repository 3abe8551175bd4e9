"""`striatum completion SHELL`: click's completion script for the `striatum` command.

The script calls `striatum` back with `_STRIATUM_COMPLETE` set; the console script sends that
(an empty command line) to the click CLI, which answers with the candidates.
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")
PROG = "striatum"
COMPLETE_VAR = "_STRIATUM_COMPLETE"


def script(root: click.Command, shell: str) -> str:
    """The source a shell evaluates to complete `striatum` command lines."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # SHELLS are click's own
    return completer(root, {}, PROG, COMPLETE_VAR).source()


def run_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Candidates for a run id: `latest` and the daemon's newest runs; nothing (never an
    error in the shell) when no daemon answers."""
    from striatum.client import rpc

    try:
        runs = rpc.call("list.runs", {"limit": 50}, timeout_s=2.0)["runs"]
    except Exception:  # a completion must never print a traceback into the shell
        runs = []
    ids = ["latest", *(run["run_id"] for run in runs)]
    return [run_id for run_id in ids if run_id.startswith(incomplete)]
