"""Rules for paths a workflow names: artifacts, write scopes, role and prompt files."""

from __future__ import annotations

from pathlib import PurePosixPath

FORBIDDEN_ROOTS = (".git", ".striatum")


def path_problem(text: str) -> str | None:
    """Why `text` is not a safe repository-relative path, or None when it is."""
    if "\x00" in text:
        return "contains a NUL byte"
    if "\\" in text:
        return "uses a backslash; write paths with /"
    path = PurePosixPath(text)
    if path.is_absolute():
        return "is absolute; paths are relative to the repository"
    if ".." in path.parts:
        return "contains '..'"
    if path.parts and path.parts[0] in FORBIDDEN_ROOTS:
        return f"points into {path.parts[0]}/, which Striatum never writes"
    if not path.parts or str(path) == ".":
        return "is empty"
    return None


def normalized(text: str) -> str:
    return str(PurePosixPath(text))


def within(path: str, scope: str) -> bool:
    """Whether `path` lies inside the directory or file `scope`."""
    inner, outer = PurePosixPath(path).parts, PurePosixPath(scope).parts
    return inner[: len(outer)] == outer
