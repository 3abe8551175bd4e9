-- 0010: three reads that grew with the run (or with every run before it) at 5,000 jobs.
-- A supervisor reads what it claims and watches (its run's ready and leased jobs) once a
-- second, with `status --jobs moving`: this partial index answers from the few rows that move.
CREATE INDEX jobs_moving_in_run_idx ON striatumd.jobs (run_id, position)
    WHERE state IN ('ready', 'leased');
-- A claim reads the human's notes on resolved blockers of the job's run: by run, not by
-- scanning every blocker ever opened.
CREATE INDEX blockers_noted_idx ON striatumd.blockers (run_id)
    WHERE state = 'resolved' AND coalesce(note, '') <> '';
-- Ending a lease revokes its lane token by the lease's id: without an index that scanned every
-- token ever minted (one per lease), once per job.
CREATE INDEX tokens_live_lease_idx ON striatumd.tokens (lease_id)
    WHERE lease_id IS NOT NULL AND revoked_at IS NULL;
