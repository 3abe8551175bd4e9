"""Regressions found in review: each one was a real failure before its fix."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from striatum import errors
from striatum.daemon import runtime
from tests.support.daemons import DaemonUnderTest, discard, new_daemon
from tests.support.waiting import wait_until


def audit_head(daemon: DaemonUnderTest) -> int:
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo) as conn:
        row = conn.execute("SELECT seq FROM striatumd.chain_heads WHERE chain = 'audit'").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize(
    "frame",
    [
        b'{"v":1,"id":"\\ud800","method":"whoami","params":{},"token":null}\n',
        b'{"v":1,"id":"a\\u0000b","method":"token.create","params":{},"token":null}\n',
        b'{"v":1,"id":"a","method":"token.\\udfff","params":{},"token":null}\n',
        b'{"v":2,"id":"\\ud800"}\n',
        b'{"v":1,"id":"a","method":"whoami","params":{},"token":"\\ud800"}\n',
        b'{"v":1,"id":"a","method":"token.create","params":{"role":"reader","label":"\\ud800"},'
        b'"token":null}\n',
    ],
)
def test_unstorable_text_is_answered_and_still_audited(
    daemon: DaemonUnderTest, frame: bytes
) -> None:
    """A frame the envelope refuses is counted into the periodic `(malformed)` row; a request
    refused at validation gets its own row. Either way exactly one row, and it is stored."""
    before = audit_head(daemon)
    response = json.loads(daemon.rpc(frame))
    assert response["ok"] is False
    wait_until(lambda: audit_head(daemon) > before, "the audit row", timeout=20)
    time.sleep(1)  # two more noise periods: nothing else comes
    assert audit_head(daemon) == before + 1
    assert "Traceback" not in daemon.log.read_text()


def test_a_huge_integer_param_is_refused_and_the_chain_stays_sound(
    daemon: DaemonUnderTest,
) -> None:
    result = daemon.cli("--as", "principal", "audit", "list", "--limit", str(2**60))
    assert result.returncode == 3 and "out of range" in result.stderr
    assert daemon.json("daemon", "doctor")["ok"] is True


def test_expiry_overflow_is_a_validation_error(daemon: DaemonUnderTest) -> None:
    for value in ("99999999999w", "9999-12-31T23:59:59-14:00"):
        result = daemon.cli(
            "--as", "principal", "token", "create", "--role", "reader", "--expires", value
        )
        assert result.returncode == 3, (value, result.stderr)


def test_a_lost_token_file_is_replaced_and_the_old_token_revoked(
    daemon: DaemonUnderTest,
) -> None:
    old = daemon.token("operator")
    daemon.stop()
    (daemon.runtime_dir / "operator.token").unlink()
    daemon.start()
    assert daemon.token("operator") != old
    assert daemon.cli("whoami", token=old).returncode == 14
    assert daemon.json("whoami")["role"] == "operator"


def test_stop_does_not_wait_for_an_idle_client(daemon: DaemonUnderTest) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as idle:
        idle.connect(str(daemon.socket))
        started = time.monotonic()
        result = daemon.cli("daemon", "stop", timeout=30)
        assert result.returncode == 0
        assert time.monotonic() - started < 20


def test_a_runtime_dir_that_is_a_file_gives_one_line(daemon: DaemonUnderTest) -> None:
    env = dict(daemon.env, STRIATUM_RUNTIME_DIR="/etc/passwd")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "striatum"), "whoami"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 7 and "Traceback" not in result.stderr


def test_the_daemon_waits_for_a_short_lived_cluster_owner_then_runs_its_own() -> None:
    """doctor (or anyone) holding the embedded cluster must not stop it under a daemon."""
    daemon = new_daemon(None)  # the embedded default, in the daemon's own home
    holder_code = (
        "import time; from striatum.daemon import substrate\n"
        "with substrate.database() as d:\n    print('holding', flush=True)\n"
        "    time.sleep(3)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code], env=daemon.env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        daemon.start()  # waits for the holder to finish, then starts its own cluster
        holder.wait(30)
        assert daemon.json("whoami")["role"] == "operator"
        time.sleep(0.5)
        assert daemon.json("daemon", "status")["pid"] == daemon.pid()
    finally:
        if holder.stdout is not None:
            holder.stdout.close()
        holder.wait(30)
        discard(daemon)


def test_someone_elses_directory_is_never_used_for_sockets(tmp_path: Path) -> None:
    foreign = tmp_path / "planted"
    foreign.mkdir()
    os.chown(foreign, 54321, 54321)
    with pytest.raises(errors.PermissionDenied, match="not a directory owned by you"):
        runtime.ensure_private_dir(foreign)


def test_a_socket_owned_by_someone_else_gets_no_token(tmp_path: Path) -> None:
    from striatum.client import rpc

    planted = tmp_path / "striatumd.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(planted))
        os.chown(planted, 54321, 54321)
        with pytest.raises(errors.PermissionDenied, match="belongs to uid 54321"):
            rpc._check_owner(planted)
