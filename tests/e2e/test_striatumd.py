"""`striatumd` owns the embedded cluster: starts it as its child, stops it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import BIN, run
from tests.support.servers import world_traversable_tempdir


@pytest.fixture
def home() -> Iterator[Path]:
    base = world_traversable_tempdir("striatum-home-")
    yield base / "home"
    shutil.rmtree(base, ignore_errors=True)


def start_daemon(home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    env["STRIATUM_HOME"] = str(home)
    daemon = subprocess.Popen(
        [str(BIN / "striatumd")],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert daemon.stderr is not None
    seen = []
    for line in daemon.stderr:
        seen.append(line)
        if "ready" in line:
            return daemon
    status = daemon.wait()
    daemon.stderr.close()
    raise AssertionError(f"striatumd exited with {status} before it was ready: {''.join(seen)}")


def finish(daemon: subprocess.Popen[str], *, kill: bool = False) -> int:
    """Stop the daemon (SIGTERM, or SIGKILL) and return its exit status."""
    if kill:
        daemon.kill()
    else:
        daemon.send_signal(signal.SIGTERM)
    status = daemon.wait(60)
    assert daemon.stderr is not None
    daemon.stderr.close()
    return status


def postmaster_pid(home: Path) -> int | None:
    try:
        return int((home / "postgres" / "data" / "postmaster.pid").read_text().split()[0])
    except FileNotFoundError:
        return None


def wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            return True  # dead; reaping an orphan is init's job
        time.sleep(0.05)
    return False


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return False


def test_sigterm_stops_the_daemon_and_its_postgres_cleanly(home: Path) -> None:
    daemon = start_daemon(home)
    pid = postmaster_pid(home)
    assert pid is not None
    assert Path(f"/proc/{pid}/stat").read_text().split()[3] == str(daemon.pid)  # our child
    doctor = run(["striatum", "daemon", "doctor", "--json"], home)  # shares the live cluster
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert finish(daemon) == 0
    assert wait_gone(pid)
    assert postmaster_pid(home) is None  # a clean shutdown removes postmaster.pid


def test_a_killed_daemon_takes_its_postgres_down_and_the_next_start_recovers(home: Path) -> None:
    daemon = start_daemon(home)
    pid = postmaster_pid(home)
    assert pid is not None
    finish(daemon, kill=True)
    assert wait_gone(pid), "postgres outlived its daemon"
    again = start_daemon(home)
    try:
        assert postmaster_pid(home) not in (None, pid)
    finally:
        assert finish(again) == 0


HEAVY = ("psycopg", "pydantic", "mcp", "starlette", "rich")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_help_and_version_import_no_heavy_module() -> None:
    """The CLI's import path stays lean: no database driver, pydantic, mcp, starlette, rich."""
    loaded = _imported_after("import striatum.cli.main")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    assert "striatum.daemon.embedded" not in loaded
    result = subprocess.run(
        [str(BIN / "striatum"), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "daemon" in result.stdout


def test_version_and_the_verb_fast_path_do_not_even_import_click() -> None:
    loaded = _imported_after(
        "from striatum.cli import entry, fastpath, render; from striatum.client import rpc"
    )
    assert "click" not in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    result = subprocess.run(
        [str(BIN / "striatum"), "--version"], capture_output=True, text=True, check=False
    )
    assert result.stdout.startswith("striatum, version ")
