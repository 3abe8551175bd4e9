-- name: insert_session
-- Open a session for a caller on a lane.
INSERT INTO striatumd.sessions (session_id, repo_id, role, lane, token_id, provider, model)
VALUES (%(session_id)s, %(repo_id)s, %(role)s, %(lane)s, %(token_id)s, %(provider)s,
        %(model)s)
RETURNING session_id, repo_id, role, lane, token_id, provider, model, opened_at, closed_at;

-- name: get_session
-- One session.
SELECT session_id, repo_id, role, lane, token_id, provider, model, opened_at, closed_at
FROM striatumd.sessions WHERE session_id = %(session_id)s;

-- name: close_session
-- Close a session.
UPDATE striatumd.sessions SET closed_at = clock_timestamp()
WHERE session_id = %(session_id)s AND closed_at IS NULL
RETURNING session_id;

-- name: list_sessions
-- Sessions, open ones first.
SELECT session_id, repo_id, role, lane, token_id, provider, model, opened_at, closed_at
FROM striatumd.sessions
ORDER BY closed_at IS NOT NULL, opened_at DESC
LIMIT %(limit)s;

-- name: claim_next
-- The next ready job of a running run (one lane or any), locked; others skip it.
SELECT j.run_id, j.job_id, j.kind, j.lane, j.state, j.attempt, j.max_attempts, j.revisions,
       j.depends_on, j.revision_verdicts, j.failed_attempts
FROM striatumd.jobs j
JOIN striatumd.runs r ON r.run_id = j.run_id
WHERE j.state = 'ready' AND r.state = 'running' AND j.kind <> 'checkpoint'
  AND (j.ready_after IS NULL OR j.ready_after <= clock_timestamp())  -- not parked
  AND (%(lane)s::text IS NULL OR j.lane = %(lane)s)
  AND (%(run_id)s::text IS NULL OR j.run_id = %(run_id)s)
  AND (%(job_id)s::text IS NULL OR j.job_id = %(job_id)s)
  AND NOT (j.run_id || '/' || j.job_id) = ANY(%(skip)s::text[])
ORDER BY r.created_at, j.position
LIMIT 1
FOR UPDATE OF j SKIP LOCKED;

-- name: claim_in_run
-- The next ready job of one running run (one lane or any), locked; others skip it. Its own
-- query, so that it walks the run's ready jobs in order (0008's index), never sorts them all.
SELECT j.run_id, j.job_id, j.kind, j.lane, j.state, j.attempt, j.max_attempts, j.revisions,
       j.depends_on, j.revision_verdicts, j.failed_attempts
FROM striatumd.jobs j
WHERE j.run_id = %(run_id)s AND j.state = 'ready' AND j.kind <> 'checkpoint'
  AND (j.ready_after IS NULL OR j.ready_after <= clock_timestamp())  -- not parked
  AND (%(lane)s::text IS NULL OR j.lane = %(lane)s)
  AND NOT j.job_id = ANY(%(skip)s::text[])
  AND EXISTS (SELECT 1 FROM striatumd.runs r WHERE r.run_id = j.run_id AND r.state = 'running')
ORDER BY j.position
LIMIT 1
FOR UPDATE OF j SKIP LOCKED;

-- name: claim_job
-- One named job of a running run if it is ready, locked; none if another claim holds it.
SELECT j.run_id, j.job_id, j.kind, j.lane, j.state, j.attempt, j.max_attempts, j.revisions,
       j.depends_on, j.revision_verdicts, j.failed_attempts
FROM striatumd.jobs j
WHERE j.run_id = %(run_id)s AND j.job_id = %(job_id)s
  AND j.state = 'ready' AND j.kind <> 'checkpoint'
  AND (j.ready_after IS NULL OR j.ready_after <= clock_timestamp())  -- not parked
  AND (%(lane)s::text IS NULL OR j.lane = %(lane)s)
  AND NOT j.job_id = ANY(%(skip)s::text[])
  AND EXISTS (SELECT 1 FROM striatumd.runs r WHERE r.run_id = j.run_id AND r.state = 'running')
FOR UPDATE OF j SKIP LOCKED;

-- name: set_attempt_worker
-- A transferred lease: the attempt is finished by the new holder's provider.
UPDATE striatumd.job_attempts
SET provider = %(provider)s, model = %(model)s, provider_source = %(provider_source)s
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s;

-- name: attempt_worker
-- The provider recorded for one attempt (null columns: an attempt from before 0005).
SELECT provider, model, provider_source FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s;

-- name: last_succeeded_worker
-- The provider recorded for a job's latest succeeded attempt.
SELECT attempt, provider, model, provider_source FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND state = 'succeeded'
ORDER BY attempt DESC LIMIT 1;

-- name: end_lease_and_attempt
-- End a lease with its outcome (its lane token dies with it), close its attempt with the
-- attempt's outcome and the commit it made, and record `lease.ended` (and, when asked, the
-- job's move with its event): one trip, three rows of three tables and the events
-- (striatumd.append_events, `events_*` parameters).
WITH ended AS (
    UPDATE striatumd.leases SET ended_at = clock_timestamp(), outcome = %(outcome)s
    WHERE lease_id = %(lease_id)s AND ended_at IS NULL
), revoked AS (
    UPDATE striatumd.tokens SET revoked_at = clock_timestamp()
    WHERE lease_id = %(lease_id)s AND revoked_at IS NULL
), closed AS (
    UPDATE striatumd.job_attempts
    SET state = %(state)s, reason = %(reason)s, ended_at = clock_timestamp(),
        commit_sha = coalesce(%(commit_sha)s, commit_sha)
    WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s
      AND ended_at IS NULL
)
SELECT seq, row_hash, at FROM striatumd.append_events(
    %(events_chain)s, %(events_repo_id)s, %(events_run_id)s, %(events_actor)s,
    %(events_host)s, %(events_templates)s, %(events_types)s, %(events_job_ids)s,
    %(events_payloads)s, %(events_move_states)s, %(events_move_attempts)s,
    %(events_move_ready_afters)s::timestamptz[]);

-- name: last_revision_verdict
-- The verdict that asked for this attempt, if it is a revision.
SELECT revision_verdict_id FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s;

-- name: insert_attempt_and_lease
-- A job's new attempt (with the provider that does it), leased to a session with its lane
-- token (its secret only as a SHA-256), the job moved to `leased` with that attempt's number
-- and `job.leased` recorded (striatumd.append_events, `events_*` parameters), with what the
-- job's parents' current attempts published (`inputs`, oldest first): one trip. The lease
-- and the token each name the other; every foreign key is checked when the statement ends.
-- Each parent's artifacts are looked up by their whole key whatever the plan: OFFSET 0 keeps
-- the lookup from being flattened into a join (a plan made on a near-empty table would then
-- scan the run's artifacts).
WITH attempt AS (
    INSERT INTO striatumd.job_attempts
        (run_id, job_id, attempt, revision_verdict_id, provider, model, provider_source)
    VALUES (%(run_id)s, %(job_id)s, %(attempt)s, %(revision_verdict_id)s, %(provider)s,
            %(model)s, %(provider_source)s)
    ON CONFLICT (run_id, job_id, attempt) DO NOTHING
), token AS (
    INSERT INTO striatumd.tokens (token_id, role, label, secret_sha256, expires_at, lease_id)
    VALUES (%(token_id)s, 'lane', %(token_label)s, %(secret_sha256)s, NULL, %(lease_id)s)
), lease AS (
    INSERT INTO striatumd.leases
        (lease_id, run_id, job_id, attempt, session_id, holder, lane, host, expires_at,
         token_id)
    VALUES (%(lease_id)s, %(run_id)s, %(job_id)s, %(attempt)s, %(session_id)s, %(holder)s,
            %(lane)s, %(host)s, clock_timestamp() + make_interval(secs => %(ttl_s)s),
            %(token_id)s)
    RETURNING lease_id, run_id, job_id, attempt, session_id, holder, lane, host, acquired_at,
              heartbeat_at, expires_at, ended_at, outcome, token_id,
              expires_at <= clock_timestamp() AS expired,
              round(extract(epoch FROM clock_timestamp() - heartbeat_at)::numeric, 1)
                  AS heartbeat_age_s
)
SELECT lease.*, event.seq AS event_seq, event.row_hash AS event_row_hash, event.at AS event_at,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'artifact_id', a.artifact_id, 'job_id', a.job_id, 'attempt', a.attempt,
                   'path', a.path, 'sha256', a.sha256) ORDER BY a.created_at), '[]')
        FROM striatumd.jobs p
        CROSS JOIN LATERAL (
            SELECT * FROM striatumd.artifacts x
            WHERE x.run_id = p.run_id AND x.job_id = p.job_id AND x.attempt = p.attempt
            OFFSET 0
        ) a
        WHERE p.run_id = %(run_id)s AND p.job_id = ANY(%(input_jobs)s)) AS inputs
FROM lease, striatumd.append_events(
    %(events_chain)s, %(events_repo_id)s, %(events_run_id)s, %(events_actor)s,
    %(events_host)s, %(events_templates)s, %(events_types)s, %(events_job_ids)s,
    %(events_payloads)s, %(events_move_states)s, %(events_move_attempts)s,
    %(events_move_ready_afters)s::timestamptz[]) AS event;

-- name: set_lease_token
-- Bind the lane token minted for a lease.
UPDATE striatumd.leases SET token_id = %(token_id)s WHERE lease_id = %(lease_id)s;

-- name: lock_held
-- A lease's run, locked, then the lease, locked, with its job and its session: one trip for a
-- work verb on a lease (`leases.held`). The locks keep the usual order: the lease is locked
-- only once its run is (its step waits on the run's through the scalar subquery), and each
-- row is found by its key whatever the plan (a join from the run would walk all its jobs).
-- The locked run and lease read as they stand after any wait; the job and session read as at
-- the statement's start. For the job that is enough: a leased job moves only with its lease
-- (the move ends it), so a job that moved while this waited shows as an ended lease. A lease
-- transferred meanwhile to a session opened meanwhile shows no session: such a verb cannot
-- claim next (`--then-claim` says it needs a session), which the caller may retry.
-- The run's columns carry a `run__` prefix (the lease has some of the same names).
WITH run AS MATERIALIZED (
    SELECT r.run_id, r.repo_id, r.state, r.created_by, r.created_at, r.started_at,
           r.ended_at, r.ended_reason, r.workflow_path, r.snapshot_id, s.sha256,
           coalesce(c.path, p.path) AS repo_path, c.path IS NOT NULL AS repo_here,
           p.notify_command,
           EXISTS (
               SELECT 1 FROM striatumd.blockers b
               WHERE b.run_id = r.run_id AND b.state = 'resolved'
                 AND coalesce(b.note, '') <> ''
           ) AS has_notes
    FROM striatumd.runs r
    JOIN striatumd.workflow_snapshots s ON s.snapshot_id = r.snapshot_id
    JOIN striatumd.repositories p ON p.repo_id = r.repo_id
    LEFT JOIN striatumd.checkouts c ON c.repo_id = r.repo_id AND c.host = %(host)s
    WHERE r.run_id = (SELECT l.run_id FROM striatumd.leases l WHERE l.lease_id = %(lease_id)s)
    FOR UPDATE OF r
), lease AS MATERIALIZED (
    SELECT l.* FROM striatumd.leases l
    WHERE l.lease_id = %(lease_id)s AND l.run_id = (SELECT run.run_id FROM run)
    FOR UPDATE
)
SELECT run.run_id AS run__run_id, run.repo_id AS run__repo_id, run.state AS run__state,
       run.created_by AS run__created_by, run.created_at AS run__created_at,
       run.started_at AS run__started_at, run.ended_at AS run__ended_at,
       run.ended_reason AS run__ended_reason, run.workflow_path AS run__workflow_path,
       run.snapshot_id AS run__snapshot_id, run.sha256 AS run__sha256,
       run.repo_path AS run__repo_path, run.repo_here AS run__repo_here,
       run.notify_command AS run__notify_command,
       run.has_notes AS run__has_notes,
       l.lease_id, l.run_id, l.job_id, l.attempt, l.session_id, l.holder, l.lane, l.host,
       l.acquired_at, l.heartbeat_at, l.expires_at, l.ended_at, l.outcome, l.token_id,
       l.expires_at <= clock_timestamp() AS expired,
       round(extract(epoch FROM clock_timestamp() - l.heartbeat_at)::numeric, 1)
           AS heartbeat_age_s,
       j.kind AS job_kind, j.lane AS job_lane, j.state AS job_state,
       j.attempt AS job_attempt, j.max_attempts AS job_max_attempts,
       j.revisions AS job_revisions, j.depends_on AS job_depends_on,
       j.revision_verdicts AS job_revision_verdicts,
       j.failed_attempts AS job_failed_attempts,
       s.session_id AS session_session_id, s.repo_id AS session_repo_id,
       s.role AS session_role, s.lane AS session_lane, s.token_id AS session_token_id,
       s.provider AS session_provider, s.model AS session_model,
       s.opened_at AS session_opened_at, s.closed_at AS session_closed_at
FROM run
CROSS JOIN lease l
JOIN striatumd.jobs j ON j.run_id = l.run_id AND j.job_id = l.job_id
LEFT JOIN striatumd.sessions s ON s.session_id = l.session_id;

-- name: heartbeat
-- Extend a live lease.
UPDATE striatumd.leases
SET heartbeat_at = clock_timestamp(),
    expires_at = clock_timestamp() + make_interval(secs => %(ttl_s)s)
WHERE lease_id = %(lease_id)s
RETURNING expires_at;

-- name: transfer_lease
-- Hand a live lease to another session (same attempt).
UPDATE striatumd.leases SET session_id = %(session_id)s, holder = %(holder)s,
    host = %(host)s, heartbeat_at = clock_timestamp(),
    expires_at = clock_timestamp() + make_interval(secs => %(ttl_s)s)
WHERE lease_id = %(lease_id)s
RETURNING expires_at;

-- name: live_leases_of_run
-- The live leases of a run, locked.
SELECT l.lease_id, l.run_id, l.job_id, l.attempt, l.session_id, l.holder, l.lane, l.host,
       l.acquired_at, l.heartbeat_at, l.expires_at, l.ended_at, l.outcome, l.token_id,
       l.expires_at <= clock_timestamp() AS expired,
       round(extract(epoch FROM clock_timestamp() - l.heartbeat_at)::numeric, 1)
           AS heartbeat_age_s
FROM striatumd.leases l
WHERE l.run_id = %(run_id)s AND l.ended_at IS NULL
FOR UPDATE;

-- name: run_live_leases
-- The live leases of a run, without locking: found through leases_one_live_per_job, so a read
-- costs the leases that live, never the run's whole history.
SELECT l.lease_id, l.run_id, l.job_id, l.attempt, l.session_id, l.holder, l.lane, l.host,
       l.acquired_at, l.heartbeat_at, l.expires_at, l.ended_at, l.outcome, l.token_id,
       l.expires_at <= clock_timestamp() AS expired,
       round(extract(epoch FROM clock_timestamp() - l.heartbeat_at)::numeric, 1)
           AS heartbeat_age_s
FROM striatumd.leases l
WHERE l.run_id = %(run_id)s AND l.ended_at IS NULL
ORDER BY l.acquired_at DESC;

-- name: expired_leases
-- Live leases past their expiry (the sweeper locks each run, then re-checks).
SELECT l.lease_id, l.run_id, l.job_id, l.attempt, l.session_id, l.holder, l.lane, l.host,
       l.acquired_at, l.heartbeat_at, l.expires_at, l.ended_at, l.outcome, l.token_id,
       l.expires_at <= clock_timestamp() AS expired,
       round(extract(epoch FROM clock_timestamp() - l.heartbeat_at)::numeric, 1)
           AS heartbeat_age_s
FROM striatumd.leases l
WHERE l.ended_at IS NULL AND l.expires_at <= clock_timestamp()
ORDER BY l.expires_at
LIMIT %(limit)s;

-- name: list_leases
-- A run's leases, newest first.
SELECT l.lease_id, l.run_id, l.job_id, l.attempt, l.session_id, l.holder, l.lane, l.host,
       l.acquired_at, l.heartbeat_at, l.expires_at, l.ended_at, l.outcome, l.token_id,
       l.expires_at <= clock_timestamp() AS expired,
       round(extract(epoch FROM clock_timestamp() - l.heartbeat_at)::numeric, 1)
           AS heartbeat_age_s
FROM striatumd.leases l
WHERE l.run_id = %(run_id)s
ORDER BY l.acquired_at DESC;

-- name: revoke_lease_tokens
-- A lease's lane token dies with the lease.
UPDATE striatumd.tokens SET revoked_at = clock_timestamp()
WHERE lease_id = %(lease_id)s AND revoked_at IS NULL;

-- name: record_reported_model
-- The model the attempt's CLI reported (before a review's verdict is recorded: it names it).
-- It replaces the lane's label (or the session's declared one) for a vendor CLI only: a
-- `command` provider's identity for co-blindness is its model label, which an agent must not
-- rename after the fact.
UPDATE striatumd.job_attempts
SET model = CASE WHEN provider IN ('claude_code', 'codex', 'gemini')
                 THEN coalesce(%(reported_model)s, model) ELSE model END
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND attempt = %(attempt)s;

-- name: run_commits
-- The commits of a run's attempts that succeeded with one (what landing must bring).
SELECT job_id, attempt, commit_sha FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND commit_sha IS NOT NULL AND state = 'succeeded'
ORDER BY job_id, attempt;

-- name: attempt_commits
-- The commits of a job's attempts that succeeded with one, oldest first.
SELECT attempt, commit_sha FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s AND commit_sha IS NOT NULL
ORDER BY attempt;
