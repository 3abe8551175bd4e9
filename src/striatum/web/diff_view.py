"""A unified diff (`git diff --patch`) as files of classed lines for the code page: pure.

Each line keeps its text (the template escapes it) and gets a class: `add`, `del`, `hunk`,
`meta` or `context`. A binary file is only named; a file past MAX_FILE_LINES shows its first
lines and says how many more there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_FILE_LINES = 2000


@dataclass(kw_only=True)
class FileDiff:
    path: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (class, text)
    added: int = 0
    removed: int = 0
    binary: bool = False
    hidden: int = 0  # lines past MAX_FILE_LINES, not kept
    in_hunk: bool = False  # past the file's header


def parse(patch: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            files.append(FileDiff(path=_path(line)))
        elif files:
            _take(files[-1], line)
    return files


def _path(header: str) -> str:
    """`b/...` of a `diff --git a/x b/x` line (the name after the change)."""
    _, _, rest = header.partition(" b/")
    return rest or header.removeprefix("diff --git ")


def _take(into: FileDiff, line: str) -> None:
    kind = _kind(line, in_hunk=into.in_hunk)
    if kind == "binary":
        into.binary = True
        return
    into.in_hunk = into.in_hunk or kind == "hunk"
    into.added += kind == "add"
    into.removed += kind == "del"
    if len(into.lines) >= MAX_FILE_LINES:
        into.hidden += 1
        return
    into.lines.append((kind, line))


def _kind(line: str, *, in_hunk: bool) -> str:
    if line.startswith("@@"):
        return "hunk"
    if not in_hunk:  # the file's header: mode, index, ---/+++ names, or a binary note
        binary = line.startswith("Binary files ") or line == "GIT binary patch"
        return "binary" if binary else "meta"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "context" if line.startswith(" ") or line == "" else "meta"
