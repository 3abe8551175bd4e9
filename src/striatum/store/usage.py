"""What attempts used: usage reports, append-only, and a run's attempts with their sums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True, kw_only=True)
class Spend:
    """A budget (None: no limit of that kind) and what the attempts it covers reported: the
    run's (`lane` None) or one lane's within the run. A hard one, once reached, also stops
    the attempts already running."""

    lane: str | None
    budget_usd: float | None
    budget_tokens: int | None
    hard: bool
    spent_usd: float
    spent_tokens: int

    @property
    def limited(self) -> bool:
        return self.budget_usd is not None or self.budget_tokens is not None

    @property
    def reached(self) -> bool:
        """Whether it is spent: no new attempt may start."""
        over_usd = self.budget_usd is not None and self.spent_usd >= self.budget_usd
        over_tokens = self.budget_tokens is not None and self.spent_tokens >= self.budget_tokens
        return over_usd or over_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            **({} if self.lane is None else {"lane": self.lane}),
            "budget_usd": self.budget_usd,
            "budget_tokens": self.budget_tokens,
            "hard": self.hard,
            "spent_usd": self.spent_usd,
            "spent_tokens": self.spent_tokens,
            "reached": self.reached,
        }

    @classmethod
    def from_row(cls, row: Any) -> Spend:
        return cls(
            lane=row["lane"],
            budget_usd=row["budget_usd"],
            budget_tokens=row["budget_tokens"],
            hard=bool(row["hard"]),
            spent_usd=float(row["spent_usd"]),
            spent_tokens=int(row["spent_tokens"]),
        )


def spends(conn: db.Conn, run_id: str) -> list[Spend]:
    """The run's budget and spend first, then its lanes' budgets, by lane."""
    rows = db.fetch_all(conn, queries("usage")["spends"], {"run_id": run_id})
    return [Spend.from_row(row) for row in rows]


def set_budget(
    conn: db.Conn, run_id: str, *, usd: float | None, tokens: int | None, hard: bool
) -> Spend:
    row = db.fetch_one(
        conn,
        queries("usage")["set_budget"],
        {"run_id": run_id, "usd": usd, "tokens": tokens, "hard": hard},
    )
    assert row is not None
    return Spend.from_row(row)


def set_lane_budget(
    conn: db.Conn, run_id: str, lane: str, *, usd: float | None, tokens: int | None, hard: bool
) -> Spend:
    row = db.fetch_one(
        conn,
        queries("usage")["set_lane_budget"],
        {"run_id": run_id, "lane": lane, "usd": usd, "tokens": tokens, "hard": hard},
    )
    assert row is not None
    return Spend.from_row(row)


def insert(
    conn: db.Conn,
    *,
    run_id: str,
    job_id: str,
    attempt: int,
    event_seq: int,
    usage: Usage,
    reported_by: str,
) -> list[Spend]:
    """Record one report; the budgets it counts against (the run's first, then its lane's
    if the lane has one in the run) and their spend after it."""
    rows = db.fetch_all(
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
    return [Spend.from_row(row) for row in rows]


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
