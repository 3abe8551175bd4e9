"""Server-sent events: fed by events.wait (LISTEN/NOTIFY), they say `change` as events
arrive and `end` once the run has ended."""

from __future__ import annotations

import threading
import time

from starlette.testclient import TestClient

from tests.support import rpc
from tests.support.operator import Operator, example


def _read_stream(client: TestClient, path: str) -> list[str]:
    with client.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [line for line in response.iter_lines() if line]


def test_a_watched_run_streams_changes_then_its_end(operator: Operator, reader: TestClient) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    after = rpc.call("run.graph", run_id=run_id)["last_seq"]
    pause = threading.Timer(1.0, lambda: rpc.call("run.pause", run_id=run_id))
    cancel = threading.Timer(2.5, lambda: rpc.call("run.cancel", run_id=run_id))
    started = time.monotonic()
    pause.start()
    cancel.start()
    lines = _read_stream(reader, f"/live?run_id={run_id}&after={after}")
    pause.join()
    cancel.join()
    assert time.monotonic() - started < 20
    assert "event: change" in lines and lines[-2:] == [
        "event: end",
        'data: {"run_state": "cancelled"}',
    ]
    assert any(line.startswith("id: ") and int(line[4:]) > after for line in lines)
    assert any('"run.paused"' in line for line in lines)


def test_an_ended_run_streams_its_end_at_once(operator: Operator, reader: TestClient) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    rpc.call("run.cancel", run_id=run_id)
    started = time.monotonic()
    lines = _read_stream(reader, f"/live?run_id={run_id}&after=0")
    assert time.monotonic() - started < 5
    assert lines[0] == "id: " + lines[0][4:] and "event: change" in lines
    assert lines[-2] == "event: end"


def test_a_resuming_browser_continues_from_its_last_event_id(
    operator: Operator, reader: TestClient
) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    rpc.call("run.cancel", run_id=run_id)
    last = rpc.call("run.graph", run_id=run_id)["last_seq"]
    with reader.stream(
        "GET", f"/live?run_id={run_id}&after=0", headers={"last-event-id": str(last)}
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert "event: change" not in lines and lines[-2] == "event: end"


def test_an_unknown_run_streams_one_unavailable_message(
    reader: TestClient, operator: Operator
) -> None:
    lines = _read_stream(reader, "/live?run_id=run_missing&after=0")
    assert lines[0] == "event: unavailable" and "no run" in lines[1]
