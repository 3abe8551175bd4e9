"""Printing a verb's result: exact JSON for `--json`, else the verb's human view.

The human view (`striatum.cli.views`) fits the terminal's width and paints colour only where
`terminal.screen` allows it; every piece of text from the result goes through
`terminal_text.visible`, so agent text can neither send control sequences to the terminal
nor start a line of its own. `--json` is left exact: JSON escapes every control character.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

# Width of `lines`, the plain rendering tests and other modules ask for.
PLAIN_WIDTH = 100


def show(result: Any, *, as_json: bool, verb: str | None = None) -> None:
    """Print a verb's result (plain stdout writes: this runs on the CLI's fast path)."""
    if as_json:
        import json

        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
        return
    from striatum.cli import terminal, views

    drawn = views.draw(verb, result, terminal.screen(sys.stdout))
    sys.stdout.write("".join(line + "\n" for line in drawn))


def lines(result: Any, verb: str | None = None) -> list[str]:
    """The human view without colour, at a fixed width."""
    from striatum.cli import terminal, views

    return views.draw(verb, result, terminal.Screen(PLAIN_WIDTH, color=False))
