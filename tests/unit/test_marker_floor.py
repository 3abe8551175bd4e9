"""The marker scan reads only processes born after an agent, unless the pid counter wrapped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from striatum.lanes import markers

LEASE = f"lease_floor_{uuid.uuid4().hex}"  # new with each run, as a lease's marker is
MARK = f"STRIATUM_LEASE={LEASE}"


def _marked_grandchild(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """An 'agent' (the leader) whose child left its session and carries the marker."""
    pidfile = tmp_path / "child.pid"
    script = (
        "import os, subprocess, sys, time; "
        "p = subprocess.Popen(['sleep', '30'], start_new_session=True); "
        f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(30)"
    )
    env = {**os.environ, "STRIATUM_LEASE": LEASE}
    before = markers.CLOCK.before_fork()
    leader = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True)
    birth = markers.CLOCK.birth(leader.pid, before)
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert birth is not None  # this machine's kernel shows its pid counter
    return leader, markers.CLOCK.since(birth)


def test_a_descendant_that_left_the_group_is_found_above_the_agents_floor(
    tmp_path: Path,
) -> None:
    leader, floor = _marked_grandchild(tmp_path)
    try:
        child = int((tmp_path / "child.pid").read_text())
        assert floor in (0, leader.pid)  # 0 only if the counter wrapped meanwhile
        found = markers.find(MARK.encode(), floor=floor)
        assert {leader.pid, child} <= set(found)
        assert set(found) == set(markers.find(MARK.encode()))  # the same as a full scan
        killed = markers.kill(MARK.encode(), floor=floor)
        assert {leader.pid, child} <= set(killed)
        assert markers.find(MARK.encode()) == {}
    finally:
        leader.kill()
        leader.wait()


def test_a_wrap_of_the_pid_counter_makes_the_scan_whole_again() -> None:
    clock = markers.PidClock()
    before = clock.before_fork()
    birth = clock.birth(os.getpid(), before)
    assert birth is not None and clock.since(birth) == os.getpid()
    clock._last = 10**9  # as if the counter had been far above where it is now: it wrapped
    assert clock.since(birth) == 0
    assert clock.wraps == birth.wraps + 1
    assert clock.birth(os.getpid(), before) is None  # wrapped while a process started


def test_a_marked_process_born_last_is_found_without_listing_every_process() -> None:
    env = {**os.environ, "STRIATUM_LEASE": LEASE}
    before = markers.CLOCK.before_fork()
    agent = subprocess.Popen(["sleep", "30"], env=env, start_new_session=True)
    try:
        floor = markers.CLOCK.since(markers.CLOCK.birth(agent.pid, before))
        # Popen returns once exec closed the close-on-exec pipe, a moment before the kernel
        # lays out the new environment: until then /proc/<pid>/environ reads empty.
        deadline = time.monotonic() + 10
        while MARK.encode() not in Path(f"/proc/{agent.pid}/environ").read_bytes().split(b"\0"):
            assert time.monotonic() < deadline, "the agent's exec never finished"
            time.sleep(0.001)
        # Whether or not another process was born meanwhile (then /proc is listed), the
        # agent itself is found: nothing born after it is what lets the listing be skipped.
        assert agent.pid in markers.find(MARK.encode(), floor=floor)
        assert markers.find(MARK.encode(), floor=floor) == markers.find(MARK.encode())
    finally:
        agent.kill()
        agent.wait()
