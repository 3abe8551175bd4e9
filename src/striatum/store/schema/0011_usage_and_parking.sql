-- 0011: what each attempt used (docs/SPEC.md §9, usage). One row per report (the supervisor's
-- reading of the agent's CLI output, or `report-usage`), append-only like the `attempt.usage`
-- event that records the same report in the chain (`event_seq`); status sums the rows per
-- job, lane and provider. A figure not reported is NULL, never 0.
CREATE TABLE striatumd.attempt_usage (
    run_id        text NOT NULL,
    job_id        text NOT NULL,
    attempt       integer NOT NULL,
    event_seq     bigint NOT NULL,
    input_tokens  bigint CHECK (input_tokens >= 0),
    cached_tokens bigint CHECK (cached_tokens >= 0),
    output_tokens bigint CHECK (output_tokens >= 0),
    cost_usd      numeric(16, 6) CHECK (cost_usd >= 0),
    cost_source   text CHECK (cost_source IN ('reported', 'estimated')),
    model         text,
    reported_by   text NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, job_id, attempt, event_seq),
    FOREIGN KEY (run_id, job_id, attempt) REFERENCES striatumd.job_attempts,
    CHECK ((cost_usd IS NULL) = (cost_source IS NULL))
);

CREATE TRIGGER attempt_usage_append_only BEFORE UPDATE OR DELETE ON striatumd.attempt_usage
    FOR EACH ROW EXECUTE FUNCTION striatumd.refuse_change();
CREATE TRIGGER attempt_usage_no_truncate BEFORE TRUNCATE ON striatumd.attempt_usage
    FOR EACH STATEMENT EXECUTE FUNCTION striatumd.refuse_change();

GRANT SELECT, INSERT ON striatumd.attempt_usage TO striatumd_runtime;

-- A job parked by a rate or usage limit (`park`) is ready again only from `ready_after`: claims
-- skip it until then. Every other move of the job clears it. The parked attempt ends as
-- `parked` (its lease's outcome too) and does not count against the job's max_attempts.
ALTER TABLE striatumd.jobs ADD COLUMN ready_after timestamptz;
ALTER TABLE striatumd.job_attempts DROP CONSTRAINT job_attempts_state_check;
ALTER TABLE striatumd.job_attempts ADD CONSTRAINT job_attempts_state_check CHECK (state IN
    ('running', 'succeeded', 'failed', 'cancelled', 'expired', 'parked'));
ALTER TABLE striatumd.leases DROP CONSTRAINT leases_outcome_check;
ALTER TABLE striatumd.leases ADD CONSTRAINT leases_outcome_check CHECK (outcome IN
    ('completed', 'failed', 'released', 'expired', 'cancelled', 'parked'));
