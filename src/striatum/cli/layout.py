"""Fitting text to a terminal's columns: cell widths, clipping with an ellipsis, word
wrapping, tables whose widest columns give way first, aligned fields.

Pure, and light on imports (the CLI's fast path draws with it). Text comes in already
escaped (`terminal_text.visible`) and plain; colour is painted after fitting, so a width
is always counted on what the terminal shows.
"""

from __future__ import annotations

import unicodedata

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from striatum.cli.terminal import Screen

    Styler = Callable[[str], str | None]

ELLIPSIS = "…"
GAP = "  "


def width_of(text: str) -> int:
    """Columns the text takes: wide (East Asian) characters take two, combining ones none."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def clip(text: str, width: int) -> str:
    """The text cut to `width` columns, its last one an ellipsis when anything was cut."""
    if width_of(text) <= width:
        return text
    if width <= 0:
        return ""
    kept, used = [], 0
    for char in text:
        size = _char_width(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + ELLIPSIS


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - width_of(text))


def wrap(text: str, width: int, *, indent: str = "", first: str | None = None) -> list[str]:
    """Word-wrapped lines of at most `width` columns. A word too long for a line gets a line
    of its own and is kept whole, past the width: it is a path, an id or a command, and a
    piece of one on each line would not paste back. `first` prefixes the first line
    (default: `indent`)."""
    lead = indent if first is None else first
    room = max(1, width - max(width_of(lead), width_of(indent)))
    out: list[str] = []
    line = ""
    for word in text.split(" "):
        if not line:
            line = word
        elif width_of(line) + 1 + width_of(word) <= room:
            line += " " + word
        else:
            out.append(line)
            line = word
    out.append(line)
    return [(lead if n == 0 else indent) + part for n, part in enumerate(out)]


def fields(pairs: Sequence[tuple[str, str]], screen: Screen, *, indent: str = "") -> list[str]:
    """`key  value` lines, keys aligned, each value wrapped under itself."""
    if not pairs:
        return []
    key_width = min(max(width_of(k) for k, _ in pairs), screen.width // 3)
    out: list[str] = []
    for key, value in pairs:
        label = indent + pad(clip(key, key_width), key_width) + GAP
        hang = " " * width_of(label)
        for n, line in enumerate(wrap(value, screen.width, indent=hang, first=label)):
            out.append(
                screen.paint(line[: len(label)], "bold") + line[len(label) :] if n == 0 else line
            )
    return out


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    screen: Screen,
    *,
    indent: str = "",
    styles: Mapping[int, Styler] | None = None,
    keep: frozenset[int] = frozenset(),
) -> list[str]:
    """A header line and one line per row, fitted to the screen: while too wide, the widest
    column gives a column (down to its title's width, or 6; the `keep` columns, ids, stay
    whole while the others can give); cells cut with an ellipsis."""
    widths = _fit(headers, rows, screen.width - width_of(indent), keep)
    styles = styles or {}
    title = GAP.join(pad(clip(h, w), w) for h, w in zip(headers, widths, strict=True))
    out = [indent + screen.paint(title.rstrip(), "bold")]
    for row in rows:
        cells = []
        for column, (cell, width) in enumerate(zip(row, widths, strict=True)):
            shown = clip(cell, width)
            style = styles[column](cell) if column in styles else None
            cells.append(screen.paint(shown, style) + " " * (width - width_of(shown)))
        out.append((indent + GAP.join(cells)).rstrip())
    return out


def _fit(
    headers: Sequence[str], rows: Sequence[Sequence[str]], room: int, keep: frozenset[int]
) -> list[int]:
    widths = [
        max([width_of(h), *(width_of(row[i]) for row in rows)]) for i, h in enumerate(headers)
    ]
    floors = [
        w if i in keep else min(w, max(6, width_of(h)))
        for i, (w, h) in enumerate(zip(widths, headers, strict=True))
    ]
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - room
    while excess > 0:
        column = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
        if widths[column] <= floors[column]:
            break
        widths[column] -= 1
        excess -= 1
    while excess > 0 and any(w > 1 for w in widths):  # still too wide: below the floors
        column = max(range(len(widths)), key=lambda i: widths[i])
        widths[column] -= 1
        excess -= 1
    return widths
