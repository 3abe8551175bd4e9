"""Deciding what a (re)install does to one skills directory: pure, over hashes only.

Ours is what the install manifest recorded. A file whose bytes still match that record may be
replaced or removed; one that does not (the user edited it, or it was never ours) is a
conflict, overwritten only with --force.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Plan(NamedTuple):
    write: tuple[str, ...]  # new or outdated files of ours (or conflicts, when forced)
    unchanged: tuple[str, ...]
    remove: tuple[str, ...]  # ours, unedited, no longer in the bundle
    conflicts: tuple[str, ...]  # edited or foreign files the bundle would overwrite
    kept: tuple[str, ...]  # ours, edited, no longer in the bundle: left alone

    @property
    def changes(self) -> bool:
        return bool(self.write or self.remove)


def decide(
    desired: Mapping[str, str],
    current: Mapping[str, str | None],
    recorded: Mapping[str, str],
    *,
    force: bool,
) -> Plan:
    """desired/recorded: path -> SHA-256; current: path -> SHA-256 on disk, None if absent."""
    write: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    for path, wanted in sorted(desired.items()):
        found = current.get(path)
        if found == wanted:
            unchanged.append(path)
        elif found is None or found == recorded.get(path):
            write.append(path)
        else:
            conflicts.append(path)
    remove: list[str] = []
    kept: list[str] = []
    for path, was in sorted(recorded.items()):
        if path in desired or current.get(path) is None:
            continue
        (remove if current.get(path) == was else kept).append(path)
    if force:
        write, conflicts = sorted(write + conflicts), []
    return Plan(tuple(write), tuple(unchanged), tuple(remove), tuple(conflicts), tuple(kept))
