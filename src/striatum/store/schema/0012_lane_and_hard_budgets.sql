-- 0012: budgets per lane, and hard budgets (docs/SPEC.md §9, budgets). A hard budget, once
-- reached, also stops the attempts already running (their jobs go back to ready, no attempt
-- counted); a soft one (the default) lets them finish.
ALTER TABLE striatumd.runs ADD COLUMN budget_hard boolean NOT NULL DEFAULT false;

-- A lane's budget within one run (from the workflow's lane, or `run budget --lane`), and what
-- the run's attempts on that lane reported so far: the usage report of a job on the lane
-- adds to it in the same statement that adds to the run's spend.
CREATE TABLE striatumd.lane_budgets (
    run_id        text NOT NULL REFERENCES striatumd.runs,
    lane          text NOT NULL,
    budget_usd    numeric(16, 6) CHECK (budget_usd > 0),
    budget_tokens bigint CHECK (budget_tokens > 0),
    hard          boolean NOT NULL DEFAULT false,
    spent_usd     numeric(16, 6) NOT NULL DEFAULT 0,
    spent_tokens  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, lane)
);

GRANT SELECT, INSERT, UPDATE ON striatumd.lane_budgets TO striatumd_runtime;
