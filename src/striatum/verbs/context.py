"""What a handler receives besides its parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from striatum.model.roles import Role
from striatum.store.connection import Conn


@dataclass(frozen=True, kw_only=True)
class Caller:
    token_id: str
    role: Role


@dataclass(frozen=True, kw_only=True)
class DaemonInfo:
    pid: int
    host: str
    version: str
    socket: str
    database: str
    server_version: str
    started_at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Context:
    conn: Conn  # inside the request's one transaction
    caller: Caller
    daemon: DaemonInfo
