"""Sessions, attempts and leases: who holds which job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg.rows import DictRow

from striatum import errors, paths
from striatum.model.engine.provenance import Source, Worker
from striatum.model.engine.records import LeaseOutcome
from striatum.model.roles import Role
from striatum.model.tokens import Minted
from striatum.store import chains
from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.runs import JobRow
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Session(Row):
    session_id: str
    repo_id: str | None
    role: Role
    lane: str | None
    token_id: str | None
    provider: str | None  # declared by the session; None: the lane's provider is assumed
    model: str | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: DictRow) -> Session:
        return cls(
            session_id=row["session_id"],
            repo_id=row["repo_id"],
            role=Role(row["role"]),
            lane=row["lane"],
            token_id=row["token_id"],
            provider=row["provider"],
            model=row["model"],
            opened_at=row["opened_at"],
            closed_at=row["closed_at"],
        )


@dataclass(frozen=True, kw_only=True)
class Lease(Row):
    lease_id: str
    run_id: str
    job_id: str
    attempt: int
    session_id: str | None
    holder: str
    lane: str | None
    host: str | None  # whose daemon granted it (or handed it over); None before 0015
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime
    expires_at: dt.datetime
    ended_at: dt.datetime | None
    outcome: LeaseOutcome | None  # None while the lease lives
    token_id: str | None  # the lane token minted for it
    expired: bool  # past its expiry when read (the sweep may not have ended it yet)
    heartbeat_age_s: Decimal  # seconds since the last heartbeat when read

    @classmethod
    def from_row(cls, row: DictRow) -> Lease:
        outcome = row["outcome"]
        return cls(
            lease_id=row["lease_id"],
            run_id=row["run_id"],
            job_id=row["job_id"],
            attempt=row["attempt"],
            session_id=row["session_id"],
            holder=row["holder"],
            lane=row["lane"],
            host=row["host"],
            acquired_at=row["acquired_at"],
            heartbeat_at=row["heartbeat_at"],
            expires_at=row["expires_at"],
            ended_at=row["ended_at"],
            outcome=None if outcome is None else LeaseOutcome(outcome),
            token_id=row["token_id"],
            expired=row["expired"],
            heartbeat_age_s=row["heartbeat_age_s"],
        )


def _q(name: str) -> Any:
    return queries("work")[name]


def insert_session(conn: db.Conn, **values: Any) -> Session:
    row = db.fetch_one(conn, _q("insert_session"), values)
    assert row is not None
    return Session.from_row(row)


def get_session(conn: db.Conn, session_id: str) -> Session:
    row = db.fetch_one(conn, _q("get_session"), {"session_id": session_id})
    if row is None:
        raise errors.NotFound(f"no session {session_id!r}", session_id=session_id)
    return Session.from_row(row)


def close_session(conn: db.Conn, session_id: str) -> bool:
    return db.fetch_one(conn, _q("close_session"), {"session_id": session_id}) is not None


def list_sessions(conn: db.Conn, limit: int = 100) -> list[Session]:
    return [Session.from_row(r) for r in db.fetch_all(conn, _q("list_sessions"), {"limit": limit})]


def claim_next(
    conn: db.Conn,
    *,
    lane: str | None,
    run_id: str | None,
    job_id: str | None = None,
    skip: tuple[tuple[str, str], ...] = (),
) -> JobRow | None:
    """The next ready job, row-locked; `skip` holds (run, job) pairs already turned down.
    Each shape of question has its own query, so each gets a plan that fits it."""
    if run_id is None:
        query, skipped = _q("claim_next"), [f"{run}/{job}" for run, job in skip]
    else:
        query = _q("claim_job" if job_id is not None else "claim_in_run")
        skipped = [job for run, job in skip if run == run_id]
    params = {"lane": lane, "run_id": run_id, "job_id": job_id, "skip": skipped}
    row = db.fetch_one(conn, query, params)
    return None if row is None else JobRow.from_row(row)


def set_attempt_worker(
    conn: db.Conn, *, run_id: str, job_id: str, attempt: int, worker: Worker
) -> None:
    db.execute(
        conn,
        _q("set_attempt_worker"),
        {"run_id": run_id, "job_id": job_id, "attempt": attempt, **worker.recorded()},
    )


def attempt_worker(
    conn: db.Conn, *, run_id: str, job_id: str, lane: str | None, attempt: int
) -> Worker | None:
    """Who did one attempt, as recorded when it was claimed (None: not recorded)."""
    row = db.fetch_one(
        conn, _q("attempt_worker"), {"run_id": run_id, "job_id": job_id, "attempt": attempt}
    )
    return _worker(row, lane)


def last_succeeded_worker(
    conn: db.Conn, *, run_id: str, job_id: str, lane: str | None
) -> Worker | None:
    """Who did the job's latest succeeded attempt (None: none, or not recorded)."""
    row = db.fetch_one(conn, _q("last_succeeded_worker"), {"run_id": run_id, "job_id": job_id})
    return _worker(row, lane)


def _worker(row: Any, lane: str | None) -> Worker | None:
    if row is None or row["provider"] is None:
        return None
    return Worker(
        provider=row["provider"],
        model=row["model"],
        lane=lane,
        source=Source(row["provider_source"]),
    )


def end_lease_and_attempt(
    conn: db.Conn,
    lease_id: str,
    outcome: str,
    *,
    run_id: str,
    job_id: str,
    attempt: int,
    state: str,
    events: dict[str, Any],
    reason: str | None = None,
    commit_sha: str | None = None,
) -> list[chains.Appended]:
    """End a lease (its lane token dies with it) and close its attempt; a success also
    records its commit. `events` (`chains.events_arguments`) are recorded in the same trip."""
    rows = db.fetch_all(
        conn,
        _q("end_lease_and_attempt"),
        {
            **events,
            "lease_id": lease_id,
            "outcome": outcome,
            "run_id": run_id,
            "job_id": job_id,
            "attempt": attempt,
            "state": state,
            "reason": reason,
            "commit_sha": commit_sha,
        },
    )
    return chains.appended(events, rows)


def record_reported_model(
    conn: db.Conn, *, run_id: str, job_id: str, attempt: int, reported_model: str
) -> None:
    db.execute(
        conn,
        _q("record_reported_model"),
        {"run_id": run_id, "job_id": job_id, "attempt": attempt, "reported_model": reported_model},
    )


def attempt_commits(conn: db.Conn, *, run_id: str, job_id: str) -> list[tuple[int, str]]:
    """(attempt, commit) of the job's attempts that recorded a commit, oldest first."""
    return [
        (int(r["attempt"]), str(r["commit_sha"]))
        for r in db.fetch_all(conn, _q("attempt_commits"), {"run_id": run_id, "job_id": job_id})
    ]


def run_commits(conn: db.Conn, run_id: str) -> list[tuple[str, str]]:
    """(job, commit) of the run's attempts that succeeded with a commit."""
    rows = db.fetch_all(conn, _q("run_commits"), {"run_id": run_id})
    return [(str(r["job_id"]), str(r["commit_sha"])) for r in rows]


def revision_verdict(conn: db.Conn, *, run_id: str, job_id: str, attempt: int) -> str | None:
    row = db.fetch_one(
        conn, _q("last_revision_verdict"), {"run_id": run_id, "job_id": job_id, "attempt": attempt}
    )
    return None if row is None else row["revision_verdict_id"]


def insert_attempt_and_lease(
    conn: db.Conn,
    *,
    token: Minted,
    token_label: str,
    worker: Worker,
    revision_verdict_id: str | None,
    events: dict[str, Any],
    input_jobs: Sequence[str],
    **values: Any,
) -> tuple[Lease, list[dict[str, Any]]]:
    """A job's new attempt, and a new lease of it with the lane token that acts on it (and
    only on it); `events` (its `job.leased`, which moves the job to `leased` with that
    attempt, as `chains.events_arguments`) recorded; and what the current attempts of
    `input_jobs` (the job's parents) published, oldest first (artifact_id, job_id, attempt,
    path, sha256 of each): one trip."""
    params = {
        **events,
        **values,
        "input_jobs": list(input_jobs),
        **worker.recorded(),
        "revision_verdict_id": revision_verdict_id,
        "token_id": token.token_id,
        "secret_sha256": token.secret_sha256,
        "token_label": token_label,
        "host": paths.host_name(),  # the lease is this daemon's host's
    }
    row = db.fetch_one(conn, _q("insert_attempt_and_lease"), params)
    assert row is not None
    return Lease.from_row(row), list(row["inputs"])


def set_lease_token(conn: db.Conn, lease_id: str, token_id: str) -> None:
    db.execute(conn, _q("set_lease_token"), {"lease_id": lease_id, "token_id": token_id})


class LockedLease(NamedTuple):
    lease: Lease
    job: JobRow  # as it stands
    session: Session | None  # the session that claimed it, if one did


def lock_lease(conn: db.Conn, lease_id: str) -> LockedLease:
    """The lease, locked, its job and its session (one trip; the caller holds its run's lock,
    which `lock_held` then takes again at no cost)."""
    return lock_held(conn, lease_id)[1]


def lock_held(conn: db.Conn, lease_id: str) -> tuple[dict[str, Any], LockedLease]:
    """A lease's run, locked, then the lease, locked, with its job and its session (one trip):
    the run's columns (for `runs.of_row`) and the rest."""
    row = db.fetch_one(conn, _q("lock_held"), {"lease_id": lease_id, "host": paths.host_name()})
    if row is None:
        raise errors.NotFound(f"no lease {lease_id!r}", lease_id=lease_id)
    run = {k.removeprefix("run__"): v for k, v in row.items() if k.startswith("run__")}
    job = {k.removeprefix("job_"): v for k, v in row.items() if k.startswith("job_")}
    job.update(run_id=row["run_id"], job_id=row["job_id"])
    session = {k.removeprefix("session_"): v for k, v in row.items() if k.startswith("session_")}
    return run, LockedLease(
        Lease.from_row(row),
        JobRow.from_row(job),
        None if session["session_id"] is None else Session.from_row(session),
    )


def heartbeat(conn: db.Conn, lease_id: str, ttl_s: int) -> Any:
    row = db.fetch_one(conn, _q("heartbeat"), {"lease_id": lease_id, "ttl_s": ttl_s})
    assert row is not None
    return row["expires_at"]


def transfer(conn: db.Conn, *, lease_id: str, session_id: str, holder: str, ttl_s: int) -> Any:
    row = db.fetch_one(
        conn,
        _q("transfer_lease"),
        {
            "lease_id": lease_id,
            "session_id": session_id,
            "holder": holder,
            "ttl_s": ttl_s,
            "host": paths.host_name(),
        },
    )
    assert row is not None
    return row["expires_at"]


def end_lease_tokens(conn: db.Conn, lease_id: str) -> None:
    """A lease's lane token dies with the lease (or when the lease changes hands)."""
    db.execute(conn, _q("revoke_lease_tokens"), {"lease_id": lease_id})


def live_leases(conn: db.Conn, run_id: str) -> list[Lease]:
    """A run's live leases, locked."""
    return _leases(conn, "live_leases_of_run", {"run_id": run_id})


def live_leases_unlocked(conn: db.Conn, run_id: str) -> list[Lease]:
    """A run's live leases, newest first, for reading (a supervisor's each second)."""
    return _leases(conn, "run_live_leases", {"run_id": run_id})


def expired_leases(conn: db.Conn, limit: int = 100) -> list[Lease]:
    return _leases(conn, "expired_leases", {"limit": limit})


def list_leases(conn: db.Conn, run_id: str) -> list[Lease]:
    return _leases(conn, "list_leases", {"run_id": run_id})


def _leases(conn: db.Conn, query: str, params: dict[str, object]) -> list[Lease]:
    return [Lease.from_row(row) for row in db.fetch_all(conn, _q(query), params)]
