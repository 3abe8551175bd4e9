"""Registered target repositories."""

from __future__ import annotations

from dataclasses import dataclass

from striatum.store import connection as db
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Repository:
    repo_id: str
    path: str
    name: str


def insert(conn: db.Conn, *, repo_id: str, path: str, name: str) -> Repository:
    """Register a repository; registering the same path again returns the existing row."""
    row = db.fetch_one(
        conn,
        queries("repositories")["insert_repository"],
        {"repo_id": repo_id, "path": path, "name": name},
    )
    assert row is not None
    return Repository(repo_id=row["repo_id"], path=row["path"], name=row["name"])


def find_by_path(conn: db.Conn, path: str) -> dict[str, object] | None:
    row = db.fetch_one(conn, queries("repositories")["find_by_path"], {"path": path})
    return None if row is None else dict(row)


def list_all(conn: db.Conn) -> list[dict[str, object]]:
    return [dict(r) for r in db.fetch_all(conn, queries("repositories")["list_repositories"])]


def set_notify(conn: db.Conn, repo_id: str, command: str | None) -> None:
    db.execute(
        conn, queries("repositories")["set_notify"], {"repo_id": repo_id, "notify_command": command}
    )
