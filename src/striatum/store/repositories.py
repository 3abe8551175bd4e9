"""Registered target repositories and their checkouts (one per host, docs/MULTI_HOST.md).

A repository's row names it (its id, the same for every clone that joined it); a checkout
says where it is on one host. A path given on this host finds the repository through this
host's checkouts, so equal paths on two hosts are never confused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from psycopg.rows import DictRow

from striatum import paths
from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Repository(Row):
    repo_id: str
    path: str  # its checkout on this host (else, in a list, where it was first adopted)
    name: str
    notify_command: str | None  # run by the daemon on checkpoints, escalations, run ends
    created_at: dt.datetime
    removed_at: dt.datetime | None  # `repo remove`: hidden, its chain and runs kept
    root_commit: str | None = None  # the adopting clone's first commit (`adopt --join auto`)
    here: bool = True  # whether `path` is a checkout of this host
    hosts: tuple[str, ...] = ()  # the hosts with a checkout of it (when listed)

    @classmethod
    def from_row(cls, row: DictRow) -> Repository:
        return cls(
            repo_id=row["repo_id"],
            path=row["path"],
            name=row["name"],
            notify_command=row["notify_command"],
            created_at=row["created_at"],
            removed_at=row["removed_at"],
            root_commit=row.get("root_commit"),
            here=row.get("here", True),
            hosts=tuple(row.get("hosts") or ()),
        )


def insert(
    conn: db.Conn, *, repo_id: str, path: str, name: str, root_commit: str | None = None
) -> Repository:
    """Register a repository checked out at `path` on this host (or bring a removed one back):
    the repository's row if new, and this host's checkout if new."""
    sql = queries("repositories")
    params = {"repo_id": repo_id, "path": path, "name": name, "root_commit": root_commit}
    row = db.fetch_one(conn, sql["insert_repository"], params)
    assert row is not None
    db.execute(
        conn, sql["insert_checkout"], {"repo_id": repo_id, "host": paths.host_name(), "path": path}
    )
    return dataclasses.replace(Repository.from_row(row), path=path)


def drop_checkout(conn: db.Conn, path: str) -> None:
    """Forget this host's checkout at `path` (the repository row and its chain stay)."""
    params = {"path": path, "host": paths.host_name()}
    db.execute(conn, queries("repositories")["drop_checkout"], params)


def find_by_path(conn: db.Conn, path: str, *, share: bool = False) -> Repository | None:
    """The repository checked out at `path` on this host (removed or not); `share` locks it
    against `repo remove` until the transaction ends (a new run in it is on its way)."""
    query = queries("repositories")["share_by_path" if share else "find_by_path"]
    row = db.fetch_one(conn, query, {"path": path, "host": paths.host_name()})
    return None if row is None else Repository.from_row(row)


def find_by_id(conn: db.Conn, repo_id: str) -> Repository | None:
    """A repository by id, with this host's checkout when it has one (`here`)."""
    params = {"repo_id": repo_id, "host": paths.host_name()}
    row = db.fetch_one(conn, queries("repositories")["find_by_id"], params)
    return None if row is None else Repository.from_row(row)


def by_root_commit(conn: db.Conn, root_commit: str) -> list[Repository]:
    """Repositories (not removed) first adopted from a clone with this first commit, each
    saying whether this host has a checkout of it (`here`)."""
    params = {"root_commit": root_commit, "host": paths.host_name()}
    rows = db.fetch_all(conn, queries("repositories")["by_root_commit"], params)
    return [Repository.from_row(row) for row in rows]


def list_all(conn: db.Conn, *, include_removed: bool = False) -> list[Repository]:
    params = {"include_removed": include_removed, "host": paths.host_name()}
    rows = db.fetch_all(conn, queries("repositories")["list_repositories"], params)
    return [Repository.from_row(row) for row in rows]


def set_notify(conn: db.Conn, repo_id: str, command: str | None) -> None:
    db.execute(
        conn, queries("repositories")["set_notify"], {"repo_id": repo_id, "notify_command": command}
    )


def lock_by_path(conn: db.Conn, path: str) -> Repository | None:
    params = {"path": path, "host": paths.host_name()}
    row = db.fetch_one(conn, queries("repositories")["lock_repository"], params)
    return None if row is None else Repository.from_row(row)


def mark_removed(conn: db.Conn, repo_id: str) -> None:
    db.execute(conn, queries("repositories")["mark_removed"], {"repo_id": repo_id})
