"""Artifacts, verdicts and blockers: what a run leaves on the record."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.store import connection as db
from striatum.store.sql import queries


def _q(name: str) -> Any:
    return queries("records")[name]


def insert_artifact(conn: db.Conn, **values: Any) -> None:
    db.execute(conn, _q("insert_artifact"), values)


def attempt_artifacts(
    conn: db.Conn, *, run_id: str, job_id: str, attempt: int
) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in db.fetch_all(
            conn, _q("attempt_artifacts"), {"run_id": run_id, "job_id": job_id, "attempt": attempt}
        )
    ]


def list_artifacts(conn: db.Conn, run_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.fetch_all(conn, _q("list_artifacts"), {"run_id": run_id})]


def get_artifact(conn: db.Conn, artifact_id: str) -> dict[str, Any]:
    row = db.fetch_one(conn, _q("get_artifact"), {"artifact_id": artifact_id})
    if row is None:
        raise errors.NotFound(f"no artifact {artifact_id!r}", artifact_id=artifact_id)
    return dict(row)


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


def pending_verdict(
    conn: db.Conn, *, run_id: str, job_id: str, attempt: int
) -> dict[str, Any] | None:
    row = db.fetch_one(
        conn, _q("pending_verdict"), {"run_id": run_id, "job_id": job_id, "attempt": attempt}
    )
    return None if row is None else dict(row)


def mark_applied(conn: db.Conn, verdict_id: str) -> None:
    db.execute(conn, _q("mark_verdict_applied"), {"verdict_id": verdict_id})


def get_verdict(conn: db.Conn, verdict_id: str) -> dict[str, Any] | None:
    row = db.fetch_one(conn, _q("get_verdict"), {"verdict_id": verdict_id})
    return None if row is None else dict(row)


def list_verdicts(conn: db.Conn, run_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.fetch_all(conn, _q("list_verdicts"), {"run_id": run_id})]


def insert_blocker(conn: db.Conn, **values: Any) -> None:
    db.execute(conn, _q("insert_blocker"), values)


def lock_blocker(conn: db.Conn, blocker_id: str) -> dict[str, Any]:
    row = db.fetch_one(conn, _q("lock_blocker"), {"blocker_id": blocker_id})
    if row is None:
        raise errors.NotFound(f"no blocker {blocker_id!r}", blocker_id=blocker_id)
    return dict(row)


def get_blocker(conn: db.Conn, blocker_id: str) -> dict[str, Any]:
    row = db.fetch_one(conn, _q("get_blocker"), {"blocker_id": blocker_id})
    if row is None:
        raise errors.NotFound(f"no blocker {blocker_id!r}", blocker_id=blocker_id)
    return dict(row)


def resolve_blocker(conn: db.Conn, *, note: str | None = None, **values: Any) -> None:
    db.execute(conn, _q("resolve_blocker"), {**values, "note": note})


def human_notes(conn: db.Conn, run_id: str, job_ids: list[str]) -> list[dict[str, Any]]:
    """The human's notes on blockers of these jobs (escalations, checkpoints), oldest first."""
    return [
        dict(r)
        for r in db.fetch_all(conn, _q("human_notes"), {"run_id": run_id, "job_ids": job_ids})
    ]


def open_blockers(conn: db.Conn, run_id: str | None = None) -> list[dict[str, Any]]:
    return [dict(r) for r in db.fetch_all(conn, _q("open_blockers"), {"run_id": run_id})]


def list_blockers(
    conn: db.Conn, run_id: str | None = None, include_resolved: bool = False
) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in db.fetch_all(
            conn, _q("list_blockers"), {"run_id": run_id, "all": include_resolved}
        )
    ]


def latest_verdict(conn: db.Conn, *, run_id: str, job_id: str) -> str | None:
    row = db.fetch_one(conn, _q("latest_verdict"), {"run_id": run_id, "job_id": job_id})
    return None if row is None else str(row["verdict_id"])
