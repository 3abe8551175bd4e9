"""Who supervises each run (`run_supervisors`): the rows behind resuming orphaned runs."""

from __future__ import annotations

from psycopg.rows import DictRow

from striatum.model.engine.supervision import STABLE_S, Supervision
from striatum.store import connection as db
from striatum.store.sql import queries


def _from_row(row: DictRow) -> Supervision:
    return Supervision(
        run_id=row["run_id"],
        supervised=row["supervised"],
        host=row["host"],
        state=row["state"],
        pid=row["pid"],
        identity=row["identity"],
        session_id=row["session_id"],
        generation=row["generation"],
        resumes=row["resumes"],
        streak=row["streak"],
        changed_at=row["changed_at"],
    )


def _one(conn: db.Conn, name: str, **params: object) -> Supervision | None:
    row = db.fetch_one(conn, queries("supervisors")[name], params)
    return None if row is None else _from_row(row)


def get(conn: db.Conn, run_id: str) -> Supervision | None:
    return _one(conn, "get_supervision", run_id=run_id)


def lock(conn: db.Conn, run_id: str) -> Supervision | None:
    """The row, locked; take the run's row first (`runs.lock`)."""
    return _one(conn, "lock_supervision", run_id=run_id)


def record_launch(
    conn: db.Conn, run_id: str, *, supervised: bool, host: str, resumed: bool = False
) -> Supervision:
    found = _one(
        conn,
        "record_launch",
        run_id=run_id,
        supervised=supervised,
        host=host,
        resumed=int(resumed),
    )
    assert found is not None  # an upsert returns its row
    return found


def register(
    conn: db.Conn, run_id: str, *, host: str, pid: int, identity: str | None, session_id: str
) -> Supervision:
    found = _one(
        conn,
        "register_supervisor",
        run_id=run_id,
        host=host,
        pid=pid,
        identity=identity,
        session_id=session_id,
    )
    assert found is not None  # an upsert returns its row
    return found


def left(conn: db.Conn, run_id: str, *, host: str, pid: int) -> Supervision | None:
    """None when that supervisor is not the registered one (any more)."""
    return _one(conn, "supervisor_left", run_id=run_id, host=host, pid=pid)


def claim_relaunch(conn: db.Conn, run_id: str, *, host: str, generation: int) -> Supervision | None:
    """None when someone changed the row since `generation` was read."""
    return _one(
        conn,
        "claim_relaunch",
        run_id=run_id,
        host=host,
        generation=generation,
        stable_s=STABLE_S,
    )


def supervised_on_host(conn: db.Conn, host: str) -> list[Supervision]:
    rows = db.fetch_all(conn, queries("supervisors")["supervised_on_host"], {"host": host})
    return [_from_row(row) for row in rows]
