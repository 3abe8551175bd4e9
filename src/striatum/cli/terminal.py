"""Where human output goes: how wide it may be and whether it may carry colour.

Read once per command from the environment, never guessed per line. Colour follows
https://no-color.org: `NO_COLOR` (non-empty) or `TERM=dumb` turn it off whatever else says;
`STRIATUM_COLOR=always` turns it on without a terminal (tests, `less -R`), `never` turns it
off; otherwise colour only on a terminal. Light imports only: the CLI's fast path draws with it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import TextIO

# Width when nothing tells it (output piped, no COLUMNS): wide enough for an id and a command.
PIPED_WIDTH = 100
NARROWEST = 40
# Height when nothing tells it: no terminal to fit, so nothing is left out.
PIPED_HEIGHT = 10_000

# Select Graphic Rendition codes of the few styles views use.
STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}


class Screen:
    """The width to fit and a painter: `paint(text, style)` is the text itself without colour."""

    __slots__ = ("color", "height", "width")

    def __init__(self, width: int, *, color: bool, height: int = PIPED_HEIGHT) -> None:
        self.width, self.color, self.height = max(NARROWEST, width), color, height

    def paint(self, text: str, style: str | None) -> str:
        if not (self.color and style and text):
            return text
        codes = ";".join(STYLES[name] for name in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"


def screen(stream: TextIO | None = None) -> Screen:
    """The screen `stream` (stdout by default) writes to, as the environment describes it."""
    stream = sys.stdout if stream is None else stream
    tty = _isatty(stream)
    width, height = _size(stream, tty)
    return Screen(width, color=wants_color(os.environ, tty=tty), height=height)


def wants_color(env: dict[str, str] | os._Environ[str], *, tty: bool) -> bool:
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    forced = env.get("STRIATUM_COLOR", "")
    if forced in ("always", "never"):
        return forced == "always"
    return tty


def _size(stream: TextIO, tty: bool) -> tuple[int, int]:
    width = _env_int("COLUMNS")
    height = _env_int("LINES")
    if tty and (width is None or height is None):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (OSError, ValueError):
            size = os.terminal_size((PIPED_WIDTH, PIPED_HEIGHT))
        width, height = width or size.columns, height or size.lines
    return width or PIPED_WIDTH, height or PIPED_HEIGHT


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
