"""Text that came from agents, workflows or the database, made safe to show on a terminal.

A terminal obeys the control characters it is sent: ESC sequences set the title, clear the
screen, forge colours; a newline starts a line the reader takes for a new table row or a
command to paste. Every human renderer passes such text through `visible`, which writes C0
controls, DEL and C1 controls (and lone surrogates, which cannot even be encoded) as
backslash escapes, the way Python writes them: ESC as `\\x1b`, a newline as `\\n`.
Everything else, accents and emoji included, is left as it is, and `visible` of its own
output changes nothing. Standard library only: the CLI's fast path imports it.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """`text` on one line, every control character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    return f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}"
