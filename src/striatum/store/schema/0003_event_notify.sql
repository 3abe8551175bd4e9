-- 0003: live views. Every event row NOTIFYs channel `striatum_events` from the transaction
-- that inserts it, so listeners hear of it exactly when it commits (and never if it rolls
-- back). The payload is small and names no secret: the chain, the run and the seq.

CREATE FUNCTION striatumd.notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('striatum_events', json_build_object(
        'chain', 'repo:' || NEW.repo_id, 'run_id', NEW.run_id, 'seq', NEW.seq)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON striatumd.events
    FOR EACH ROW EXECUTE FUNCTION striatumd.notify_event();
