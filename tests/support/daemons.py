"""Real striatumd processes for the tests, each with its own home and runtime directory."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from striatum.store.connection import Database
from tests.support.servers import PgServer, world_traversable_tempdir

BIN = Path(sys.executable).parent


@dataclass
class DaemonUnderTest:
    """A daemon started with `striatum daemon start`, and a CLI wired to it."""

    base: Path
    database: Database | None  # None: the embedded default
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
        self.env.update(
            STRIATUM_HOME=str(self.base / "home"),
            STRIATUM_RUNTIME_DIR=str(self.base / "run"),
            # Anchor often, so every test runs with the anchoring loop busy beside it.
            STRIATUM_ANCHOR_EVERY_S="0.3",
            # Audit counted noise (frames that are not requests) often, for the same reason.
            STRIATUM_NOISE_AUDIT_S="0.5",
            # Every transition also plans the whole run: incremental planning must agree.
            STRIATUM_PLAN_CROSSCHECK="1",
        )
        if self.database is not None:
            self.env["STRIATUM_DATABASE_URL"] = self.database.admin_conninfo

    @property
    def anchors_file(self) -> Path:
        return self.base / "home" / "anchors.jsonl"

    @property
    def runtime_dir(self) -> Path:
        return self.base / "run"

    @property
    def socket(self) -> Path:
        return self.runtime_dir / "striatumd.sock"

    @property
    def log(self) -> Path:
        return self.base / "home" / "logs" / "striatumd.log"

    def cli(
        self,
        *args: str,
        token: str | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`striatum ARGS` against this daemon; `env` overrides some of its variables."""
        env = {**self.env, **(env or {})}
        if token is not None:
            env["STRIATUM_TOKEN"] = token
        return subprocess.run(
            [str(BIN / "striatum"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str, token: str | None = None) -> Any:
        result = self.cli(*args, "--json", token=token)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def token(self, role: str) -> str:
        return (self.runtime_dir / f"{role}.token").read_text().strip()

    def pid(self) -> int:
        return int((self.runtime_dir / "striatumd.pid").read_text())

    def start(self) -> None:
        result = self.cli("daemon", "start")
        assert result.returncode == 0, result.stdout + result.stderr

    def stop(self) -> None:
        if (self.runtime_dir / "striatumd.pid").exists():
            self.cli("daemon", "stop")

    def kill(self) -> None:
        os.kill(self.pid(), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(self.pid()) and time.monotonic() < deadline:
            time.sleep(0.02)

    def rpc(self, frame: bytes, *, read: bool = True) -> bytes:
        """Send raw bytes on a fresh connection; return what comes back before EOF or a line."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(30)
            sock.connect(str(self.socket))
            sock.sendall(frame)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while read:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ")[1][0] != "Z"


def new_daemon(database: Database | None, *, host: str | None = None) -> DaemonUnderTest:
    """A daemon not started yet; `host` names it in the database (STRIATUM_HOST), so that two
    daemons on this machine act as two hosts."""
    daemon = DaemonUnderTest(base=world_traversable_tempdir("striatumd-"), database=database)
    if host is not None:
        daemon.env["STRIATUM_HOST"] = host
    return daemon


def discard(daemon: DaemonUnderTest) -> None:
    daemon.stop()
    shutil.rmtree(daemon.base, ignore_errors=True)


@contextlib.contextmanager
def daemon_pair(
    server: PgServer, *, hosts: tuple[str, str] | None = None
) -> Iterator[tuple[DaemonUnderTest, DaemonUnderTest]]:
    """Two daemons (two hosts, as far as they know) started on one fresh database; `hosts`
    names them apart (else both carry this machine's name)."""
    database = server.clone()
    first, second = (new_daemon(database, host=name) for name in hosts or (None, None))
    try:
        first.start()
        second.start()
        yield first, second
    finally:
        discard(first)
        discard(second)
        server.drop(database)
