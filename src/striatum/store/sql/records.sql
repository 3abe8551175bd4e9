-- name: insert_artifact
-- Record a published artifact (append-only) and its `artifact.published` event
-- (striatumd.append_events, `events_*` parameters): one trip.
WITH artifact AS (
    INSERT INTO striatumd.artifacts
        (artifact_id, repo_id, run_id, job_id, attempt, path, kind, sha256, size_bytes,
         published_by, lease_id)
    VALUES (%(artifact_id)s, %(repo_id)s, %(run_id)s, %(job_id)s, %(attempt)s, %(path)s,
            %(kind)s, %(sha256)s, %(size_bytes)s, %(published_by)s, %(lease_id)s)
)
SELECT seq, row_hash, at FROM striatumd.append_events(
    %(events_chain)s, %(events_repo_id)s, %(events_run_id)s, %(events_actor)s,
    %(events_host)s, %(events_templates)s, %(events_types)s, %(events_job_ids)s,
    %(events_payloads)s, %(events_move_states)s, %(events_move_attempts)s,
    %(events_move_ready_afters)s::timestamptz[]);

-- name: attempt_artifacts
-- The artifacts one attempt published.
SELECT artifact_id, repo_id, run_id, job_id, attempt, path, kind, sha256, size_bytes,
       published_by, lease_id, created_at
FROM striatumd.artifacts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s
ORDER BY created_at;

-- name: list_artifacts
-- A run's artifacts, oldest first.
SELECT artifact_id, repo_id, run_id, job_id, attempt, path, kind, sha256, size_bytes,
       published_by, lease_id, created_at
FROM striatumd.artifacts WHERE run_id = %(run_id)s
ORDER BY created_at, artifact_id;

-- name: get_artifact
-- One artifact.
SELECT artifact_id, repo_id, run_id, job_id, attempt, path, kind, sha256, size_bytes,
       published_by, lease_id, created_at
FROM striatumd.artifacts WHERE artifact_id = %(artifact_id)s;

-- name: insert_verdict
-- Record a verdict (or an override of one).
INSERT INTO striatumd.verdicts
    (verdict_id, run_id, review_job_id, target_job_id, attempt, value, findings_artifact_id,
     actor, overrides, reason, reviewer, reviewer_lane, reviewer_provider, reviewer_model,
     author_lane, author_provider, author_model, cross_provider, applied)
VALUES (%(verdict_id)s, %(run_id)s, %(review_job_id)s, %(target_job_id)s, %(attempt)s,
        %(value)s, %(findings_artifact_id)s, %(actor)s, %(overrides)s, %(reason)s,
        %(reviewer)s, %(reviewer_lane)s, %(reviewer_provider)s, %(reviewer_model)s,
        %(author_lane)s, %(author_provider)s, %(author_model)s, %(cross_provider)s,
        %(applied)s);

-- name: pending_verdict
-- The latest unapplied verdict on one attempt of a review job.
SELECT verdict_id, run_id, review_job_id, target_job_id, attempt, value, findings_artifact_id,
       actor, overrides, reason, created_at, reviewer, reviewer_lane, reviewer_provider,
       reviewer_model, author_lane, author_provider, author_model, cross_provider, applied
FROM striatumd.verdicts
WHERE run_id = %(run_id)s AND review_job_id = %(job_id)s AND attempt = %(attempt)s
  AND NOT applied
ORDER BY created_at DESC LIMIT 1;

-- name: mark_verdict_applied
-- A verdict has taken effect.
UPDATE striatumd.verdicts SET applied = true WHERE verdict_id = %(verdict_id)s;

-- name: get_verdict
-- One verdict.
SELECT verdict_id, run_id, review_job_id, target_job_id, attempt, value, findings_artifact_id,
       actor, overrides, reason, created_at, reviewer, reviewer_lane, reviewer_provider,
       reviewer_model, author_lane, author_provider, author_model, cross_provider, applied
FROM striatumd.verdicts WHERE verdict_id = %(verdict_id)s;

-- name: list_verdicts
-- A run's verdicts, oldest first.
SELECT verdict_id, run_id, review_job_id, target_job_id, attempt, value, findings_artifact_id,
       actor, overrides, reason, created_at, reviewer, reviewer_lane, reviewer_provider,
       reviewer_model, author_lane, author_provider, author_model, cross_provider, applied
FROM striatumd.verdicts WHERE run_id = %(run_id)s ORDER BY created_at;

-- name: insert_blocker
-- Open a blocker: something waits for the human.
INSERT INTO striatumd.blockers (blocker_id, run_id, job_id, kind, reason, opened_by, reason_kind)
VALUES (%(blocker_id)s, %(run_id)s, %(job_id)s, %(kind)s, %(reason)s, %(opened_by)s,
        %(reason_kind)s);

-- name: lock_blocker
-- One blocker, locked.
SELECT b.blocker_id, b.run_id, b.job_id, b.kind, b.reason, b.state, b.opened_by, b.opened_at,
       b.resolution, b.resolved_by, b.resolved_at, b.reason_kind, b.outcome, b.note
FROM striatumd.blockers b
WHERE b.blocker_id = %(blocker_id)s FOR UPDATE;

-- name: resolve_blocker
-- Close a blocker with the human's outcome.
UPDATE striatumd.blockers
SET state = 'resolved', resolution = %(resolution)s, resolved_by = %(resolved_by)s,
    resolved_at = clock_timestamp(), outcome = %(outcome)s, note = %(note)s
WHERE blocker_id = %(blocker_id)s;

-- name: open_blockers
-- Open blockers, of one run or all, oldest first.
SELECT b.blocker_id, b.run_id, b.job_id, b.kind, b.reason, b.state, b.opened_by, b.opened_at,
       b.resolution, b.resolved_by, b.resolved_at, b.reason_kind, b.outcome, b.note
FROM striatumd.blockers b
WHERE b.state = 'open' AND (%(run_id)s::text IS NULL OR b.run_id = %(run_id)s)
ORDER BY b.opened_at;

-- name: list_blockers
-- Blockers, newest first.
SELECT b.blocker_id, b.run_id, b.job_id, b.kind, b.reason, b.state, b.opened_by, b.opened_at,
       b.resolution, b.resolved_by, b.resolved_at, b.reason_kind, b.outcome, b.note
FROM striatumd.blockers b
WHERE (%(run_id)s::text IS NULL OR b.run_id = %(run_id)s)
  AND (%(all)s OR b.state = 'open')
ORDER BY b.opened_at DESC;

-- name: latest_verdict
-- The newest verdict on a review job, over all its attempts.
SELECT verdict_id, value FROM striatumd.verdicts
WHERE run_id = %(run_id)s AND review_job_id = %(job_id)s
ORDER BY created_at DESC LIMIT 1;

-- name: get_blocker
-- One blocker, without locking (for reading).
SELECT b.blocker_id, b.run_id, b.job_id, b.kind, b.reason, b.state, b.opened_by, b.opened_at,
       b.resolution, b.resolved_by, b.resolved_at, b.reason_kind, b.outcome, b.note
FROM striatumd.blockers b
WHERE b.blocker_id = %(blocker_id)s;

-- name: human_notes
-- What the human said resolving blockers of these jobs, oldest first.
SELECT b.blocker_id, b.run_id, b.job_id, b.kind, b.reason, b.state, b.opened_by, b.opened_at,
       b.resolution, b.resolved_by, b.resolved_at, b.reason_kind, b.outcome, b.note
FROM striatumd.blockers b
WHERE b.run_id = %(run_id)s AND b.job_id = ANY(%(job_ids)s) AND b.state = 'resolved'
  AND coalesce(b.note, '') <> ''
ORDER BY b.resolved_at;
