"""The pure parts of runs that come back: when a supervisor is gone, when `run start` may
launch another, which runs a daemon resumes, what environment is kept for it, and the
process identity that tells a live supervisor from a reused pid."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess

import pytest

from striatum.lanes import liveness, supervisor_env
from striatum.model.engine.supervision import (
    LAUNCH_GRACE_S,
    MAX_STREAK,
    Supervision,
    gone,
    rebooted_since,
    restart_refusal,
    resumable,
)

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
HELD = Supervision(
    run_id="run_1",
    supervised=True,
    host="here",
    state="supervising",
    pid=4242,
    identity="boot-a:1000",
    session_id="ses_1",
    generation=3,
    resumes=0,
    streak=0,
    changed_at=NOW,
)


def test_a_supervisor_is_there_only_while_the_same_process_lives() -> None:
    assert not gone(HELD, identity_now="boot-a:1000", now=NOW)
    assert gone(HELD, identity_now=None, now=NOW)  # dead
    assert gone(HELD, identity_now="boot-a:2000", now=NOW)  # its pid reused
    assert gone(HELD, identity_now="boot-b:1000", now=NOW)  # a reboot


def test_only_a_reboot_lets_the_old_leases_end_at_once() -> None:
    """Leases of a dead supervisor end at takeover only when none of its processes can live:
    a new boot. The same boot, or an identity without a boot id (ps), waits for the TTL."""
    same_boot = dataclasses.replace(HELD, pid=5000, identity="boot-a:9000")
    new_boot = dataclasses.replace(HELD, pid=5000, identity="boot-b:12")
    assert rebooted_since(HELD, new_boot)
    assert not rebooted_since(HELD, same_boot)
    assert not rebooted_since(None, new_boot)
    assert not rebooted_since(dataclasses.replace(HELD, identity=None), new_boot)
    ps = dataclasses.replace(HELD, identity="ps:Sat Dec  5 08:00:00 2026")
    assert not rebooted_since(ps, dataclasses.replace(ps, identity="ps:Sat Dec  5 09:00:00 2026"))


def test_a_launch_gets_a_grace_to_register_and_a_left_supervisor_is_gone() -> None:
    launching = dataclasses.replace(HELD, state="launching", pid=None, identity=None)
    assert not gone(launching, identity_now=None, now=NOW + dt.timedelta(seconds=5))
    later = NOW + dt.timedelta(seconds=LAUNCH_GRACE_S + 1)
    assert gone(launching, identity_now=None, now=later)
    left = dataclasses.replace(HELD, state="left", pid=None, identity=None)
    assert gone(left, identity_now=None, now=NOW)


def test_only_the_supervising_hosts_daemon_resumes_a_supervised_running_run() -> None:
    assert resumable(HELD, host="here", run_state="running", is_gone=True)
    assert not resumable(HELD, host="elsewhere", run_state="running", is_gone=True)
    assert not resumable(HELD, host="here", run_state="paused", is_gone=True)
    assert not resumable(HELD, host="here", run_state="succeeded", is_gone=True)
    assert not resumable(HELD, host="here", run_state="running", is_gone=False)
    by_hand = dataclasses.replace(HELD, supervised=False)  # --no-supervise
    assert not resumable(by_hand, host="here", run_state="running", is_gone=True)


def test_a_crash_loop_is_resumed_a_bounded_number_of_times() -> None:
    looping = dataclasses.replace(HELD, streak=MAX_STREAK - 1)
    assert resumable(looping, host="here", run_state="running", is_gone=True)
    looped = dataclasses.replace(HELD, streak=MAX_STREAK)
    assert not resumable(looped, host="here", run_state="running", is_gone=True)


def test_run_start_refuses_a_live_supervisor_naming_it_and_allows_a_gone_one() -> None:
    refusal = restart_refusal(HELD, host="here", is_gone=False)
    assert refusal is not None and "pid 4242 on host here" in refusal
    assert restart_refusal(HELD, host="here", is_gone=True) is None
    assert restart_refusal(None, host="here", is_gone=False) is None  # never supervised
    remote = restart_refusal(HELD, host="elsewhere", is_gone=True)
    assert remote is not None and "only that host can tell" in remote
    left = dataclasses.replace(HELD, state="left", pid=None, host="elsewhere")
    assert restart_refusal(left, host="here", is_gone=True) is None


def test_the_kept_environment_is_what_the_lanes_need_and_no_token() -> None:
    source = {
        "PATH": "/bin",
        "HOME": "/home/u",
        "ANTHROPIC_API_KEY": "a",
        "OPENAI_API_KEY": "o",
        "MY_VALUE": "v",
        "UNRELATED": "x",
        "STRIATUM_HOME": "/h",
        "STRIATUM_TOKEN": "t",
        "STRIATUM_DATABASE_URL": "postgresql://secret",
        "STRIATUM_LEASE": "lease_1",
        "STRIATUM_RUN_ID": "run_0",
    }
    lanes = {
        "author": {"provider": "claude_code", "env": {}, "inherit_env": False},
        "script": {"provider": "command", "env": {"X": "${MY_VALUE}"}, "inherit_env": False},
    }
    assert supervisor_env.kept(source, lanes) == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "ANTHROPIC_API_KEY": "a",
        "MY_VALUE": "v",
        "STRIATUM_HOME": "/h",
    }
    everything = {"any": {"provider": "command", "env": {}, "inherit_env": True}}
    inherited = supervisor_env.kept(source, everything)
    assert inherited["UNRELATED"] == "x" and "STRIATUM_TOKEN" not in inherited
    assert "STRIATUM_LEASE" not in inherited and "STRIATUM_DATABASE_URL" not in inherited


def test_a_process_identity_is_stable_and_differs_for_another_process() -> None:
    mine = liveness.identity(os.getpid())
    assert mine is not None and mine == liveness.identity(os.getpid())
    child = subprocess.Popen(["sleep", "30"])
    try:
        theirs = liveness.identity(child.pid)
        assert theirs is not None and theirs != mine
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
        assert liveness.identity(child.pid) is None  # a zombie is not alive
    finally:
        child.kill()
        child.wait()
    assert liveness.identity(child.pid) is None


@pytest.mark.parametrize("pid", [0, -1])
def test_no_identity_for_a_pid_that_cannot_be_a_process(pid: int) -> None:
    assert liveness.identity(pid) is None
