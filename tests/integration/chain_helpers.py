"""Small helpers shared by the integration tests of the chains."""

from __future__ import annotations

from striatum.store import chains, repositories
from striatum.store import connection as db


def register_repo(conn: db.Conn, repo_id: str = "r1") -> str:
    db.in_transaction(
        conn,
        lambda c: repositories.insert(c, repo_id=repo_id, path=f"/srv/{repo_id}", name=repo_id),
    )
    return repo_id


def append_events(conn: db.Conn, repo_id: str, count: int, *, start: int = 0) -> None:
    for n in range(start, start + count):
        db.in_transaction(
            conn,
            lambda c, n=n: chains.append_event(  # type: ignore[misc]
                c,
                repo_id=repo_id,
                type="job.succeeded",
                actor="operator:test",
                payload={"n": n, "note": "ok"},
                run_id="run-1",
                job_id=f"job-{n}",
            ),
        )


def append_audits(conn: db.Conn, count: int) -> None:
    for n in range(count):
        db.in_transaction(
            conn,
            lambda c, n=n: chains.append_audit(  # type: ignore[misc]
                c,
                request_id=f"req-{n}",
                method="status",
                actor="operator",
                role="operator",
                ok=True,
                error_code=None,
                params={"n": n},
            ),
        )
