-- name: ensure_head
-- Create a chain's head row at seq 0 if it does not exist yet.
INSERT INTO striatumd.chain_heads (chain, seq, row_hash)
VALUES (%(chain)s, 0, repeat('0', 64))
ON CONFLICT (chain) DO NOTHING;

-- name: lock_head
-- Lock a chain's head (the first statement of an append) and read the database clock.
SELECT seq, row_hash,
       to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
FROM striatumd.chain_heads
WHERE chain = %(chain)s
FOR UPDATE;

-- name: advance_head
-- Move a chain's head to the row just appended.
UPDATE striatumd.chain_heads
SET seq = %(seq)s, row_hash = %(row_hash)s, updated_at = clock_timestamp()
WHERE chain = %(chain)s;

-- name: read_head
-- A chain's head, without locking.
SELECT seq, row_hash FROM striatumd.chain_heads WHERE chain = %(chain)s;

-- name: list_event_chains
-- Every repository that has an event chain head.
SELECT chain FROM striatumd.chain_heads WHERE chain LIKE 'repo:%%' ORDER BY chain;

-- name: insert_event
-- Append one sealed event.
INSERT INTO striatumd.events
    (repo_id, seq, type, run_id, job_id, actor, payload, at, previous_hash, row_hash, canonical)
VALUES
    (%(repo_id)s, %(seq)s, %(type)s, %(run_id)s, %(job_id)s, %(actor)s, %(payload)s,
     %(at)s, %(previous_hash)s, %(row_hash)s, %(canonical)s);

-- name: insert_audit
-- Append one sealed audit row.
INSERT INTO striatumd.audit_log
    (seq, at, request_id, method, actor, role, ok, error_code, params,
     previous_hash, row_hash, canonical)
VALUES
    (%(seq)s, %(at)s, %(request_id)s, %(method)s, %(actor)s, %(role)s, %(ok)s,
     %(error_code)s, %(params)s, %(previous_hash)s, %(row_hash)s, %(canonical)s);

-- name: scan_events
-- One repository's events in chain order, for verification.
SELECT seq, previous_hash, row_hash, canonical, repo_id, type, run_id, job_id, actor, payload,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
FROM striatumd.events
WHERE repo_id = %(repo_id)s
ORDER BY seq;

-- name: scan_audit
-- The audit log in chain order, for verification.
SELECT seq, previous_hash, row_hash, canonical, request_id, method, actor, role, ok,
       error_code, params,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
FROM striatumd.audit_log
ORDER BY seq;

-- name: event_hash_at
-- The stored row_hash of one event, for comparing with an outside anchor.
SELECT row_hash FROM striatumd.events WHERE repo_id = %(repo_id)s AND seq = %(seq)s;

-- name: audit_hash_at
-- The stored row_hash of one audit row, for comparing with an outside anchor.
SELECT row_hash FROM striatumd.audit_log WHERE seq = %(seq)s;
