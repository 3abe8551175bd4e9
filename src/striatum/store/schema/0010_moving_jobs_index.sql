-- 0010: a supervisor reads what it claims and watches (its run's ready and leased jobs) once a
-- second, with `status --jobs moving`: at 5,000 jobs, reading them all each time made the
-- per-job cost grow with the run. This partial index answers from the few rows that move.

CREATE INDEX jobs_moving_in_run_idx ON striatumd.jobs (run_id, position)
    WHERE state IN ('ready', 'leased');
