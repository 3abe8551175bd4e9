"""Small helpers shared by the integration tests of the chains."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from striatum.corpus import bundle
from striatum.corpus.redact import Redactor
from striatum.model import chain
from striatum.store import chains, corpus
from striatum.store import connection as db


def register_repo(conn: db.Conn, repo_id: str = "r1") -> str:
    """A repository row in the columns every schema since 0001 has (the upgrade tests register
    one before later migrations add columns that today's queries name)."""
    db.in_transaction(
        conn,
        lambda c: c.execute(
            "INSERT INTO striatumd.repositories (repo_id, path, name) VALUES (%s, %s, %s)",
            (repo_id, f"/srv/{repo_id}", repo_id),
        ),
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


# Appends exactly as Striatum did before migration 0006 (records v1: the body inside the
# hashed bytes, no host), to build the chains an upgraded database holds.
_V1_EVENT = """
WITH head AS (
    SELECT seq + 1 AS seq, row_hash AS previous_hash,
           to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
    FROM striatumd.chain_heads WHERE chain = %(chain)s FOR UPDATE
), sealed AS (
    SELECT head.*, striatumd.fill_record(%(template)s, head.seq, head.at, head.previous_hash)
               AS canonical
    FROM head
), inserted AS (
    INSERT INTO striatumd.events
        (repo_id, seq, type, run_id, job_id, actor, payload, at, previous_hash, row_hash,
         canonical)
    SELECT %(repo_id)s, seq, %(type)s, %(run_id)s, %(job_id)s, %(actor)s, %(payload)s,
           at::timestamptz, previous_hash, encode(sha256(canonical), 'hex'), canonical
    FROM sealed RETURNING seq, row_hash
)
UPDATE striatumd.chain_heads h SET seq = i.seq, row_hash = i.row_hash
FROM inserted i WHERE h.chain = %(chain)s
"""
_V1_AUDIT = """
WITH head AS (
    SELECT seq + 1 AS seq, row_hash AS previous_hash,
           to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
    FROM striatumd.chain_heads WHERE chain = 'audit' FOR UPDATE
), sealed AS (
    SELECT head.*, striatumd.fill_record(%(template)s, head.seq, head.at, head.previous_hash)
               AS canonical
    FROM head
), inserted AS (
    INSERT INTO striatumd.audit_log
        (seq, at, request_id, method, actor, role, ok, error_code, params,
         previous_hash, row_hash, canonical)
    SELECT seq, at::timestamptz, %(request_id)s, %(method)s, %(actor)s, %(role)s, %(ok)s,
           %(error_code)s, %(params)s, previous_hash, encode(sha256(canonical), 'hex'), canonical
    FROM sealed RETURNING seq, row_hash
)
UPDATE striatumd.chain_heads h SET seq = i.seq, row_hash = i.row_hash
FROM inserted i WHERE h.chain = 'audit'
"""
_NEW_HEAD = "INSERT INTO striatumd.chain_heads (chain, seq, row_hash) VALUES (%(chain)s, 0, "
_NEW_HEAD += "repeat('0', 64)) ON CONFLICT (chain) DO NOTHING"


def append_v1_event(conn: db.Conn, repo_id: str, payload: dict[str, Any], run_id: str) -> None:
    record = {
        "repo_id": repo_id,
        "type": "job.succeeded",
        "run_id": run_id,
        "job_id": "job-1",
        "actor": "operator:test",
        "payload": payload,
    }
    name = chains.event_chain(repo_id)
    arguments = {**record, "payload": Jsonb(payload), "chain": name}

    def write(c: db.Conn) -> None:
        db.execute(c, _NEW_HEAD, {"chain": name})
        db.execute(c, _V1_EVENT, {**arguments, "template": chain.template(record)})

    db.in_transaction(conn, write)


def append_v1_audit(conn: db.Conn, n: int) -> None:
    record = {
        "request_id": f"old-{n}",
        "method": "status",
        "actor": "operator",
        "role": "operator",
        "ok": True,
        "error_code": None,
        "params": {"n": n},
    }

    def write(c: db.Conn) -> None:
        db.execute(c, _NEW_HEAD, {"chain": "audit"})
        arguments = {**record, "params": Jsonb(record["params"])}
        db.execute(c, _V1_AUDIT, {**arguments, "template": chain.template(record)})

    db.in_transaction(conn, write)


def write_bundle(
    conn: db.Conn, repo_id: str, out: Path, *, run_id: str | None = None
) -> dict[str, int]:
    """What `corpus export` writes, minus the tables other than events (left empty)."""
    in_scope = None if run_id is None else {run_id}
    rows = corpus.chain_rows(conn, repo_id=repo_id, run_ids=None if run_id is None else [run_id])
    redactor = Redactor.build(home=None, user=None, extra=[r"secret-\w+"])
    data: dict[str, list[Any]] = {name: [] for name in bundle.TABLES}
    data["events"] = bundle.event_lines(rows, in_scope, redactor)
    head = {
        "repo_id": repo_id,
        "first_seq": rows[0].seq,
        "first_previous_hash": rows[0].previous_hash,
        "last_seq": rows[-1].seq,
        "head_hash": rows[-1].row_hash,
    }
    scope = {"kind": "run", "run_id": run_id} if run_id else {"kind": "repo", "repo_id": repo_id}
    files = bundle.assemble(data, scope=scope, chain=head, redactions=redactor.counts)
    out.mkdir()
    for name, body in files.items():
        (out / name).write_bytes(body)
    return dict(redactor.counts)


def bundle_lines(folder: Path) -> list[dict[str, object]]:
    text = (folder / "events.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def reseal_bundle(folder: Path, lines: list[dict[str, object]]) -> None:
    """Write events.jsonl and re-seal the manifest and SHA256SUMS around it, as an attacker."""
    (folder / "events.jsonl").write_bytes(bundle.jsonl(lines))
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["bundle_hash"]
    names = sorted(manifest["files"])
    manifest["files"] = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}
    manifest["bundle_hash"] = hashlib.sha256(bundle.manifest_text(manifest).encode()).hexdigest()
    (folder / "manifest.json").write_text(bundle.manifest_text(manifest) + "\n")
    sums = {
        n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in [*names, "manifest.json"]
    }
    (folder / "SHA256SUMS").write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))
