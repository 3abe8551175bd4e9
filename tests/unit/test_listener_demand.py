"""listener.listen with a demand: LISTEN only while it holds, `on_connected` after every
LISTEN (waiters that came meanwhile look again), UNLISTEN when it goes, none when stopping.
Against a scripted connection: the order of what it is asked is the point here (the daemon's
own listener is tested against PostgreSQL in tests/web/test_web_verbs.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from striatum.store import connection, listener
from striatum.store.connection import Database

NOWHERE = Database(admin_conninfo="", runtime_conninfo="", runtime_set_role=None, label="none")


class _Note:
    def __init__(self, payload: str) -> None:
        self.payload = payload


class _Script:
    """The connection and the demand at once, logging every step."""

    def __init__(self, waits: list[bool], gones: list[bool], notes: list[list[str]]) -> None:
        self.waits, self.gones, self.notes = waits, gones, notes
        self.log: list[str] = []
        self.stop = threading.Event()

    # the demand
    def wait(self, timeout: float) -> bool:
        if not self.waits:
            self.stop.set()
            return False
        answer = self.waits.pop(0)
        self.log.append(f"wait {answer}")
        return answer

    def gone(self) -> bool:
        if not self.gones:  # the script is over: the daemon stops
            self.log.append("stop")
            self.stop.set()
            return True
        answer = self.gones.pop(0)
        self.log.append(f"gone {answer}")
        return answer

    # the connection
    def execute(self, query: str) -> None:
        self.log.append(query.split()[0])

    def notifies(self, timeout: float) -> Iterator[_Note]:
        yield from (_Note(p) for p in (self.notes.pop(0) if self.notes else []))

    def close(self) -> None:
        self.log.append("close")


def _listen(script: _Script, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "connect_runtime", lambda database, autocommit: script)
    listener.listen(
        NOWHERE,
        lambda payload: script.log.append(f"heard {payload['run_id']}"),
        script.stop,
        on_connected=lambda: script.log.append("connected"),
        demand=script,
    )


def test_it_listens_while_wanted_and_looks_again_after_every_listen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _Script(
        waits=[False, True, True],
        gones=[False, True, False],
        notes=[['{"run_id": "r1"}'], ['{"run_id": "r2"}']],
    )
    _listen(script, monkeypatch)
    assert script.log == [
        "wait False",  # nobody waits: no LISTEN
        "wait True",
        "LISTEN",
        "connected",
        "gone False",
        "heard r1",
        "gone True",
        "UNLISTEN",
        "wait True",  # a waiter again: LISTEN, and every waiter is woken to look again
        "LISTEN",
        "connected",
        "gone False",
        "heard r2",
        "stop",  # stopping: closed without an UNLISTEN to wait on
        "close",
    ]


def test_without_a_demand_it_listens_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _Script(waits=[], gones=[], notes=[['{"run_id": "r1"}']])
    monkeypatch.setattr(connection, "connect_runtime", lambda database, autocommit: script)

    def heard(payload: dict[str, Any]) -> None:
        script.log.append(f"heard {payload['run_id']}")
        script.stop.set()

    listener.listen(NOWHERE, heard, script.stop)
    assert script.log == ["LISTEN", "heard r1", "close"]
