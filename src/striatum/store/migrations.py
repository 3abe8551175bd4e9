"""The migration runner: numbered `.sql` files, applied once, in order, under a lock.

Each file runs in its own transaction together with its `schema_migrations` row, as the
schema owner. The SHA-256 of every applied file is recorded; a file whose bytes changed after it
was applied is refused with one message naming it, before anything is touched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import LiteralString

from striatum import errors, paths
from striatum.store import connection as db
from striatum.store.sql import queries

_FILENAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
MIN_SERVER_VERSION = 140000


@dataclass(frozen=True, kw_only=True)
class Migration:
    version: int
    name: str
    sql: LiteralString
    sha256: str


@dataclass(frozen=True, kw_only=True)
class MigrationReport:
    applied: list[str]
    already_applied: list[str]
    server_version: str


def available() -> list[Migration]:
    """The migrations shipped with the package, in version order."""
    found = []
    for entry in resources.files("striatum.store.schema").iterdir():
        match = _FILENAME.match(entry.name)
        if not match:
            continue
        data = entry.read_bytes()
        found.append(
            Migration(
                version=int(match.group(1)),
                name=entry.name,
                sql=data.decode("utf-8"),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return sorted(found, key=lambda m: m.version)


def version_supported(server_version_num: int) -> bool:
    """PostgreSQL 14 or newer (server_version_num such as 150018)."""
    return server_version_num >= MIN_SERVER_VERSION


def check_server_version(conn: db.Conn) -> str:
    """Refuse servers older than PostgreSQL 14; return the version string."""
    row = db.fetch_one(conn, queries("migrations")["server_version"])
    assert row is not None
    if not version_supported(int(row["num"])):
        raise errors.DatabaseUnsupported(
            f"PostgreSQL {row['text']} is too old: Striatum needs PostgreSQL 14 or newer",
            hint="point STRIATUM_DATABASE_URL at a PostgreSQL 14+ server, or unset it to use "
            "the embedded one",
        )
    return str(row["text"])


def migrate(database: db.Database, *, through: int | None = None) -> MigrationReport:
    """Bring the schema up to date (or up to version `through`, as an older release would
    leave it); safe to run from several processes at once."""
    conn = db.connect_admin(database, autocommit=True)
    try:
        version = check_server_version(conn)
        db.execute(conn, queries("migrations")["lock_migrations"])
        try:
            return _migrate_locked(conn, version, through)
        finally:
            db.execute(conn, queries("migrations")["unlock_migrations"])
    finally:
        conn.close()


def _migrate_locked(conn: db.Conn, version: str, through: int | None) -> MigrationReport:
    shipped = available()
    refuse_edited(shipped, _recorded(conn))  # before anything is changed
    shipped = [m for m in shipped if through is None or m.version <= through]
    bootstrap = queries("bootstrap")
    for name in ("create_roles", "grant_owner_to_admin", "grant_runtime_to_admin", "create_schema"):
        db.execute(conn, bootstrap[name])
    recorded = _recorded(conn)
    applied, skipped = [], []
    for migration in shipped:
        if migration.version in recorded:
            skipped.append(migration.name)
            continue
        db.in_transaction(conn, lambda c, m=migration: _apply(c, m))  # type: ignore[misc]
        applied.append(migration.name)
    return MigrationReport(applied=applied, already_applied=skipped, server_version=version)


def refuse_edited(shipped: list[Migration], recorded: dict[int, dict[str, object]]) -> None:
    """Raise MigrationError naming the first applied migration whose file has changed."""
    by_version = {m.version: m for m in shipped}
    for number, row in sorted(recorded.items()):
        migration = by_version.get(number)
        if migration is None:
            raise errors.MigrationError(
                f"the database has migration {row['name']} applied, which this version of "
                "Striatum does not ship",
                hint="upgrade Striatum; never downgrade a database",
                migration=row["name"],
            )
        if migration.sha256 != row["sha256"]:
            raise errors.MigrationError(
                f"migration {migration.name} was edited after it was applied "
                f"(recorded sha256 {row['sha256']}, file has {migration.sha256})",
                hint="restore the original file and add a new numbered migration instead",
                migration=migration.name,
            )


def _apply(conn: db.Conn, migration: Migration) -> None:
    db.execute(conn, queries("migrations")["become_owner"])
    db.execute(conn, queries("migrations")["name_host"], {"host": paths.host_name()})
    db.execute(conn, migration.sql)
    db.execute(
        conn,
        queries("migrations")["record_migration"],
        {
            "version": migration.version,
            "name": migration.name,
            "sha256": migration.sha256,
        },
    )


def _recorded(conn: db.Conn) -> dict[int, dict[str, object]]:
    """The migration ledger, empty when the schema does not exist yet."""
    present = db.fetch_one(conn, queries("migrations")["schema_exists"])
    if not (present and present["present"]):
        return {}
    return {
        row["version"]: row
        for row in db.fetch_all(conn, queries("migrations")["applied_migrations"])
    }


def pending_on(conn: db.Conn) -> list[str]:
    """The shipped migrations this database has not applied; refuses edited ones."""
    recorded = _recorded(conn)
    shipped = available()
    refuse_edited(shipped, recorded)
    return [m.name for m in shipped if m.version not in recorded]


def pending(database: db.Database) -> tuple[str, list[str]]:
    """The server version and the migrations not yet applied; refuses edited ones."""
    conn = db.connect_admin(database, autocommit=True)
    try:
        version = check_server_version(conn)
        return version, pending_on(conn)
    finally:
        conn.close()
