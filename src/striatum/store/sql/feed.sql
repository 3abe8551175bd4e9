-- name: events_after
-- A run's events after a seq of its repository chain, oldest first (live views catch up).
SELECT seq, type, run_id, job_id, actor, payload,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, row_hash
FROM striatumd.events
WHERE run_id = %(run_id)s AND seq > %(after_seq)s
ORDER BY seq
LIMIT %(limit)s;

-- name: last_seq_of_run
-- The seq of a run's newest event (0 when it has none).
SELECT coalesce(max(seq), 0) AS seq FROM striatumd.events WHERE run_id = %(run_id)s;

-- name: event_total
-- How many events every repository chain holds together (a cursor for "anything new?").
SELECT coalesce(sum(seq), 0) AS total FROM striatumd.chain_heads WHERE chain LIKE 'repo:%%';
