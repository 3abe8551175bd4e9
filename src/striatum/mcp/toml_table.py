"""Setting keys of one `[a.b]` table in a TOML document by editing its text, so the user's
comments, layout and other keys survive (Python has no round-tripping TOML writer).

Only what can be done safely is done: a key whose value spans lines, a table written inline or
with dotted keys, is not edited here (`Unsupported`); the caller then leaves the file alone.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

TomlValue = str | bool | list[str]


class Unsupported(Exception):
    """The table is not written in a way this module edits (the message says how)."""


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, plus DEL, which JSON leaves raw."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: TomlValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    return f"[{', '.join(map(toml_string, value))}]"


def set_keys(text: str, table: tuple[str, str], values: dict[str, TomlValue]) -> str:
    """`text` with `[table]` holding `values` (appended as a new table when absent).

    The result is checked: it parses, the table reads back as its old keys updated with
    `values`, and everything outside the table reads exactly as before."""
    before = tomllib.loads(text)
    lines = text.splitlines()
    span = _span(lines, table)
    if span is None:
        if table[1] in before.get(table[0], {}):
            raise Unsupported("the table is not written as its own [header]")
        header = f"[{table[0]}.{table[1]}]"
        block = [header, *(f"{key} = {toml_value(v)}" for key, v in values.items())]
        kept = text.rstrip().splitlines()
        edited = ([*kept, ""] if kept else []) + block
    else:
        edited = _edit(lines, span, values)
    result = "\n".join(edited) + "\n"
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        raise Unsupported("the edited file would not parse") from None
    _check(before, after, table, values)
    return result


def _span(lines: list[str], table: tuple[str, str]) -> tuple[int, int] | None:
    """Lines [start, end) of the table's block: its header up to the next header."""
    names = "|".join(re.escape(name) for name in (table[1], json.dumps(table[1])))
    header = re.compile(rf"\s*\[\s*{re.escape(table[0])}\s*\.\s*(?:{names})\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    return start, end


def _edit(lines: list[str], span: tuple[int, int], values: dict[str, TomlValue]) -> list[str]:
    start, end = span
    block = lines[start:end]
    missing: list[str] = []
    for key, value in values.items():
        at = next((i for i, line in enumerate(block) if re.match(rf"\s*{key}\s*=", line)), None)
        if at is None:
            missing.append(f"{key} = {toml_value(value)}")
            continue
        try:
            tomllib.loads(block[at])
        except tomllib.TOMLDecodeError:
            raise Unsupported(f"its {key} spans several lines") from None
        block[at] = f"{key} = {toml_value(value)}"
    last = max(
        i for i, line in enumerate(block) if line.strip() and not line.lstrip().startswith("#")
    )
    block[last + 1 : last + 1] = missing
    return [*lines[:start], *block, *lines[end:]]


def _check(
    before: dict[str, Any],
    after: dict[str, Any],
    table: tuple[str, str],
    values: dict[str, TomlValue],
) -> None:
    outer, name = table
    old = before.get(outer, {}).get(name, {})
    new = after.get(outer, {}).pop(name, None)
    before.get(outer, {}).pop(name, None)
    for document in (before, after):
        if document.get(outer) == {}:
            del document[outer]
    if new != {**old, **values} or before != after:
        raise Unsupported("the edited file does not read back as intended")
