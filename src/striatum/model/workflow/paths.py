"""Rules for paths a workflow names: artifacts, write scopes, role and prompt files."""

from __future__ import annotations

from collections.abc import Sequence
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


def code_scopes(scopes: Sequence[str], artifact_root: str) -> list[str]:
    """The scopes that write code: those outside the artifact root (each attempt writes its
    artifacts in a folder of its own, so those never collide)."""
    return [s.rstrip("/") for s in scopes if not within(s, artifact_root)]


def overlapping(mine: Sequence[str], theirs: Sequence[str]) -> tuple[str, str] | None:
    """The first pair of code scopes (mine, theirs) where one lies inside the other."""
    for a in mine:
        for b in theirs:
            if within(a, b) or within(b, a):
                return a, b
    return None
