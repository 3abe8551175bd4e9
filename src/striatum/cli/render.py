"""Human output for verb results: lists become tables, objects become aligned fields.

Every piece of text from the result (keys, cells, bullets) goes through
`terminal_text.visible`, so agent text can neither send control sequences to the terminal
nor start a line of its own. `--json` is left exact: JSON escapes every control character.
"""

from __future__ import annotations

import json
import sys

from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

# Long text (an artifact's content) shown line by line, indented under its name: its lines
# escaped one by one, so none can pass for a field or a table row of the result.
BLOCKS = frozenset({"content"})


def show(result: Any, *, as_json: bool) -> None:
    """Print a verb's result (plain stdout writes: this runs on the CLI's fast path)."""
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
        return
    sys.stdout.write("".join(line + "\n" for line in lines(result)))


def lines(result: Any) -> list[str]:
    if isinstance(result, dict):
        tables = {k: v for k, v in result.items() if _is_table(v)}
        bullets = {k: v for k, v in result.items() if _is_text_list(v) and k not in tables}
        blocks = {k: v for k, v in result.items() if k in BLOCKS and isinstance(v, str)}
        shown = {*tables, *bullets, *blocks}
        fields = {k: v for k, v in result.items() if k not in shown}
        out = _fields(fields)
        for name, text in blocks.items():
            out += [f"{name}:"] + [f"    {visible(line)}" for line in text.split("\n")]
        for name, items in bullets.items():
            out += [f"{visible(name)}:"] + [line for item in items for line in _bullet(item)]
        for name, rows in tables.items():
            out += [f"{visible(name)}:"] if fields or len(tables) > 1 else []
            out += _table(rows) if rows else ["  (none)"]
        return out
    if _is_table(result):
        return _table(result) or ["(none)"]
    return [visible(str(result))]


def _bullet(item: str) -> list[str]:
    """An item wrapped at 80 columns; its own lines that start with a space (a command, a
    snippet to paste) are kept whole, indented under it. The daemon's newlines split it;
    agent text in it arrives escaped (`summaries.next_actions`) and is escaped again here."""
    import textwrap

    out: list[str] = []
    for number, part in enumerate(visible(line) for line in item.split("\n")):
        if part.startswith(" "):
            out.append(f"  {part}")
            continue
        out += textwrap.wrap(
            part,
            80,
            initial_indent="    " if number else "  - ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or ["  -"]
    return out


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(row, dict) for row in value)


def _fields(fields: dict[str, Any]) -> list[str]:
    keys = {key: visible(key) for key in fields}
    width = max((len(k) for k in keys.values()), default=0)
    return [f"{keys[key].ljust(width)}  {_cell(value)}" for key, value in fields.items()]


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    titles = [visible(c).upper() for c in columns]
    widths = [max(len(t), *(len(r[i]) for r in cells)) for i, t in enumerate(titles)]
    header = "  ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return [header.rstrip(), *(line.rstrip() for line in body)]


def _cell(value: Any) -> str:
    """One value on one line: nested values as compact JSON, text with controls escaped."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return visible(json.dumps(value, sort_keys=True, separators=(",", ":")))
    return visible(str(value))
