-- name: scope_runs
-- The runs of an export: one run, or every run of a repository.
SELECT run_id, repo_id, snapshot_id, state, created_by, created_at, started_at, ended_at,
       ended_reason, workflow_path
FROM striatumd.runs
WHERE (%(run_id)s::text IS NOT NULL AND run_id = %(run_id)s)
   OR (%(run_id)s::text IS NULL AND repo_id = %(repo_id)s)
ORDER BY created_at, run_id;

-- name: scope_jobs
-- The jobs of the exported runs.
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       position FROM striatumd.jobs WHERE run_id = ANY(%(run_ids)s) ORDER BY run_id, position;

-- name: scope_attempts
-- The job attempts of the exported runs.
SELECT run_id, job_id, attempt, state, reason, started_at, ended_at, revision_verdict_id,
       provider, model, provider_source, commit_sha
FROM striatumd.job_attempts WHERE run_id = ANY(%(run_ids)s) ORDER BY run_id, job_id, attempt;

-- name: scope_leases
-- The leases of the exported runs.
SELECT lease_id, run_id, job_id, attempt, session_id, holder, lane, acquired_at,
       heartbeat_at, expires_at, ended_at, outcome
FROM striatumd.leases WHERE run_id = ANY(%(run_ids)s) ORDER BY acquired_at, lease_id;

-- name: scope_sessions
-- The sessions that held leases of the exported runs (not closed_at: a session outlives runs,
-- and an export of a finished run must not change when it closes).
SELECT session_id, repo_id, role, lane, provider, model, opened_at FROM striatumd.sessions
WHERE session_id IN (SELECT session_id FROM striatumd.leases WHERE run_id = ANY(%(run_ids)s))
ORDER BY opened_at, session_id;

-- name: scope_verdicts
-- The verdicts of the exported runs.
SELECT verdict_id, run_id, review_job_id, target_job_id, attempt, value,
       findings_artifact_id, actor, overrides, reason, reviewer_lane, reviewer_provider,
       reviewer_model, author_lane, author_provider, author_model, cross_provider, created_at
FROM striatumd.verdicts WHERE run_id = ANY(%(run_ids)s) ORDER BY created_at, verdict_id;

-- name: scope_blockers
-- The blockers of the exported runs.
SELECT blocker_id, run_id, job_id, kind, reason_kind, reason, state, opened_by, opened_at,
       resolution, resolved_by, resolved_at, outcome, note
FROM striatumd.blockers WHERE run_id = ANY(%(run_ids)s) ORDER BY opened_at, blocker_id;

-- name: scope_artifacts
-- The artifacts of the exported runs.
SELECT artifact_id, run_id, job_id, attempt, path, kind, sha256, size_bytes, published_by,
       created_at
FROM striatumd.artifacts WHERE run_id = ANY(%(run_ids)s) ORDER BY created_at, artifact_id;

-- name: scope_event_range
-- The first and last chain position holding an event of the exported runs.
SELECT min(seq) AS first_seq, max(seq) AS last_seq FROM striatumd.events
WHERE repo_id = %(repo_id)s AND (%(all)s OR run_id = ANY(%(run_ids)s));

-- name: chain_rows
-- A contiguous stretch of a repository's chain.
SELECT seq, run_id, previous_hash, row_hash, canonical, payload FROM striatumd.events
WHERE repo_id = %(repo_id)s AND seq BETWEEN %(first_seq)s AND %(last_seq)s ORDER BY seq;
