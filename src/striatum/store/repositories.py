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
    row = db.fetch_one(conn, queries("repositories")["insert_repository"],
                       {"repo_id": repo_id, "path": path, "name": name})
    assert row is not None
    return Repository(repo_id=row["repo_id"], path=row["path"], name=row["name"])
