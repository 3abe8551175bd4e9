"""Artifacts, verdicts and blockers: what a run leaves on the record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from psycopg.rows import DictRow

from striatum import errors
from striatum.model.engine.records import BlockerKind, BlockerReason, BlockerState, VerdictValue
from striatum.store import chains
from striatum.store import connection as db
from striatum.store.rows import Row
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class Artifact(Row):
    """A file of the repository recorded as the output of one attempt (append-only)."""

    artifact_id: str
    repo_id: str
    run_id: str  # every writer names run, job and attempt (the columns allow null)
    job_id: str
    attempt: int
    path: str  # relative to the repository
    kind: str  # free text, as published (`publish-artifact --kind`, or the workflow's)
    sha256: str
    size_bytes: int
    published_by: str
    lease_id: str | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: DictRow) -> Artifact:
        return cls(
            artifact_id=row["artifact_id"],
            repo_id=row["repo_id"],
            run_id=row["run_id"],
            job_id=row["job_id"],
            attempt=row["attempt"],
            path=row["path"],
            kind=row["kind"],
            sha256=row["sha256"],
            size_bytes=row["size_bytes"],
            published_by=row["published_by"],
            lease_id=row["lease_id"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, kw_only=True)
class Verdict(Row):
    """A review's verdict on one attempt of its target, or the principal's override of one."""

    verdict_id: str
    run_id: str
    review_job_id: str
    target_job_id: str
    attempt: int  # the review's attempt
    value: VerdictValue
    findings_artifact_id: str | None
    actor: str
    overrides: str | None  # the verdict this one overrides
    reason: str | None
    created_at: dt.datetime
    reviewer: str | None  # the reviewing session
    reviewer_lane: str | None
    reviewer_provider: str | None
    reviewer_model: str | None
    author_lane: str | None
    author_provider: str | None
    author_model: str | None
    cross_provider: bool | None
    applied: bool  # the gate has acted on it

    @classmethod
    def from_row(cls, row: DictRow) -> Verdict:
        return cls(
            verdict_id=row["verdict_id"],
            run_id=row["run_id"],
            review_job_id=row["review_job_id"],
            target_job_id=row["target_job_id"],
            attempt=row["attempt"],
            value=VerdictValue(row["value"]),
            findings_artifact_id=row["findings_artifact_id"],
            actor=row["actor"],
            overrides=row["overrides"],
            reason=row["reason"],
            created_at=row["created_at"],
            reviewer=row["reviewer"],
            reviewer_lane=row["reviewer_lane"],
            reviewer_provider=row["reviewer_provider"],
            reviewer_model=row["reviewer_model"],
            author_lane=row["author_lane"],
            author_provider=row["author_provider"],
            author_model=row["author_model"],
            cross_provider=row["cross_provider"],
            applied=row["applied"],
        )


@dataclass(frozen=True, kw_only=True)
class Blocker(Row):
    """Something that waits for the human: an escalation or a checkpoint."""

    blocker_id: str
    run_id: str
    job_id: str  # every writer names the job (the column allows null, no row has it)
    kind: BlockerKind
    reason: str
    state: BlockerState
    opened_by: str
    opened_at: dt.datetime
    resolution: str | None  # the choice, or the human's words
    resolved_by: str | None
    resolved_at: dt.datetime | None
    reason_kind: BlockerReason
    outcome: str | None  # how it was settled: an escalation outcome or a checkpoint choice
    note: str | None  # the human's note, kept for the prompts of the jobs that follow

    @classmethod
    def from_row(cls, row: DictRow) -> Blocker:
        return cls(
            blocker_id=row["blocker_id"],
            run_id=row["run_id"],
            job_id=row["job_id"],
            kind=BlockerKind(row["kind"]),
            reason=row["reason"],
            state=BlockerState(row["state"]),
            opened_by=row["opened_by"],
            opened_at=row["opened_at"],
            resolution=row["resolution"],
            resolved_by=row["resolved_by"],
            resolved_at=row["resolved_at"],
            reason_kind=BlockerReason(row["reason_kind"]),
            outcome=row["outcome"],
            note=row["note"],
        )


def _q(name: str) -> Any:
    return queries("records")[name]


def insert_artifact(conn: db.Conn, *, events: dict[str, Any], **values: Any) -> None:
    """Record a published artifact and `events` (its `artifact.published`, as
    `chains.events_arguments`): one trip."""
    rows = db.fetch_all(conn, _q("insert_artifact"), {**events, **values})
    chains.appended(events, rows)  # checks that each event was appended


def attempt_artifacts(conn: db.Conn, *, run_id: str, job_id: str, attempt: int) -> list[Artifact]:
    params = {"run_id": run_id, "job_id": job_id, "attempt": attempt}
    return [Artifact.from_row(r) for r in db.fetch_all(conn, _q("attempt_artifacts"), params)]


def list_artifacts(conn: db.Conn, run_id: str) -> list[Artifact]:
    rows = db.fetch_all(conn, _q("list_artifacts"), {"run_id": run_id})
    return [Artifact.from_row(r) for r in rows]


def get_artifact(conn: db.Conn, artifact_id: str) -> Artifact:
    row = db.fetch_one(conn, _q("get_artifact"), {"artifact_id": artifact_id})
    if row is None:
        raise errors.NotFound(f"no artifact {artifact_id!r}", artifact_id=artifact_id)
    return Artifact.from_row(row)


def insert_verdict(conn: db.Conn, **values: Any) -> None:
    defaults = {
        "findings_artifact_id": None,
        "overrides": None,
        "reason": None,
        "reviewer": None,
        "reviewer_lane": None,
        "reviewer_provider": None,
        "reviewer_model": None,
        "author_lane": None,
        "author_provider": None,
        "author_model": None,
        "cross_provider": None,
        "applied": False,
    }
    db.execute(conn, _q("insert_verdict"), {**defaults, **values})


def pending_verdict(conn: db.Conn, *, run_id: str, job_id: str, attempt: int) -> Verdict | None:
    row = db.fetch_one(
        conn, _q("pending_verdict"), {"run_id": run_id, "job_id": job_id, "attempt": attempt}
    )
    return None if row is None else Verdict.from_row(row)


def mark_applied(conn: db.Conn, verdict_id: str) -> None:
    db.execute(conn, _q("mark_verdict_applied"), {"verdict_id": verdict_id})


def get_verdict(conn: db.Conn, verdict_id: str) -> Verdict | None:
    row = db.fetch_one(conn, _q("get_verdict"), {"verdict_id": verdict_id})
    return None if row is None else Verdict.from_row(row)


def list_verdicts(conn: db.Conn, run_id: str) -> list[Verdict]:
    rows = db.fetch_all(conn, _q("list_verdicts"), {"run_id": run_id})
    return [Verdict.from_row(r) for r in rows]


def insert_blocker(conn: db.Conn, **values: Any) -> None:
    db.execute(conn, _q("insert_blocker"), values)


def lock_blocker(conn: db.Conn, blocker_id: str) -> Blocker:
    return _blocker(conn, "lock_blocker", blocker_id)


def get_blocker(conn: db.Conn, blocker_id: str) -> Blocker:
    return _blocker(conn, "get_blocker", blocker_id)


def _blocker(conn: db.Conn, query: str, blocker_id: str) -> Blocker:
    row = db.fetch_one(conn, _q(query), {"blocker_id": blocker_id})
    if row is None:
        raise errors.NotFound(f"no blocker {blocker_id!r}", blocker_id=blocker_id)
    return Blocker.from_row(row)


def resolve_blocker(conn: db.Conn, *, note: str | None = None, **values: Any) -> None:
    db.execute(conn, _q("resolve_blocker"), {**values, "note": note})


def human_notes(conn: db.Conn, run_id: str, job_ids: list[str]) -> list[Blocker]:
    """Resolved blockers of these jobs (escalations, checkpoints) where the human left a
    note, oldest first."""
    return _blockers(conn, "human_notes", {"run_id": run_id, "job_ids": job_ids})


def open_blockers(conn: db.Conn, run_id: str | None = None) -> list[Blocker]:
    return _blockers(conn, "open_blockers", {"run_id": run_id})


def list_blockers(
    conn: db.Conn, run_id: str | None = None, include_resolved: bool = False
) -> list[Blocker]:
    return _blockers(conn, "list_blockers", {"run_id": run_id, "all": include_resolved})


def _blockers(conn: db.Conn, query: str, params: dict[str, object]) -> list[Blocker]:
    return [Blocker.from_row(row) for row in db.fetch_all(conn, _q(query), params)]


def latest_verdict(conn: db.Conn, *, run_id: str, job_id: str) -> str | None:
    row = db.fetch_one(conn, _q("latest_verdict"), {"run_id": run_id, "job_id": job_id})
    return None if row is None else str(row["verdict_id"])
