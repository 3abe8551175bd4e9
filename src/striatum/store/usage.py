"""What attempts used: usage reports, append-only, and a run's attempts with their sums."""

from __future__ import annotations

from dataclasses import dataclass

from striatum.model.usage import Usage
from striatum.store import connection as db
from striatum.store.sql import queries


@dataclass(frozen=True, kw_only=True)
class AttemptUsage:
    """One attempt of a run and the sum of its reports (None: it reported nothing)."""

    job_id: str
    attempt: int
    provider: str  # '' for an attempt claimed before providers were recorded
    lane: str | None
    usage: Usage | None


def insert(
    conn: db.Conn,
    *,
    run_id: str,
    job_id: str,
    attempt: int,
    event_seq: int,
    usage: Usage,
    reported_by: str,
) -> None:
    db.execute(
        conn,
        queries("usage")["insert_usage"],
        {
            "run_id": run_id,
            "job_id": job_id,
            "attempt": attempt,
            "event_seq": event_seq,
            "input_tokens": usage.input_tokens,
            "cached_tokens": usage.cached_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
            "cost_source": usage.cost_source,
            "model": usage.model,
            "reported_by": reported_by,
        },
    )


def of_run(conn: db.Conn, run_id: str) -> list[AttemptUsage]:
    """Every attempt of the run, in job and attempt order, with what it used."""
    found = []
    for row in db.fetch_all(conn, queries("usage")["run_usage"], {"run_id": run_id}):
        summed = Usage(
            input_tokens=_int(row["input_tokens"]),
            cached_tokens=_int(row["cached_tokens"]),
            output_tokens=_int(row["output_tokens"]),
            cost_usd=row["cost_usd"],
            cost_source=row["cost_source"],
            model=row["model"],
        )
        found.append(
            AttemptUsage(
                job_id=row["job_id"],
                attempt=int(row["attempt"]),
                provider=row["provider"],
                lane=row["lane"],
                usage=summed if summed.known else None,
            )
        )
    return found


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
