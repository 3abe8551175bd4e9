"""`striatum dashboard [--run-id ID] [--once]`: a live terminal view of one run, or of the
repository's runs.

Draws from the `status` and `why` verbs (or `list runs`), then waits for new events with the
`events.wait` long poll (fed by the daemon's LISTEN/NOTIFY) and redraws as they arrive, or
after --interval seconds at the latest, until the run ends or Ctrl-C. On a terminal the
frame is redrawn in place by `rich.live` (no clearing, so no flicker), fitted to the
terminal's width and height; without one, each change is one plain line (no escape codes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from striatum import errors
from striatum.cli import dashboard_frame, terminal
from striatum.cli.views import states
from striatum.client import rpc

Until = Callable[[dict[str, Any]], bool]  # a status after which following stops


class Source:
    """What a frame is drawn from, read from the daemon as the given role."""

    def __init__(self, run_id: str | None, repo: str | None, as_role: str | None) -> None:
        self.run_id, self.repo, self.as_role = run_id, repo, as_role

    def call(self, verb: str, params: dict[str, Any]) -> Any:
        return rpc.call(verb, params, as_role=self.as_role)

    def run(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        status = self.call("status", {"run_id": self.run_id})
        return status, self.call("why", {"id": self.run_id})["events"]

    def runs(self) -> tuple[str, list[dict[str, Any]], int]:
        """The repository's runs (every run when it is not adopted), and the inbox's count."""
        found = self.call("list.runs", {"limit": 200})["runs"]
        repo_id = self._repo_id()
        if repo_id is not None:
            found = [r for r in found if r.get("repo_id") == repo_id]
        title = f"runs of {self.repo}" if repo_id else "runs of every repository"
        return f"{title} ({len(found)})", found, int(self.call("inbox", {})["count"])

    def _repo_id(self) -> str | None:
        if self.repo is None:
            return None
        for repo in self.call("repo.list", {}).get("repositories", []):
            if repo.get("path") == self.repo:
                return str(repo["repo_id"])
        return None

    def wait(self, after_seq: int, interval: float) -> int:
        """Return (the cursor now) when there are new events, or after `interval` seconds
        (at least 1 s, at most 30, the long poll's limits)."""
        timeout = max(1, min(30, round(interval)))
        params: dict[str, Any] = {"after_seq": after_seq, "timeout_s": timeout}
        if self.run_id:
            params["run_id"] = self.run_id
        try:
            answer = self.call("events.wait", params)
        except errors.UsageError:  # an older daemon: no such method
            time.sleep(interval)
            return after_seq
        return int(answer.get("last_seq", after_seq)) if isinstance(answer, dict) else after_seq


def show(
    run_id: str | None, *, once: bool, interval: float, as_role: str | None, repo: str | None
) -> None:
    source = Source(run_id, repo, as_role)
    try:
        if once or not sys.stdout.isatty():
            _plain(source, once=once, interval=interval)
        else:
            _live(source, interval)
    except KeyboardInterrupt:
        sys.exit(errors.EXIT_INTERRUPTED)


def follow(source: Source, *, until: Until, interval: float = 1.0) -> None:
    """The run's view until it ends or `until` says so of its status (`striatum task`
    stops there to ask the human); live on a terminal, one line per event otherwise."""
    if sys.stdout.isatty():
        _live(source, interval, until)
    else:
        _plain(source, once=False, interval=interval, until=until)


def frame(
    source: Source, screen: terminal.Screen, until: Until | None = None
) -> tuple[list[str], int, bool]:
    """The lines to show, the event cursor to wait after, and whether to stop: the run has
    ended, or `until` says so of its status."""
    now = datetime.now(UTC)
    if source.run_id is None:
        title, found, waiting = source.runs()
        return dashboard_frame.runs_frame(title, found, waiting, screen, now), -1, False
    status, events = source.run()
    lines = dashboard_frame.run_frame(status, events, screen, now)
    cursor = events[-1]["seq"] if events else 0
    return lines, cursor, _stops(status, until)


def _stops(status: dict[str, Any], until: Until | None) -> bool:
    return status["run"]["state"] in states.ENDED or (until is not None and until(status))


def _live(source: Source, interval: float, until: Until | None = None) -> None:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    screen = terminal.screen(sys.stdout)
    console = Console(no_color=not screen.color, highlight=False)
    cursor = 0
    with Live(console=console, auto_refresh=False, vertical_overflow="crop") as live:
        while True:
            size = console.size  # read each time: the terminal may have been resized
            fitted = terminal.Screen(size.width, color=screen.color, height=size.height - 1)
            lines, seen, ended = frame(source, fitted, until)
            live.update(Text.from_ansi("\n".join(lines)), refresh=True)
            if ended:
                return
            cursor = source.wait(seen if seen >= 0 else cursor, interval)


def _plain(source: Source, *, once: bool, interval: float, until: Until | None = None) -> None:
    """No terminal (or --once): the whole frame once, then one line per new event."""
    screen = terminal.screen(sys.stdout)
    lines, cursor, ended = frame(source, screen, until)
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    if once or ended or source.run_id is None:
        return
    while not ended:
        source.wait(cursor, interval)
        status, events = source.run()
        now = datetime.now(UTC)
        for event in [e for e in events if e["seq"] > cursor]:
            sys.stdout.write(dashboard_frame.plain_event(event, screen.width, now) + "\n")
        cursor = events[-1]["seq"] if events else cursor
        ended = _stops(status, until)
        sys.stdout.flush()
