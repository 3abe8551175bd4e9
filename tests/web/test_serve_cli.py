"""`striatum serve --web` refuses what it must before it listens (exit code 2)."""

from __future__ import annotations

import os
import socket
import subprocess

from tests.support.daemons import BIN


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    return subprocess.run(
        [str(BIN / "striatum"), "serve", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_a_non_loopback_host_exits_2_with_a_hint() -> None:
    for host in ("0.0.0.0", "10.1.2.3", "::", "example.org"):
        result = _serve("--web", "--host", host)
        assert result.returncode == 2, host
        assert "not a loopback address" in result.stderr and "hint:" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_taken_port_and_a_missing_door_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _serve("--web", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 2 and "cannot listen" in result.stderr
    missing = _serve()
    assert missing.returncode == 2 and "serve --web" in missing.stderr
