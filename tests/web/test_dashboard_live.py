"""`striatum dashboard RUN` (without --once) follows events as they arrive, not on a timer;
on a pipe it prints the frame once, then one plain line per event."""

from __future__ import annotations

import subprocess
import threading
import time

from tests.support import rpc
from tests.support.daemons import BIN
from tests.support.operator import Operator, example
from tests.support.waiting import wait_until


def test_the_dashboard_redraws_on_events_and_exits_when_the_run_ends(operator: Operator) -> None:
    run_id = operator.prepare(example("minimal-flow"))
    dashboard = subprocess.Popen(
        [str(BIN / "striatum"), "dashboard", "--run-id", run_id, "--interval", "30"],
        env=operator.daemon.env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen: list[str] = []
    reader = threading.Thread(target=_collect, args=(dashboard, seen))
    reader.start()
    try:
        wait_until(lambda: "RUNNING" in "".join(seen), "the first frame")
        started = time.monotonic()
        rpc.call("run.pause", run_id=run_id)
        wait_until(lambda: "run.paused" in "".join(seen), "a line showing the pause")
        assert time.monotonic() - started < 10  # an event, not the 30 s interval
        rpc.call("run.cancel", run_id=run_id)
        assert dashboard.wait(timeout=20) == 0
    finally:
        if dashboard.poll() is None:
            dashboard.kill()
            dashboard.wait()
        reader.join(timeout=5)
        if dashboard.stdout is not None:
            dashboard.stdout.close()
    assert "run.cancelled" in "".join(seen)


def _collect(process: subprocess.Popen[str], seen: list[str]) -> None:
    """The dashboard's output, line by line."""
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
