"""A Markdown artifact's front matter (`---` blocks) as key/value pairs, apart from its body.

Review artifacts start (or, as some agents write them, end) with a block such as
`---\\nverdict: accept\\n---`; rendered as Markdown its closing `---` turns the last line into a
heading. Pure: a simple reader of `key: value` lines, where indented or `- ` lines continue the
previous value (no YAML parser: the page only shows the text, it never interprets it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_. -]{0,63}):(?:\s+(.*)|\s*)$")
MAX_LINES = 200  # a block longer than this is not front matter


@dataclass(frozen=True, kw_only=True)
class Split:
    fields: list[tuple[str, str]]  # in the file's order
    body: str  # the Markdown without the block(s)


def split(text: str) -> Split:
    lines = text.lstrip("\ufeff").splitlines()
    fields: list[tuple[str, str]] = []
    leading = _block(lines, range(len(lines)))
    if leading is not None:
        fields += _pairs(lines[leading[0] + 1 : leading[1]])
        lines = lines[leading[1] + 1 :]
    trailing = _block(lines, range(len(lines) - 1, -1, -1))
    if trailing is not None:
        start, end = sorted(trailing)
        fields += _pairs(lines[start + 1 : end])
        lines = lines[:start]
    return Split(fields=fields, body="\n".join(lines) + ("\n" if lines else ""))


def _block(lines: list[str], order: range) -> tuple[int, int] | None:
    """The fence lines (first, then second in `order`) of a block at that end, if any."""
    first = next((i for i in order if lines[i].strip()), None)
    if first is None or lines[first].strip() != "---":
        return None
    rest = [i for i in order if (i > first if order.step > 0 else i < first)][:MAX_LINES]
    second = next((i for i in rest if lines[i].strip() == "---"), None)
    if second is None:
        return None
    inner = lines[min(first, second) + 1 : max(first, second)]
    if not any(KEY.match(line) for line in inner):
        return None  # two rules around prose, not front matter
    return first, second


def _pairs(inner: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in inner:
        found = KEY.match(line)
        if found and not line[:1].isspace():
            pairs.append((found.group(1).strip(), (found.group(2) or "").strip()))
        elif line.strip() and pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value}\n{line.strip()}".strip())
    return pairs
