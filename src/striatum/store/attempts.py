"""A job's attempts, as the inspection views show them."""

from __future__ import annotations

from typing import Any

from striatum.store import connection as db
from striatum.store.sql import queries


def of_job(conn: db.Conn, run_id: str, job_id: str) -> list[dict[str, Any]]:
    """Every attempt of the job, newest first, with its duration so far."""
    return [
        dict(r)
        for r in db.fetch_all(
            conn, queries("attempts")["job_attempts"], {"run_id": run_id, "job_id": job_id}
        )
    ]
