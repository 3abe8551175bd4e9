"""The view of a verb without one of its own: scalars as aligned fields, nested objects as
indented sub-fields, lists of text as bullets, lists of objects as fitted tables, an
artifact's `content` line by line. Every key and value goes through `visible` (humanize does
it for values), so agent text can neither drive the terminal nor start a line of its own.
"""

from __future__ import annotations

from striatum.cli import humanize, layout
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen

# Long text (an artifact's content) shown line by line, indented under its name: its lines
# escaped one by one, so none can pass for a field or a table row of the result.
BLOCKS = frozenset({"content"})
BULLET = "  - "


def draw(result: Any, screen: Screen, now: datetime) -> list[str]:
    if isinstance(result, dict):
        return document(result, screen, now)
    if is_table(result):
        return rows_table(result, screen, now) or ["(none)"]
    return layout.wrap(visible(str(result)), screen.width)


def document(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    tables = {k: v for k, v in result.items() if is_table(v) and v != []}
    empty = [k for k, v in result.items() if v == []]
    bullets = {k: v for k, v in result.items() if is_text_list(v)}
    blocks = {k: v for k, v in result.items() if is_block(k, v)}
    nested = {k: v for k, v in result.items() if isinstance(v, dict) and v}
    shown = {*tables, *empty, *bullets, *blocks, *nested}
    out = fields({k: v for k, v in result.items() if k not in shown}, screen, now)
    for name, value in nested.items():
        out += [screen.paint(f"{humanize.label(name)}:", "bold")]
        # sorted, as the JSON this replaces was: two doors may build one object in two orders
        inner = {k: value[k] for k in sorted(value) if not is_block(k, value[k])}
        out += fields(inner, screen, now, indent="  ")
        for key, text in ((k, v) for k, v in value.items() if is_block(k, v)):
            out += block(f"  {humanize.label(key)}:", text, screen)
    for name, text in blocks.items():
        out += block(f"{visible(name)}:", text, screen)
    for name, items in bullets.items():
        out += [screen.paint(f"{humanize.label(name)}:", "bold")]
        out += [line for item in items for line in bullet(item, screen)]
    for name, rows in tables.items():
        out += [screen.paint(f"{humanize.label(name)}:", "bold")] if out or len(tables) > 1 else []
        if name == "events" and all("seq" in row and "type" in row for row in rows):
            from striatum.cli.views import history

            out += history.event_lines(rows, screen, now)
            continue
        out += rows_table(rows, screen, now, indent="  " if out else "")
    for name in empty:
        out += [f"{screen.paint(humanize.label(name) + ':', 'bold')} (none)"]
    return out


def is_block(key: str, value: Any) -> bool:
    """Text shown line by line: an artifact's content. Other text with newlines (a reason, a
    log tail) stays one escaped value, so that agent text never starts a line."""
    return isinstance(value, str) and key in BLOCKS


def block(title: str, text: str, screen: Screen) -> list[str]:
    """The title, then each line of the text escaped and indented under it (wrapped, not cut:
    a log line is read whole)."""
    indent = " " * (len(title) - len(title.lstrip()) + 4)
    out = [title]
    for line in text.rstrip("\n").split("\n"):
        out += layout.wrap(visible(line), screen.width, indent=indent)
    return out


def fields(values: dict[str, Any], screen: Screen, now: datetime, *, indent: str = "") -> list[str]:
    pairs = [(humanize.label(str(k)), humanize.scalar(v, now, str(k))) for k, v in values.items()]
    return layout.fields(pairs, screen, indent=indent)


def bullet(item: str, screen: Screen) -> list[str]:
    """An item wrapped to the screen; its own lines that start with a space (a command, a
    snippet to paste) are kept whole, indented under it. The daemon's newlines split it."""
    out: list[str] = []
    for number, part in enumerate(visible(line) for line in item.split("\n")):
        if part.startswith(" "):  # whole even past the width: a cut one would not paste
            out.append(f"  {part}")
            continue
        out += layout.wrap(part, screen.width, indent="    ", first="    " if number else BULLET)
    return out


def rows_table(
    rows: list[dict[str, Any]], screen: Screen, now: datetime, *, indent: str = ""
) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[humanize.scalar(row.get(c), now, c) for c in columns] for row in rows]
    # a column with nothing in it says nothing: its room goes to the others
    shown = [i for i, _ in enumerate(columns) if any(row[i] != "-" for row in cells)] or [0]
    cells = [[row[i] for i in shown] for row in cells]
    titles = [humanize.label(columns[i]).upper() for i in shown]
    ids = frozenset(i for i, title in enumerate(titles) if title == "ID" or title.endswith(" ID"))
    return layout.table(titles, cells, screen, indent=indent, keep=ids)


def is_text_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def is_table(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(row, dict) for row in value)
