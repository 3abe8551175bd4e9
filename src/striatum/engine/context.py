"""What a handler receives besides its parameters: the unit of work of one transaction.

A transaction's body may run more than once (the store retries serialization failures and
deadlocks), so a handler touches nothing outside the database while it runs. What must
happen outside — a merge, a file copied or written, a notification — it records on its
`Context` with `after_commit`; the dispatcher runs those actions once the transaction has
committed, in the order recorded, and never for an attempt that was rolled back (each attempt
gets a fresh `Context`, so a retried attempt's actions are dropped with it). An action must be
idempotent against the world as the transaction saw it (writing the same bytes again is a
no-op), and its failure, a `StriatumError` naming what the database already recorded and how
to finish by hand, is what the caller is told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from striatum.model.engine.states import JobState
from striatum.model.roles import Role
from striatum.store.connection import Conn

# Something to do outside the database once the transaction committed (see the docstring).
Action: TypeAlias = Callable[[], None]


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
    anchoring: Callable[[], dict[str, Any]] | None = None  # the anchorer's state, for status
    database_state: Callable[[], Mapping[str, object]] | None = None  # the cluster's, for status


@dataclass(frozen=True, kw_only=True)
class Context:
    conn: Conn  # inside the request's one transaction
    caller: Caller
    daemon: DaemonInfo
    # Things that started waiting for the human, or runs that ended: the dispatcher hands
    # them to the notification hook after the transaction commits.
    notices: list[dict[str, Any]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    # The jobs this transaction moved, with the state each moved to last: `progress.advance`
    # looks at them and what depends on them, never at the whole run.
    moved: dict[str, JobState] = field(default_factory=dict)

    def after_commit(self, action: Action) -> None:
        """Run `action` once this transaction has committed (never if it rolls back)."""
        self.actions.append(action)

    @property
    def actor(self) -> str:
        return f"{self.caller.role.value}:{self.caller.token_id}"
