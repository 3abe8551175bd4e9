"""Which database the daemon uses, and who owns the embedded cluster's lifecycle.

With `STRIATUM_DATABASE_URL` (or `--database-url`) we use that server as it is. Otherwise the
embedded cluster under `<home>/postgres` is used. A file lock decides who owns the cluster:
the holder starts and stops it; anyone else finding it running simply connects.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from striatum import errors, paths
from striatum.daemon.embedded import EmbeddedCluster
from striatum.store.connection import Database


@contextlib.contextmanager
def database(url: str | None = None, *, wait_s: float = 30.0) -> Iterator[Database]:
    """Yield a reachable Database for the duration of the block.

    For the embedded default, start the cluster if nobody runs it, and stop it afterwards;
    attach to it when someone (a daemon) already runs it.
    """
    with _substrate(url, own=False, wait_s=wait_s) as (found, _):
        yield found


@contextlib.contextmanager
def owned(
    url: str | None = None, *, wait_s: float = 30.0
) -> Iterator[tuple[Database, EmbeddedCluster | None]]:
    """For the daemon: wait until no one else holds the embedded cluster and run it ourselves
    (a short-lived owner such as `doctor` finishes, stops it, and the daemon takes over, so the
    cluster is never stopped under a daemon that merely attached to it). Also yields the
    cluster (None with a URL), which the daemon watches and starts again when it dies
    (`daemon.cluster_watch`)."""
    with _substrate(url, own=True, wait_s=wait_s) as found:
        yield found


@contextlib.contextmanager
def _substrate(
    url: str | None, *, own: bool, wait_s: float
) -> Iterator[tuple[Database, EmbeddedCluster | None]]:
    url = url or paths.database_url()
    if url:
        yield Database.from_url(url, paths.runtime_database_url()), None
        return
    cluster = EmbeddedCluster(root=paths.cluster_dir())
    with _cluster_lock(cluster.root, wait_s, attach=not own) as owner:
        if not owner:
            yield cluster.database(), None
            return
        _stop_orphan(cluster)
        if not cluster.initialized():
            print(
                f"striatum: creating the embedded PostgreSQL cluster in {cluster.data_dir}",
                file=sys.stderr,
            )
        if cluster.run_as is not None:
            print(
                f"striatum: running as root, so PostgreSQL runs as system user {cluster.run_as!r}",
                file=sys.stderr,
            )
        cluster.start()
        try:
            yield cluster.database(), cluster
        finally:
            cluster.stop()


@contextlib.contextmanager
def _cluster_lock(root: Path, wait_s: float, *, attach: bool) -> Iterator[bool]:
    """Yield True when we own the cluster, False when we attach to a live owner's."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "owner.lock", "a+") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attach and _owner_serves(root):
                    yield False
                    return
                if time.monotonic() > deadline:
                    raise errors.DatabaseUnavailable(
                        "another Striatum process holds the embedded cluster",
                        hint=f"is a daemon already running on it? lock file {root / 'owner.lock'}",
                    ) from None
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _owner_serves(root: Path) -> bool:
    cluster = EmbeddedCluster(root=root)
    return cluster.running_pid() is not None and (cluster.socket_dir / ".s.PGSQL.5432").exists()


def _stop_orphan(cluster: EmbeddedCluster) -> None:
    """A postmaster left by a killed owner: ask it to shut down before we start ours."""
    pid = cluster.running_pid()
    if pid is None:
        return
    print(f"striatum: stopping an orphaned embedded PostgreSQL (pid {pid})", file=sys.stderr)
    os.kill(pid, 2)  # SIGINT: fast, clean shutdown
    deadline = time.monotonic() + 30
    while cluster.running_pid() is not None:
        if time.monotonic() > deadline:
            raise errors.DatabaseUnavailable(f"orphaned PostgreSQL (pid {pid}) did not stop")
        time.sleep(0.05)
