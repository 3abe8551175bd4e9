"""`striatum completion SHELL`: click's completion script for the `striatum` command.

The script calls `striatum` back with `_STRIATUM_COMPLETE` set; the console script sends that
(an empty command line) to the click CLI, which answers with the candidates.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
PROG = "striatum"
COMPLETE_VAR = "_STRIATUM_COMPLETE"


def script(root: click.Command, shell: str) -> str:
    """The source a shell evaluates to complete `striatum` command lines."""
    completer = get_completion_class(shell)
    assert completer is not None  # SHELLS are click's own
    return completer(root, {}, PROG, COMPLETE_VAR).source()
