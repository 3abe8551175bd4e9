-- 0013: the server-side event append (docs/SPEC.md §4, appending), so that a statement that
-- changes rows records their events in the same trip. For each event in order: move its job
-- when asked (the caller checked the edge), lock the chain's head (made at seq 0 on the
-- chain's first append), fill the record template's position, hash, insert the row, advance
-- the head. It runs with its caller's rights (the runtime role may insert events, never
-- change them).
CREATE FUNCTION striatumd.append_events(
    chain text, repo_id text, run_id text, actor text, host text,
    templates bytea[], types text[], job_ids text[], payloads jsonb[],
    move_states text[], move_attempts integer[], move_ready_afters timestamptz[]
) RETURNS TABLE (seq bigint, row_hash text, at text) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    n integer;
    prior text;  -- the head's hash: the new row's previous_hash
    sealed bytea;  -- the filled record: the new row's canonical
BEGIN
    -- Every parameter and output is written as append_events.<name>: a bare name is a column.
    FOR n IN 1 .. coalesce(array_length(append_events.templates, 1), 0) LOOP
        -- A job's move (a claim numbers its new attempt; a success forgets the job's
        -- addressed verdicts and past failures; a park sets when the job may be claimed
        -- again, any other move clears it).
        IF append_events.move_states[n] IS NOT NULL THEN
            UPDATE striatumd.jobs
            SET state = append_events.move_states[n], updated_at = clock_timestamp(),
                attempt = coalesce(append_events.move_attempts[n], attempt),
                failed_attempts = CASE WHEN append_events.move_states[n] = 'succeeded' THEN 0
                                       ELSE failed_attempts END,
                revision_verdicts = CASE WHEN append_events.move_states[n] = 'succeeded'
                                         THEN '{}' ELSE revision_verdicts END,
                ready_after = append_events.move_ready_afters[n]
            WHERE run_id = append_events.run_id AND job_id = append_events.job_ids[n];
        END IF;
        SELECT h.seq + 1, h.row_hash INTO append_events.seq, prior
        FROM striatumd.chain_heads h WHERE h.chain = append_events.chain FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO striatumd.chain_heads (chain, seq, row_hash)
            VALUES (append_events.chain, 0, repeat('0', 64)) ON CONFLICT (chain) DO NOTHING;
            SELECT h.seq + 1, h.row_hash INTO append_events.seq, prior
            FROM striatumd.chain_heads h WHERE h.chain = append_events.chain FOR UPDATE;
        END IF;
        append_events.at := to_char(clock_timestamp() AT TIME ZONE 'UTC',
                                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
        sealed := striatumd.fill_record(
            append_events.templates[n], append_events.seq, append_events.at, prior);
        append_events.row_hash := encode(sha256(sealed), 'hex');
        INSERT INTO striatumd.events
            (repo_id, seq, type, run_id, job_id, actor, host, payload, at, previous_hash,
             row_hash, canonical)
        VALUES (append_events.repo_id, append_events.seq, append_events.types[n],
                append_events.run_id, append_events.job_ids[n], append_events.actor,
                append_events.host, append_events.payloads[n], append_events.at::timestamptz,
                prior, append_events.row_hash, sealed);
        UPDATE striatumd.chain_heads
        SET seq = append_events.seq, row_hash = append_events.row_hash,
            updated_at = clock_timestamp()
        WHERE chain = append_events.chain;
        RETURN NEXT;
    END LOOP;
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
