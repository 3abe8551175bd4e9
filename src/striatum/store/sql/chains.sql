-- name: ensure_head
-- Create a chain's head row at seq 0 if it does not exist yet.
INSERT INTO striatumd.chain_heads (chain, seq, row_hash)
VALUES (%(chain)s, 0, repeat('0', 64))
ON CONFLICT (chain) DO NOTHING;

-- name: read_head
-- A chain's head, without locking.
SELECT seq, row_hash FROM striatumd.chain_heads WHERE chain = %(chain)s;

-- name: all_heads
-- Every chain's head, for the daemon's anchoring (a few rows: one per repository, plus audit).
SELECT chain, seq, row_hash FROM striatumd.chain_heads ORDER BY chain;

-- name: list_event_chains
-- Every repository with an event chain: by its head, or by its events (a lost head shows).
SELECT chain FROM striatumd.chain_heads WHERE chain LIKE 'repo:%%'
UNION
SELECT DISTINCT 'repo:' || repo_id FROM striatumd.events
ORDER BY chain;

-- name: append_events
-- Append events to one run's chain in order, each moving its job when asked (the caller
-- checked the edge): striatumd.append_events, one trip. `events_*` parameters
-- (store/chains.py, events_arguments).
SELECT seq, row_hash, at FROM striatumd.append_events(
    %(events_chain)s, %(events_repo_id)s, %(events_run_id)s, %(events_actor)s,
    %(events_host)s, %(events_templates)s, %(events_types)s, %(events_job_ids)s,
    %(events_payloads)s, %(events_move_states)s, %(events_move_attempts)s,
    %(events_move_ready_afters)s::timestamptz[]);

-- name: append_audit
-- The same single-trip append for the daemon-global audit chain.
WITH head AS (
    SELECT seq + 1 AS seq, row_hash AS previous_hash,
           to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
    FROM striatumd.chain_heads WHERE chain = 'audit' FOR UPDATE
), sealed AS (
    SELECT head.*,
           striatumd.fill_record(%(template)s, head.seq, head.at, head.previous_hash)
               AS canonical
    FROM head
), inserted AS (
    INSERT INTO striatumd.audit_log
        (seq, at, request_id, method, actor, role, ok, error_code, host, params,
         previous_hash, row_hash, canonical)
    SELECT seq, at::timestamptz, %(request_id)s, %(method)s, %(actor)s, %(role)s, %(ok)s,
           %(error_code)s, %(host)s, %(params)s, previous_hash, encode(sha256(canonical), 'hex'),
           canonical
    FROM sealed
    RETURNING seq, row_hash
), advanced AS (
    UPDATE striatumd.chain_heads h
    SET seq = i.seq, row_hash = i.row_hash, updated_at = clock_timestamp()
    FROM inserted i WHERE h.chain = 'audit'
)
SELECT i.seq, i.row_hash, s.at FROM inserted i JOIN sealed s USING (seq);

-- name: scan_events
-- A range of one repository's events with every column, for the deep check.
SELECT seq, previous_hash, row_hash, canonical, repo_id, type, run_id, job_id, actor, host,
       payload, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
FROM striatumd.events
WHERE repo_id = %(repo_id)s AND seq >= %(first_seq)s
  AND (%(last_seq)s::bigint IS NULL OR seq <= %(last_seq)s)
ORDER BY seq;

-- name: scan_audit
-- A range of the audit log with every column, for the deep check.
SELECT seq, previous_hash, row_hash, canonical, request_id, method, actor, role, ok,
       error_code, host, params,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
FROM striatumd.audit_log
WHERE seq >= %(first_seq)s AND (%(last_seq)s::bigint IS NULL OR seq <= %(last_seq)s)
ORDER BY seq;

-- name: event_hash_at
-- The stored row_hash of one event, for comparing with an outside anchor.
SELECT row_hash FROM striatumd.events WHERE repo_id = %(repo_id)s AND seq = %(seq)s;

-- name: audit_hash_at
-- The stored row_hash of one audit row, for comparing with an outside anchor.
SELECT row_hash FROM striatumd.audit_log WHERE seq = %(seq)s;

-- name: scan_event_links
-- A range of one repository's events: seq, stored digest, hashed bytes, payload (fast check).
SELECT seq, decode(row_hash, 'hex') AS digest, canonical, payload
FROM striatumd.events
WHERE repo_id = %(repo_id)s AND seq >= %(first_seq)s
  AND (%(last_seq)s::bigint IS NULL OR seq <= %(last_seq)s)
ORDER BY seq;

-- name: scan_audit_links
-- A range of the audit log: seq, stored digest, hashed bytes, params (the fast check).
SELECT seq, decode(row_hash, 'hex') AS digest, canonical, params
FROM striatumd.audit_log
WHERE seq >= %(first_seq)s AND (%(last_seq)s::bigint IS NULL OR seq <= %(last_seq)s)
ORDER BY seq;

-- name: scan_event_batches
-- A range of one repository's events for the fast check, `batch` seqs a row: each batch's first
-- (lo) and last (hi) seq, then its rows' seq, row_hash and hashed bytes as arrays in seq order,
-- and their payloads as one JSON array text (one string instead of one per row: the client
-- parses it in one call). One row per batch instead of one per event: most of a row-by-row
-- read is the client's work per row. No ORDER BY (sorting would hold every batch before
-- sending one): the series comes out in order, and the walk checks each batch's lo before
-- trusting it. The body is cast to jsonb so that each text is one whole JSON value whatever
-- the column holds: the array then holds exactly one value per row.
SELECT lo, LEAST(lo + %(batch)s - 1, top) AS hi, part.*
FROM (
    SELECT generate_series(%(first_seq)s::bigint, top, %(batch)s) AS lo, top
    FROM (
        SELECT LEAST(%(last_seq)s::bigint, max(seq)) AS top
        FROM striatumd.events WHERE repo_id = %(repo_id)s AND seq >= %(first_seq)s
    ) AS extent
) AS batch
CROSS JOIN LATERAL (
    SELECT array_agg(seq ORDER BY seq) AS seqs,
           array_agg(row_hash ORDER BY seq) AS row_hashes,
           array_agg(canonical ORDER BY seq) AS canonicals,
           '[' || string_agg(payload::jsonb::text, ',' ORDER BY seq) FILTER (WHERE %(bodies)s)
               || ']' AS bodies
    FROM striatumd.events
    WHERE repo_id = %(repo_id)s
      AND seq >= batch.lo AND seq <= LEAST(batch.lo + %(batch)s - 1, batch.top)
) AS part;

-- name: scan_audit_batches
-- The same batched read of a range of the audit log (params as the body), for the fast check.
SELECT lo, LEAST(lo + %(batch)s - 1, top) AS hi, part.*
FROM (
    SELECT generate_series(%(first_seq)s::bigint, top, %(batch)s) AS lo, top
    FROM (
        SELECT LEAST(%(last_seq)s::bigint, max(seq)) AS top
        FROM striatumd.audit_log WHERE seq >= %(first_seq)s
    ) AS extent
) AS batch
CROSS JOIN LATERAL (
    SELECT array_agg(seq ORDER BY seq) AS seqs,
           array_agg(row_hash ORDER BY seq) AS row_hashes,
           array_agg(canonical ORDER BY seq) AS canonicals,
           '[' || string_agg(params::jsonb::text, ',' ORDER BY seq) FILTER (WHERE %(bodies)s)
               || ']' AS bodies
    FROM striatumd.audit_log
    WHERE seq >= batch.lo AND seq <= LEAST(batch.lo + %(batch)s - 1, batch.top)
) AS part;

-- name: latest_audit
-- The latest audit rows, newest first.
SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
       request_id, method, actor, role, ok, error_code, params, row_hash
FROM striatumd.audit_log
ORDER BY seq DESC
LIMIT %(limit)s;

-- name: event_hashes_present
-- Which of these row_hash values one repository's chain holds, and at which seq.
SELECT seq, row_hash FROM striatumd.events
WHERE repo_id = %(repo_id)s AND row_hash = ANY(%(hashes)s);
