"""striatumd as a background process: start, status, stop, and recovery from a crash."""

from __future__ import annotations

import os
import stat

from tests.support.daemons import DaemonUnderTest

DAEMON_UNREACHABLE = 7


def test_start_prints_where_it_listens_and_status_answers(daemon: DaemonUnderTest) -> None:
    status = daemon.json("daemon", "status")
    assert status["socket"] == str(daemon.socket)
    assert status["pid"] == daemon.pid()
    again = daemon.cli("daemon", "start")
    assert again.returncode == 0 and "already running" in again.stdout


def test_runtime_dir_socket_and_tokens_are_private(daemon: DaemonUnderTest) -> None:
    assert stat.S_IMODE(os.stat(daemon.runtime_dir).st_mode) == 0o700
    for name in ("striatumd.sock", "operator.token", "principal.token"):
        assert stat.S_IMODE(os.stat(daemon.runtime_dir / name).st_mode) == 0o600, name


def test_stop_ends_the_daemon_and_status_then_says_unreachable(daemon: DaemonUnderTest) -> None:
    pid = daemon.pid()
    stopped = daemon.cli("daemon", "stop")
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stdout
    assert not daemon.socket.exists()
    status = daemon.cli("daemon", "status")
    assert status.returncode == DAEMON_UNREACHABLE
    assert "striatum daemon start" in status.stderr and "Traceback" not in status.stderr
    started = daemon.cli("daemon", "start")
    assert started.returncode == 0, started.stderr
    lines = started.stdout.splitlines()
    assert lines[0].startswith("striatumd started (pid ")
    assert [line.split()[0] for line in lines[1:]] == ["socket", "database", "log"]
    assert f"  socket    {daemon.socket}" in lines  # one fact a line, each path whole


def test_a_stale_socket_and_pidfile_after_kill_9_do_not_block_a_restart(
    daemon: DaemonUnderTest,
) -> None:
    old_pid = daemon.pid()
    old_operator = daemon.token("operator")
    daemon.kill()
    assert daemon.socket.exists()  # left behind by the crash
    assert daemon.cli("daemon", "status").returncode == DAEMON_UNREACHABLE
    daemon.start()
    assert daemon.pid() != old_pid
    assert daemon.json("daemon", "status")["pid"] == daemon.pid()
    assert daemon.token("operator") == old_operator  # still valid: reused, not re-minted


def test_a_second_daemon_on_the_same_runtime_dir_is_refused(daemon: DaemonUnderTest) -> None:
    import subprocess

    from tests.support.daemons import BIN

    result = subprocess.run(
        [str(BIN / "striatumd")],
        env=daemon.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 5
    assert "already running" in result.stderr and "Traceback" not in result.stderr
