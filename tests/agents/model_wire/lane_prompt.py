"""Striatum lane prompts as a script reads them, and `lane_script`, a script for lanes.

Only three things are parsed: the `- \\`PATH\\`` lines under `## Write`, the presence of
`## Verdict` (and the first backticked path in it: the file that takes the front matter), and
the `- Lease: \\`ID\\`` line under `## This job`. Unknown sections are ignored.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tests.agents.model_wire.turns import Final, Reply, Script, ToolCall, Turn, WriteFile

_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_WRITE = re.compile(r"^\s*[-*]\s+`([^`]+)`\s*(\(required\))?")
_LEASE = re.compile(r"^\s*[-*]\s+Lease:\s+`([^`]+)`")
_PATH = re.compile(r"`([^`\s]+\.[A-Za-z0-9]+)`")


@dataclass(frozen=True, kw_only=True)
class LaneFile:
    path: str
    required: bool


@dataclass(frozen=True, kw_only=True)
class LanePrompt:
    """What a lane prompt asks: the files to write, whether it wants a verdict, its lease."""

    writes: tuple[LaneFile, ...]
    wants_verdict: bool
    verdict_path: str | None
    lease: str | None


def parse_lane_prompt(text: str) -> LanePrompt:
    """Parse a lane prompt; a prompt without the known sections gives empty fields."""
    sections = _sections(text)
    writes = tuple(
        LaneFile(path=m.group(1), required=bool(m.group(2)))
        for line in sections.get("write", [])
        if (m := _WRITE.match(line))
    )
    verdict = sections.get("verdict")
    lease = next(
        (m.group(1) for line in sections.get("this job", []) if (m := _LEASE.match(line))), None
    )
    verdict_path = next((m.group(1) for line in verdict or [] if (m := _PATH.search(line))), None)
    return LanePrompt(
        writes=writes, wants_verdict=verdict is not None, verdict_path=verdict_path, lease=lease
    )


def lane_script(
    *,
    verdicts: Iterable[str] | Callable[[], str] = ("accept",),
    edits: Mapping[str, str] | None = None,
    final: str = "Done: wrote the requested files.",
) -> Script:
    """A script that does a lane's job: write every `## Write` path, then end.

    A review prompt (one with `## Verdict`) gets its verdict file started with front matter;
    verdicts come from `verdicts` in order (the last one repeats) or from calling it. Task
    prompts also get `edits` (path -> content). Thread-safe: lanes may run concurrently.
    """
    next_verdict = verdicts if callable(verdicts) else _Queue(list(verdicts))

    def script(turn: Turn) -> Reply:
        if turn.number > 0:
            return Final(final)
        return _lane_calls(parse_lane_prompt(turn.prompt), next_verdict, edits or {})

    return script


def _lane_calls(
    lane: LanePrompt, next_verdict: Callable[[], str], edits: Mapping[str, str]
) -> Reply:
    calls: list[ToolCall] = []
    review_file = lane.verdict_path or (lane.writes[0].path if lane.writes else None)
    verdict = next_verdict() if lane.wants_verdict else None
    for lane_file in lane.writes:
        body = f"# {lane_file.path.rsplit('/', 1)[-1]}\n\nWritten by the scripted model.\n"
        if verdict is not None and lane_file.path == review_file:
            body = f"---\nverdict: {verdict}\n---\n\n{body}"
        calls.append(WriteFile(lane_file.path, body))
    if not lane.wants_verdict:
        calls += [WriteFile(path, content) for path, content in edits.items()]
    return calls or Final("Nothing to write.")


class _Queue:
    def __init__(self, values: list[str]) -> None:
        if not values:
            raise ValueError("lane_script needs at least one verdict")
        self._values = values
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            return self._values.pop(0) if len(self._values) > 1 else self._values[0]


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = sections.setdefault(heading.group(1).strip().lower(), [])
        elif current is not None:
            current.append(line)
    return sections
