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

-- Budgets (docs/SPEC.md §9, budgets): a run's, from its workflow or `run prepare`, and what
-- its attempts reported so far (kept beside the budget so that the report that crosses it
-- pauses the run in the same statement's answer, without summing the run's reports).
ALTER TABLE striatumd.runs ADD COLUMN budget_usd numeric(16, 6) CHECK (budget_usd > 0);
ALTER TABLE striatumd.runs ADD COLUMN budget_tokens bigint CHECK (budget_tokens > 0);
ALTER TABLE striatumd.runs ADD COLUMN spent_usd numeric(16, 6) NOT NULL DEFAULT 0;
ALTER TABLE striatumd.runs ADD COLUMN spent_tokens bigint NOT NULL DEFAULT 0;
-- A run paused by its budget waits on a `budget` blocker that only the principal lifts.
ALTER TABLE striatumd.blockers DROP CONSTRAINT blockers_kind_check;
ALTER TABLE striatumd.blockers ADD CONSTRAINT blockers_kind_check CHECK (kind IN
    ('escalation', 'checkpoint', 'budget'));
