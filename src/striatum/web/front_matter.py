"""A Markdown artifact's front matter (`---` blocks) as key/value pairs, apart from its body.

Review artifacts start (or, as some agents write them, end) with a block such as
`---\\nverdict: accept\\n---`; rendered as Markdown its closing `---` turns the last line into a
heading. Pure: a simple reader of `key: value` lines, where indented or `- ` lines continue the
previous value (no YAML parser: the page only shows the text, it never interprets it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from striatum.model import verdict_text

KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_. -]{0,63}):(?:\s+(.*)|\s*)$")


@dataclass(frozen=True, kw_only=True)
class Split:
    fields: list[tuple[str, str]]  # in the file's order
    body: str  # the Markdown without the block(s)


def split(text: str) -> Split:
    """The blocks the verdict reader finds (`verdict_text`), at the top and at the end, when
    they hold `key: value` lines (two rules around prose are not front matter)."""
    lines = text.lstrip("\ufeff").splitlines()
    fields: list[tuple[str, str]] = []
    leading = _with_keys(lines, verdict_text.leading_block(lines))
    if leading is not None:
        fields += _pairs(lines[leading.start : leading.stop])
        lines = lines[leading.stop + 1 :]  # past the closing fence
    trailing = _with_keys(lines, verdict_text.trailing_block(lines))
    if trailing is not None:
        fields += _pairs(lines[trailing.start : trailing.stop])
        lines = lines[: trailing.start - 1]  # before the opening fence
    return Split(fields=fields, body="\n".join(lines) + ("\n" if lines else ""))


def _with_keys(lines: list[str], block: range | None) -> range | None:
    if block is None or not any(KEY.match(lines[i]) for i in block):
        return None
    return block


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
