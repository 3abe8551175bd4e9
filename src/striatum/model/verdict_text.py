"""A review's verdict written in its artifact: the front matter block at the top of the file.

    ---
    verdict: needs_revision
    ---

The lane prompt shows exactly this form (`FORMAT`), and this is the only parser of it. A block
at the very end of the file is accepted too (agents told to "end with" it did so). A verdict
line whose value is not one of `VALUES` is reported with its line number, not ignored.
`leading_block` and `trailing_block` find the blocks for the web's artifact pages too.
"""

from __future__ import annotations

from dataclasses import dataclass

VALUES = ("accept", "needs_revision", "reject")
FORMAT = "---\nverdict: accept | needs_revision | reject\n---"
_SCAN = 200  # lines of a block looked at


@dataclass(frozen=True, kw_only=True)
class Reading:
    value: str | None = None  # one of VALUES when found and valid
    problem: str | None = None  # why a verdict line was not accepted
    line: int | None = None  # 1-based line of the verdict line


def read(text: str) -> Reading:
    lines = text.lstrip("\ufeff").splitlines()
    for block in (leading_block(lines), trailing_block(lines)):
        if block is not None:
            found = _verdict_in(lines, block)
            if found is not None:
                return found
    return Reading(problem="no `verdict:` line in a front matter block at the top of the file")


def leading_block(lines: list[str]) -> range | None:
    """The lines inside a `---` block that opens the text (its fences excluded), if any."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != "---":
        return None
    end = next(
        (i for i in range(start + 1, min(len(lines), start + _SCAN)) if lines[i].strip() == "---"),
        None,
    )
    return None if end is None else range(start + 1, end)


def trailing_block(lines: list[str]) -> range | None:
    """The lines inside a `---` block that ends the text (its fences excluded), if any."""
    end = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    if end is None or lines[end].strip() != "---":
        return None
    start = next(
        (i for i in range(end - 1, max(-1, end - _SCAN), -1) if lines[i].strip() == "---"), None
    )
    return None if start is None else range(start + 1, end)


def _verdict_in(lines: list[str], block: range) -> Reading | None:
    for index in block:
        key, sep, value = lines[index].partition(":")
        if not sep or key.strip().lower() != "verdict":
            continue
        cleaned = value.split(" #", 1)[0].strip().strip("'\"").strip()
        if cleaned.lower() in VALUES:
            cleaned = cleaned.lower()
            return Reading(value=cleaned, line=index + 1)
        return Reading(
            problem=f"line {index + 1}: `verdict: {cleaned}` is not one of {', '.join(VALUES)}",
            line=index + 1,
        )
    return None
