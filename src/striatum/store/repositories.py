"""Registered target repositories."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from psycopg.rows import DictRow

from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Repository(Row):
    repo_id: str
    path: str
    name: str
    notify_command: str | None  # run by the daemon on checkpoints, escalations, run ends
    created_at: dt.datetime
    removed_at: dt.datetime | None  # `repo remove`: hidden, its chain and runs kept

    @classmethod
    def from_row(cls, row: DictRow) -> Repository:
        return cls(
            repo_id=row["repo_id"],
            path=row["path"],
            name=row["name"],
            notify_command=row["notify_command"],
            created_at=row["created_at"],
            removed_at=row["removed_at"],
        )


def insert(conn: db.Conn, *, repo_id: str, path: str, name: str) -> Repository:
    """Register a repository; registering the same path again returns the existing row."""
    row = db.fetch_one(
        conn,
        queries("repositories")["insert_repository"],
        {"repo_id": repo_id, "path": path, "name": name},
    )
    assert row is not None
    return Repository.from_row(row)


def find_by_path(conn: db.Conn, path: str, *, share: bool = False) -> Repository | None:
    """The repository at `path` (removed or not); `share` locks it against `repo remove`
    until the transaction ends (a new run in it is on its way)."""
    query = queries("repositories")["share_by_path" if share else "find_by_path"]
    row = db.fetch_one(conn, query, {"path": path})
    return None if row is None else Repository.from_row(row)


def list_all(conn: db.Conn, *, include_removed: bool = False) -> list[Repository]:
    params = {"include_removed": include_removed}
    rows = db.fetch_all(conn, queries("repositories")["list_repositories"], params)
    return [Repository.from_row(row) for row in rows]


def set_notify(conn: db.Conn, repo_id: str, command: str | None) -> None:
    db.execute(
        conn, queries("repositories")["set_notify"], {"repo_id": repo_id, "notify_command": command}
    )


def lock_by_path(conn: db.Conn, path: str) -> Repository | None:
    row = db.fetch_one(conn, queries("repositories")["lock_repository"], {"path": path})
    return None if row is None else Repository.from_row(row)


def mark_removed(conn: db.Conn, repo_id: str) -> None:
    db.execute(conn, queries("repositories")["mark_removed"], {"repo_id": repo_id})
