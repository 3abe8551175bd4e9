"""Real PostgreSQL servers for the tests: the embedded cluster and, where installed, Debian's.

Each xdist worker starts its own clusters (fsync off: tests need no crash durability), migrates
a template database once, and clones a fresh database per test from it (tens of milliseconds).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from striatum.daemon.embedded import EmbeddedCluster
from striatum.store import migrations
from striatum.store.connection import Database

SYSTEM_PG_BIN = Path("/usr/lib/postgresql/15/bin")
TEMPLATE = "striatum_template"
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "60",
}
_counter = itertools.count()


def world_traversable_tempdir(prefix: str) -> Path:
    """A temp dir the unprivileged cluster user can reach when tests run as root."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(path, 0o755)
    return path


@dataclass
class PgServer:
    """One running cluster and a template database to clone."""

    name: str
    cluster: EmbeddedCluster
    external: bool  # True: reached like a STRIATUM_DATABASE_URL server (SET ROLE runtime)

    def database(self, dbname: str) -> Database:
        embedded = self.cluster.database()
        if self.external:
            base = Database.from_url(embedded.admin_conninfo)
            return base.with_dbname(dbname)
        return embedded.with_dbname(dbname)

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.database(dbname).admin_conninfo, autocommit=True)

    def prepare_template(self) -> None:
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        migrations.migrate(self.database(TEMPLATE))

    def clone(self) -> Database:
        name = f"t_{os.getpid()}_{next(_counter)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.database(name)

    def empty(self) -> Database:
        name = f"e_{os.getpid()}_{next(_counter)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.database(name)

    def drop(self, database: Database) -> None:
        name = psycopg.conninfo.conninfo_to_dict(database.admin_conninfo)["dbname"]
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server(name: str) -> tuple[PgServer, Path]:
    base = world_traversable_tempdir(f"striatum-{name}-")
    bin_dir = SYSTEM_PG_BIN if name == "system-pg15" else None
    cluster = EmbeddedCluster(root=base / "pg", bin_dir=bin_dir, settings=TEST_SETTINGS)
    cluster.start()
    server = PgServer(name=name, cluster=cluster, external=name == "system-pg15")
    server.prepare_template()
    return server, base


def stop_server(server: PgServer, base: Path) -> None:
    server.cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def running(name: str) -> Iterator[PgServer]:
    """A server of its own (with its migrated template) for the block."""
    started, base = start_server(name)
    try:
        yield started
    finally:
        stop_server(started, base)


def system_pg_available() -> bool:
    return (SYSTEM_PG_BIN / "postgres").exists()
