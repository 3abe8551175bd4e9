"""A job's attempts, as the inspection views show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from psycopg.rows import DictRow

from striatum.model.engine.provenance import Source
from striatum.model.engine.records import AttemptState
from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Attempt(Row):
    run_id: str
    job_id: str
    attempt: int
    state: AttemptState
    reason: str | None  # why it ended, when it did not succeed
    provider: str | None  # who did it (None: claimed before migration 0005)
    model: str | None
    provider_source: Source | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    revision_verdict_id: str | None  # the verdict that asked for it, if it is a revision
    commit_sha: str | None
    duration_s: Decimal  # seconds from start to end (or to now, while it runs)

    @classmethod
    def from_row(cls, row: DictRow) -> Attempt:
        source = row["provider_source"]
        return cls(
            run_id=row["run_id"],
            job_id=row["job_id"],
            attempt=row["attempt"],
            state=AttemptState(row["state"]),
            reason=row["reason"],
            provider=row["provider"],
            model=row["model"],
            provider_source=None if source is None else Source(source),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            revision_verdict_id=row["revision_verdict_id"],
            commit_sha=row["commit_sha"],
            duration_s=row["duration_s"],
        )


def of_job(conn: db.Conn, run_id: str, job_id: str) -> list[Attempt]:
    """Every attempt of the job, newest first, with its duration so far."""
    query = queries("attempts")["job_attempts"]
    rows = db.fetch_all(conn, query, {"run_id": run_id, "job_id": job_id})
    return [Attempt.from_row(row) for row in rows]


@dataclass(frozen=True, kw_only=True)
class JobTimes:
    started_at: dt.datetime
    ended_at: dt.datetime | None  # None while an attempt runs


def job_times(conn: db.Conn, run_id: str, job_ids: list[str] | None = None) -> dict[str, JobTimes]:
    """Each job's span over its attempts (jobs without an attempt are absent); `job_ids`:
    only those jobs."""
    if job_ids is None:
        rows = db.fetch_all(conn, queries("attempts")["run_job_times"], {"run_id": run_id})
    else:
        rows = db.fetch_all(
            conn, queries("attempts")["some_job_times"], {"run_id": run_id, "job_ids": job_ids}
        )
    return {
        row["job_id"]: JobTimes(started_at=row["started_at"], ended_at=row["ended_at"])
        for row in rows
    }
