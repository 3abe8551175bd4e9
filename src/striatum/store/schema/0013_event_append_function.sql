-- 0013: one server-side event append (docs/SPEC.md §4, appending), so that a statement that
-- changes a row can record its event in the same trip: lock the chain's head (made at seq 0
-- on the chain's first append), fill the record template's position, hash, insert the row,
-- advance the head. It runs with its caller's rights (the runtime role may insert events,
-- never change them).
CREATE FUNCTION striatumd.append_event(
    chain text, template bytea, repo_id text, type text, run_id text, job_id text,
    actor text, host text, payload jsonb,
    OUT seq bigint, OUT row_hash text, OUT at text
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    prior text;  -- the head's hash: the new row's previous_hash
    sealed bytea;  -- the filled record: the new row's canonical
BEGIN
    -- Every parameter is written as append_event.<name>: a bare name is a column's.
    SELECT h.seq + 1, h.row_hash INTO append_event.seq, prior
    FROM striatumd.chain_heads h WHERE h.chain = append_event.chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO striatumd.chain_heads (chain, seq, row_hash)
        VALUES (append_event.chain, 0, repeat('0', 64)) ON CONFLICT (chain) DO NOTHING;
        SELECT h.seq + 1, h.row_hash INTO append_event.seq, prior
        FROM striatumd.chain_heads h WHERE h.chain = append_event.chain FOR UPDATE;
    END IF;
    append_event.at := to_char(clock_timestamp() AT TIME ZONE 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    sealed := striatumd.fill_record(
        append_event.template, append_event.seq, append_event.at, prior);
    append_event.row_hash := encode(sha256(sealed), 'hex');
    INSERT INTO striatumd.events
        (repo_id, seq, type, run_id, job_id, actor, host, payload, at, previous_hash,
         row_hash, canonical)
    VALUES (append_event.repo_id, append_event.seq, append_event.type, append_event.run_id,
            append_event.job_id, append_event.actor, append_event.host, append_event.payload,
            append_event.at::timestamptz, prior, append_event.row_hash, sealed);
    UPDATE striatumd.chain_heads
    SET seq = append_event.seq, row_hash = append_event.row_hash, updated_at = clock_timestamp()
    WHERE chain = append_event.chain;
END
$$;

-- A notification names the chain and the run, not the row: PostgreSQL sends a transaction's
-- equal notifications once, so a transition that appends several events to a run wakes the
-- daemons' listeners once (they read the events themselves, after their cursor).
CREATE OR REPLACE FUNCTION striatumd.notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('striatum_events', json_build_object(
        'chain', 'repo:' || NEW.repo_id, 'run_id', NEW.run_id)::text);
    RETURN NULL;
END
$$;
