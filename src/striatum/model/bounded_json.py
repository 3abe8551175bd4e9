"""json.loads with bounds: nesting at most MAX_DEPTH levels, integers within 64 bits,
floats finite, no NaN/Infinity. Used for workflow files and RPC frames.

Unbounded JSON is not an attack on the parser alone: a deep document makes every later
recursive walk (validation, hashing) raise RecursionError, and a 5,000-digit integer makes
int() raise. Both are refused here, up front, naming the JSON path at fault.

Nothing here recurses. The depth is read from the raw text (strings removed, brackets
summed), which is C-speed for ordinary input; the path of a violation is found by a linear
token scan run only when there is one. Standard library only: the CLI imports this on its
fast path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from functools import partial
from itertools import accumulate
from typing import Any

from striatum.model.json_paths import json_path

MAX_DEPTH = 64  # objects and arrays, the outermost one counted as level 1
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # PostgreSQL's bigint

# A string token that never fails: an unterminated one runs to the end of the text, so a
# scan over hostile text stays linear (no retry from every later quote).
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)'
_STRINGS = re.compile(_STRING, re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_STEPS = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOKENS = re.compile(
    _STRING + r"|[\[\]{},:]|NaN|-?Infinity|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", re.DOTALL
)
_PATH_HEAD, _PATH_TAIL, _KEY_CHARS = 6, 3, 40


class BoundsError(ValueError):
    """The JSON is well formed but exceeds a bound; `path` says where. `document` is what
    could still be read: the whole document with each refused number as None, or None when
    it was too deep to parse (a server still learns a request's id from it)."""

    def __init__(self, path: str, problem: str, document: Any = None) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.document = document


def loads(
    text: str | bytes,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    locate: bool = True,
) -> Any:
    """Like json.loads (the same JSONDecodeError for bad syntax), but a BoundsError for a
    document nested deeper than MAX_DEPTH or holding an unbounded number. Finding the path
    of a violation is a Python-speed scan (about half a second for 1 MiB of small tokens):
    `locate=False` skips it (the path is then `$`), for a server's event loop."""
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if _deeper_than_limit(text):
        too_deep = f"nesting deeper than {MAX_DEPTH} levels"
        raise _located(text, too_deep) if locate else BoundsError("$", too_deep)
    refused: list[str] = []  # what json's hooks refused, in text order
    document = json.loads(
        text,
        parse_int=partial(_bounded_int, refused),
        parse_float=partial(_bounded_float, refused),
        parse_constant=partial(_refused_constant, refused),
        object_pairs_hook=object_pairs_hook,
    )
    if refused:
        error = _located(text, refused[0]) if locate else BoundsError("$", refused[0])
        raise BoundsError(error.path, error.problem, document)
    return document


def number_problem(literal: str) -> str | None:
    """Why a JSON number literal is refused, or None."""
    if literal in ("NaN", "Infinity", "-Infinity"):
        return f"{literal} is not a JSON number"
    if not any(mark in literal for mark in ".eE"):
        if len(literal.lstrip("-")) > 19 or not INT_MIN <= int(literal) <= INT_MAX:
            return f"integer {_short(literal)} is outside the 64-bit range"
        return None
    if not math.isfinite(float(literal)):
        return f"number {_short(literal)} is too large for a double"
    return None


def _deeper_than_limit(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    brackets = _BRACKETS.findall(_STRINGS.sub("", text))
    return max(accumulate(map(_STEPS.__getitem__, brackets)), default=0) > MAX_DEPTH


def _located(text: str, fallback: str) -> BoundsError:
    for path, problem in _violations(text):
        return BoundsError(_abbreviated(path), problem)
    return BoundsError("$", fallback)


def _violations(text: str) -> Iterator[tuple[list[str | int], str]]:
    """Each too-deep container and unbounded number, in text order, with its path. Each
    open container holds its position: the raw key token (object) or the index (array)."""
    stack: list[list[Any]] = []  # [kind, position]
    last_string = ""
    for match in _TOKENS.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            last_string = token
        elif first in "[{":
            if len(stack) >= MAX_DEPTH:
                yield _path(stack), f"nesting deeper than {MAX_DEPTH} levels"
                return
            stack.append([first, 0 if first == "[" else None])
        elif first in "]}":
            if stack:
                stack.pop()
        elif first == ",":
            if stack:
                stack[-1][1] = stack[-1][1] + 1 if stack[-1][0] == "[" else None
        elif first == ":":
            if stack and stack[-1][0] == "{":
                stack[-1][1] = last_string
        else:
            problem = number_problem(token)
            if problem is not None:
                yield _path(stack), problem


def _path(stack: list[list[Any]]) -> list[str | int]:
    return [_key(position) for kind, position in stack if position is not None]


def _key(position: Any) -> str | int:
    if isinstance(position, int):
        return position
    try:
        key = str(json.loads(position))
    except ValueError:
        key = position.strip('"')
    return key if len(key) <= _KEY_CHARS else key[:_KEY_CHARS] + "…"


def _abbreviated(parts: list[str | int]) -> str:
    if len(parts) <= _PATH_HEAD + _PATH_TAIL + 1:
        return json_path(*parts)
    hidden = len(parts) - _PATH_HEAD - _PATH_TAIL
    head, tail = json_path(*parts[:_PATH_HEAD]), json_path(*parts[-_PATH_TAIL:])
    return f"{head}…({hidden} levels)…{tail[1:]}"


def _short(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:12]}…({len(literal)} characters)"


def _bounded_int(refused: list[str], literal: str) -> int | None:
    if len(literal) <= 18:  # the common case, always within 64 bits
        return int(literal)
    problem = number_problem(literal)
    if problem is not None:
        refused.append(problem)
        return None
    return int(literal)


def _bounded_float(refused: list[str], literal: str) -> float | None:
    value = float(literal)
    if math.isfinite(value):
        return value
    refused.append(f"number {_short(literal)} is too large for a double")
    return None


def _refused_constant(refused: list[str], literal: str) -> None:
    refused.append(f"{literal} is not a JSON number")
