-- 0008: a transition asks "does anything of this run remain to do, has anything failed?",
-- and a claim "which of this run's ready jobs comes first?", without reading the run's jobs:
-- at 5,000 jobs, scanning or sorting them on every transition made the per-job cost grow
-- with the run. These partial indexes answer from the few rows that qualify.

CREATE INDEX jobs_unfinished_idx ON striatumd.jobs (run_id)
    WHERE state NOT IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX jobs_failed_idx ON striatumd.jobs (run_id) WHERE state = 'failed';
CREATE INDEX jobs_ready_in_run_idx ON striatumd.jobs (run_id, position) WHERE state = 'ready';
