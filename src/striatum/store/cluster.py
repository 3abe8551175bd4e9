"""Cluster-level chores before any schema exists: is the server up, does our database exist."""

from __future__ import annotations

import psycopg
from psycopg import sql

from striatum.store.sql import queries


def accepts_connections(conninfo: str) -> bool:
    """One quick connection attempt (the embedded cluster polls this while it starts)."""
    try:
        psycopg.connect(conninfo, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def ensure_database(conninfo: str, name: str) -> None:
    """Create database `name` unless it exists (a first start may have been interrupted)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if conn.execute(queries("bootstrap")["database_exists"], {"name": name}).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
