"""What a handler receives besides its parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from striatum.model.roles import Role
from striatum.store.connection import Conn


@dataclass(frozen=True, kw_only=True)
class Caller:
    token_id: str
    role: Role
    lease_id: str | None = None  # set for lane tokens: the only lease they may act on


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
    # Things that started waiting for the human, or runs that ended: the dispatcher hands
    # them to the notification hook after the transaction commits.
    notices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return f"{self.caller.role.value}:{self.caller.token_id}"
