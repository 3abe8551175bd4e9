"""Runs, their jobs and workflow snapshots."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from striatum import errors, paths
from striatum.model.engine.states import JobState, RunState
from striatum.store import connection as db
from striatum.store.feed import Event
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Run:
    run_id: str
    repo_id: str
    repo_path: str
    state: RunState
    body: dict[str, Any]  # the snapshot: {"workflow": ..., "files": {...}}
    sha256: str
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_reason: str | None
    workflow_path: str | None
    notify_command: str | None
    # Whether the human left a note resolving one of its blockers (read with the run's lock;
    # True when not read, so a note is never missed).
    has_notes: bool = True
    # Whether `repo_path` is this host's checkout (else where the repository was first
    # adopted, likely on another host: shown, never read or written).
    repo_here: bool = True

    def checkout(self) -> Path:
        """The repository's checkout on this host, where a verb may read and write files;
        Conflict when this host has none (another host's path may name nothing here, or
        another repository)."""
        if not self.repo_here:
            raise errors.Conflict(
                f"run {self.run_id}'s repository {self.repo_id} has no checkout on this host "
                f"({paths.host_name()}); it was first adopted at {self.repo_path}",
                hint=f"in a clone of it here: striatum adopt --join {self.repo_id} (or, if "
                "this machine was renamed, set STRIATUM_HOST to its old name)",
                run_id=self.run_id,
            )
        return Path(self.repo_path)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], body: dict[str, Any]) -> Run:
        return cls(
            run_id=row["run_id"],
            repo_id=row["repo_id"],
            repo_path=row["repo_path"],
            state=RunState(row["state"]),
            body=body,
            sha256=row["sha256"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            ended_reason=row["ended_reason"],
            workflow_path=row["workflow_path"],
            notify_command=row["notify_command"],
            has_notes=bool(row.get("has_notes", True)),
            repo_here=bool(row.get("repo_here", True)),
        )

    @property
    def workflow(self) -> dict[str, Any]:
        document: dict[str, Any] = self.body["workflow"]
        return document


_SNAPSHOTS: dict[str, dict[str, Any]] = {}
_SNAPSHOTS_KEPT = 32
_SNAPSHOTS_LOCK = threading.Lock()  # the daemon's request threads share the cache


def _with_body(conn: db.Conn, row: Mapping[str, Any]) -> Run:
    """The run of `row`, its snapshot read and parsed once per process: a snapshot never
    changes (its SHA-256 names it), and at 5,000 jobs sending its text with every run row
    cost more than the rest of a transition. Treat the document as read-only."""
    sha256 = row["sha256"]
    with _SNAPSHOTS_LOCK:
        body = _SNAPSHOTS.get(sha256)
    if body is None:
        found = db.fetch_one(
            conn, queries("runs")["snapshot_body"], {"snapshot_id": row["snapshot_id"]}
        )
        assert found is not None  # the run row references it
        parsed: dict[str, Any] = json.loads(found["body_text"])
        with _SNAPSHOTS_LOCK:
            if len(_SNAPSHOTS) >= _SNAPSHOTS_KEPT:
                _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
            body = _SNAPSHOTS.setdefault(sha256, parsed)
    return Run.from_row(row, body)


@dataclass(frozen=True, kw_only=True)
class RunSummary(Row):
    """A run as listings show it (no snapshot)."""

    run_id: str
    repo_id: str
    state: RunState
    workflow_id: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    ended_reason: str | None

    @classmethod
    def from_row(cls, row: DictRow) -> RunSummary:
        return cls(
            run_id=row["run_id"],
            repo_id=row["repo_id"],
            state=RunState(row["state"]),
            workflow_id=row["workflow_id"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            ended_reason=row["ended_reason"],
        )


@dataclass(frozen=True, kw_only=True)
class JobRow:
    run_id: str
    job_id: str
    kind: str
    lane: str | None
    state: JobState
    attempt: int
    max_attempts: int
    revisions: int
    depends_on: tuple[str, ...]
    revision_verdicts: tuple[str, ...]
    failed_attempts: int

    @classmethod
    def from_row(cls, row: DictRow) -> JobRow:
        return cls(
            run_id=row["run_id"],
            job_id=row["job_id"],
            kind=row["kind"],
            lane=row["lane"],
            state=JobState(row["state"]),
            attempt=row["attempt"],
            max_attempts=row["max_attempts"],
            revisions=row["revisions"],
            depends_on=tuple(row["depends_on"]),
            revision_verdicts=tuple(row["revision_verdicts"]),
            failed_attempts=row["failed_attempts"],
        )


def insert_snapshot(
    conn: db.Conn,
    *,
    snapshot_id: str,
    repo_id: str,
    workflow_id: str,
    sha256: str,
    body: dict[str, Any],
) -> str:
    row = db.fetch_one(
        conn,
        queries("runs")["insert_snapshot"],
        {
            "snapshot_id": snapshot_id,
            "repo_id": repo_id,
            "workflow_id": workflow_id,
            "sha256": sha256,
            "body": Jsonb(body),
        },
    )
    assert row is not None
    return str(row["snapshot_id"])


def insert_run(conn: db.Conn, **values: Any) -> None:
    db.execute(conn, queries("runs")["insert_run"], values)


def insert_job(conn: db.Conn, **values: Any) -> None:
    db.execute(conn, queries("runs")["insert_job"], values)


def lock(conn: db.Conn, run_id: str) -> Run:
    """The run, locked for a transition; NotFound naming the id otherwise."""
    params = {"run_id": run_id, "host": paths.host_name()}  # its checkout here: `repo_path`
    row = db.fetch_one(conn, queries("runs")["lock_run"], params)
    if row is None:
        raise errors.NotFound(f"no run {run_id!r}", run_id=run_id)
    return _with_body(conn, row)


def of_row(conn: db.Conn, row: Mapping[str, Any]) -> Run:
    """A run from the columns `lock` reads, read by another query (with a lease, say)."""
    return _with_body(conn, row)


def get(conn: db.Conn, run_id: str) -> Run:
    params = {"run_id": run_id, "host": paths.host_name()}
    row = db.fetch_one(conn, queries("runs")["get_run"], params)
    if row is None:
        raise errors.NotFound(f"no run {run_id!r}", run_id=run_id)
    return _with_body(conn, row)


def set_state(conn: db.Conn, run_id: str, state: RunState, reason: str | None = None) -> None:
    db.execute(
        conn,
        queries("runs")["set_run_state"],
        {"run_id": run_id, "state": state.value, "reason": reason},
    )


def list_runs(
    conn: db.Conn, *, repo_id: str | None = None, state: str | None = None, limit: int = 50
) -> list[RunSummary]:
    params = {"repo_id": repo_id, "state": state, "limit": limit}
    return [
        RunSummary.from_row(r) for r in db.fetch_all(conn, queries("runs")["list_runs"], params)
    ]


def moving_jobs(conn: db.Conn, run_id: str) -> list[JobRow]:
    """A run's ready and leased jobs in workflow order."""
    rows = db.fetch_all(conn, queries("runs")["list_moving_jobs"], {"run_id": run_id})
    return [JobRow.from_row(row) for row in rows]


def jobs(conn: db.Conn, run_id: str, *, lock: bool = False) -> list[JobRow]:
    """A run's jobs in workflow order. Transitions serialize on the run row (runs.lock), so
    callers that hold it need not lock the job rows too."""
    query = queries("runs")["lock_jobs" if lock else "list_jobs"]
    return [JobRow.from_row(row) for row in db.fetch_all(conn, query, {"run_id": run_id})]


def job(conn: db.Conn, run_id: str, job_id: str) -> JobRow:
    """One job: a transition on one job reads one row, not the run's whole list."""
    row = db.fetch_one(conn, queries("runs")["get_job"], {"run_id": run_id, "job_id": job_id})
    if row is None:
        raise errors.NotFound(f"run {run_id} has no job {job_id!r}", job=job_id)
    return JobRow.from_row(row)


def named_jobs(conn: db.Conn, run_id: str, job_ids: list[str]) -> list[JobRow]:
    query = queries("runs")["named_jobs"]
    return [
        JobRow.from_row(row)
        for row in db.fetch_all(conn, query, {"run_id": run_id, "job_ids": job_ids})
    ]


@dataclass(frozen=True, kw_only=True)
class Tally:
    unfinished: bool  # some job is not yet succeeded, failed or cancelled
    failed: tuple[str, ...]


def tally(conn: db.Conn, run_id: str) -> Tally:
    """What a run's end depends on, from the few job rows that qualify."""
    row = db.fetch_one(conn, queries("runs")["run_tally"], {"run_id": run_id})
    assert row is not None
    return Tally(unfinished=row["unfinished"], failed=tuple(row["failed"]))


def add_revision_verdict(conn: db.Conn, run_id: str, job_id: str, verdict_id: str) -> None:
    db.execute(
        conn,
        queries("runs")["add_revision_verdict"],
        {"run_id": run_id, "job_id": job_id, "verdict_id": verdict_id},
    )


def clear_job_history(
    conn: db.Conn, run_id: str, job_id: str, *, keep_verdicts: bool = False
) -> None:
    db.execute(
        conn,
        queries("runs")["clear_job_history"],
        {"run_id": run_id, "job_id": job_id, "keep_verdicts": keep_verdicts},
    )


def count_failure(conn: db.Conn, run_id: str, job_id: str) -> int:
    row = db.fetch_one(conn, queries("runs")["count_failure"], {"run_id": run_id, "job_id": job_id})
    assert row is not None
    return int(row["failed_attempts"])


def add_revision(conn: db.Conn, run_id: str, job_id: str) -> None:
    db.execute(conn, queries("runs")["add_revision"], {"run_id": run_id, "job_id": job_id})


def events(conn: db.Conn, run_id: str, job_id: str | None = None, limit: int = 1000) -> list[Event]:
    params = {"run_id": run_id, "job_id": job_id, "limit": limit}
    return [Event.from_row(r) for r in db.fetch_all(conn, queries("runs")["run_events"], params)]


def events_mentioning(conn: db.Conn, key: str, value: str, limit: int = 1000) -> list[Event]:
    params = {"key": key, "value": value, "limit": limit}
    # No index serves a payload match: every event is read, and one sequential pass costs
    # least. The request connections turn sequential scans off (store/pool.py), so this
    # statement turns them on for itself, and off again for the rest of the transaction.
    db.execute(conn, queries("runs")["sequential_scans_on"])
    rows = db.fetch_all(conn, queries("runs")["events_mentioning"], params)
    db.execute(conn, queries("runs")["sequential_scans_off"])
    return [Event.from_row(r) for r in rows]


def revive(conn: db.Conn, run_id: str) -> None:
    """An ended run runs again (`run retry`; the caller checked it may)."""
    db.execute(conn, queries("runs")["revive_run"], {"run_id": run_id})


def revive_job(conn: db.Conn, run_id: str, job_id: str, *, fresh_budget: bool) -> None:
    params = {"run_id": run_id, "job_id": job_id, "fresh_budget": fresh_budget}
    db.execute(conn, queries("runs")["revive_job"], params)


def parks_in_a_row(conn: db.Conn, run_id: str, job_id: str) -> int:
    """The job's attempts parked since its last attempt that ended otherwise."""
    params = {"run_id": run_id, "job_id": job_id}
    row = db.fetch_one(conn, queries("runs")["parks_in_a_row"], params)
    assert row is not None
    return int(row["parks"])


def parked_jobs(conn: db.Conn, run_id: str) -> list[tuple[str, str | None, dt.datetime]]:
    """(job, lane, ready again at) of the run's parked jobs, soonest first."""
    rows = db.fetch_all(conn, queries("runs")["parked_jobs"], {"run_id": run_id})
    return [(row["job_id"], row["lane"], row["ready_after"]) for row in rows]
