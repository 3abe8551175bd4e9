"""A lane's `env`: literal values, or `${VAR}` references resolved at launch from the
supervisor's environment. The workflow (and so the run's snapshot and the event chain) keeps
the reference, never the value."""

from __future__ import annotations

import re
from collections.abc import Mapping

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
RESERVED_PREFIX = "STRIATUM_"  # set by the supervisor for each lease


def problem(name: str, value: str) -> str | None:
    """Why `name=value` cannot be a lane variable, or None."""
    if not NAME.match(name):
        return f"{name!r} is not a variable name (letters, digits, _; not starting with a digit)"
    if name.upper().startswith(RESERVED_PREFIX):
        return f"{name} is set by Striatum for each lease and cannot be given here"
    if "\0" in value:
        return "a value cannot hold a NUL byte"
    if "${" in REFERENCE.sub("", value):
        return f"malformed reference in {value!r}: write ${{NAME}}"
    if any(ref.upper().startswith(RESERVED_PREFIX) for ref in REFERENCE.findall(value)):
        return "a lane cannot pass on Striatum's own variables (tokens, database URLs)"
    return None


def references(value: str) -> list[str]:
    return REFERENCE.findall(value)


def resolve(
    declared: Mapping[str, str], source: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The lane's variables with every `${VAR}` filled from `source`, and the names of
    referenced variables `source` does not have (the launch refuses those)."""
    missing: list[str] = []

    def lookup(match: re.Match[str]) -> str:
        if match[1] not in source or match[1].upper().startswith(RESERVED_PREFIX):
            missing.append(match[1])
            return ""
        return source[match[1]]

    resolved = {name: REFERENCE.sub(lookup, value) for name, value in declared.items()}
    return resolved, sorted(set(missing))
