-- 0004: what a lane attempt produced and what the human said, for the prompts that follow.
-- The commit holding the attempt's changes (a review of it is shown that commit and its diff).
ALTER TABLE striatumd.job_attempts ADD COLUMN commit_sha text;
-- The human's words when resolving a blocker or deciding a checkpoint: the next attempt's
-- prompt carries them.
ALTER TABLE striatumd.blockers ADD COLUMN note text;
