-- name: insert_snapshot
-- Keep a workflow snapshot (idempotent on its SHA-256 within a repository).
INSERT INTO striatumd.workflow_snapshots (snapshot_id, repo_id, workflow_id, sha256, body)
VALUES (%(snapshot_id)s, %(repo_id)s, %(workflow_id)s, %(sha256)s, %(body)s)
ON CONFLICT (repo_id, sha256) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
RETURNING snapshot_id;

-- name: insert_run
-- Create a prepared run.
INSERT INTO striatumd.runs
    (run_id, repo_id, snapshot_id, created_by, workflow_path, budget_usd, budget_tokens,
     budget_hard)
VALUES (%(run_id)s, %(repo_id)s, %(snapshot_id)s, %(created_by)s, %(workflow_path)s,
        %(budget_usd)s, %(budget_tokens)s, %(budget_hard)s);

-- name: insert_job
-- Create one job of a run.
INSERT INTO striatumd.jobs (run_id, job_id, kind, lane, max_attempts, depends_on, position)
VALUES (%(run_id)s, %(job_id)s, %(kind)s, %(lane)s, %(max_attempts)s, %(depends_on)s,
        %(position)s);

-- name: lock_run
-- One run with its snapshot, locked: every transition of a run serializes on this row (runs
-- lock first, then jobs, then leases). `has_notes`: whether the human left a note resolving
-- any of its blockers (0010's index), so a claim reads the notes only when some are.
-- work.sql's lock_held reads the same columns. `repo_path`: the repository's checkout on
-- this host (`repo_here`), else where it was first adopted (shown, never touched).
SELECT r.run_id, r.repo_id, r.state, r.created_by, r.created_at, r.started_at, r.ended_at,
       r.ended_reason, r.workflow_path, r.snapshot_id, s.sha256,
       coalesce(c.path, p.path) AS repo_path, c.path IS NOT NULL AS repo_here,
       p.notify_command,
       EXISTS (
           SELECT 1 FROM striatumd.blockers b
           WHERE b.run_id = r.run_id AND b.state = 'resolved' AND coalesce(b.note, '') <> ''
       ) AS has_notes
FROM striatumd.runs r
JOIN striatumd.workflow_snapshots s ON s.snapshot_id = r.snapshot_id
JOIN striatumd.repositories p ON p.repo_id = r.repo_id
LEFT JOIN striatumd.checkouts c ON c.repo_id = r.repo_id AND c.host = %(host)s
WHERE r.run_id = %(run_id)s
FOR UPDATE OF r;

-- name: get_run
-- One run with its snapshot, without locking.
SELECT r.run_id, r.repo_id, r.state, r.created_by, r.created_at, r.started_at, r.ended_at,
       r.ended_reason, r.workflow_path, r.snapshot_id, s.sha256,
       coalesce(c.path, p.path) AS repo_path, c.path IS NOT NULL AS repo_here,
       p.notify_command
FROM striatumd.runs r
JOIN striatumd.workflow_snapshots s ON s.snapshot_id = r.snapshot_id
JOIN striatumd.repositories p ON p.repo_id = r.repo_id
LEFT JOIN striatumd.checkouts c ON c.repo_id = r.repo_id AND c.host = %(host)s
WHERE r.run_id = %(run_id)s;

-- name: snapshot_body
-- A workflow snapshot's document, read once per process (runs carry only its SHA-256).
SELECT body::text AS body_text FROM striatumd.workflow_snapshots
WHERE snapshot_id = %(snapshot_id)s;

-- name: set_run_state
-- Move a run to another state (the caller checked the edge).
UPDATE striatumd.runs
SET state = %(state)s, updated_at = clock_timestamp(),
    started_at = CASE WHEN %(state)s = 'running' THEN coalesce(started_at, clock_timestamp())
                      ELSE started_at END,
    ended_at = CASE WHEN %(state)s IN ('succeeded', 'failed', 'cancelled')
                    THEN clock_timestamp() ELSE ended_at END,
    ended_reason = coalesce(%(reason)s, ended_reason)
WHERE run_id = %(run_id)s;

-- name: list_runs
-- Runs, newest first, optionally of one repository or state.
SELECT r.run_id, r.repo_id, r.state, s.workflow_id, r.created_at, r.started_at, r.ended_at,
       r.ended_reason
FROM striatumd.runs r
JOIN striatumd.workflow_snapshots s ON s.snapshot_id = r.snapshot_id
WHERE (%(repo_id)s::text IS NULL OR r.repo_id = %(repo_id)s)
  AND (%(state)s::text IS NULL OR r.state = %(state)s)
ORDER BY r.created_at DESC, r.run_id
LIMIT %(limit)s;

-- name: list_jobs
-- A run's jobs in workflow order.
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       revision_verdicts, failed_attempts, updated_at
FROM striatumd.jobs WHERE run_id = %(run_id)s ORDER BY position;

-- name: list_moving_jobs
-- A run's ready and leased jobs in workflow order (0010's index: never the whole run).
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       revision_verdicts, failed_attempts, updated_at
FROM striatumd.jobs WHERE run_id = %(run_id)s AND state IN ('ready', 'leased')
ORDER BY position;

-- name: get_job
-- One job of a run.
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       revision_verdicts, failed_attempts, updated_at
FROM striatumd.jobs WHERE run_id = %(run_id)s AND job_id = %(job_id)s;

-- name: named_jobs
-- Some jobs of a run (a job's parents, say), in workflow order.
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       revision_verdicts, failed_attempts, updated_at
FROM striatumd.jobs WHERE run_id = %(run_id)s AND job_id = ANY(%(job_ids)s) ORDER BY position;

-- name: run_tally
-- Whether a run still has unfinished jobs, and which failed (the partial indexes of 0008).
SELECT EXISTS (
           SELECT 1 FROM striatumd.jobs
           WHERE run_id = %(run_id)s AND state NOT IN ('succeeded', 'failed', 'cancelled')
       ) AS unfinished,
       ARRAY(
           SELECT job_id FROM striatumd.jobs WHERE run_id = %(run_id)s AND state = 'failed'
       ) AS failed;

-- name: lock_jobs
-- A run's jobs in workflow order, locked for a transition.
SELECT run_id, job_id, kind, lane, state, attempt, max_attempts, revisions, depends_on,
       revision_verdicts, failed_attempts, updated_at
FROM striatumd.jobs WHERE run_id = %(run_id)s ORDER BY position FOR UPDATE;

-- name: add_revision
-- Count one more revision on a review's target.
UPDATE striatumd.jobs SET revisions = revisions + 1
WHERE run_id = %(run_id)s AND job_id = %(job_id)s;

-- name: run_events
-- The events of a run (and optionally one job), oldest first.
SELECT seq, type, run_id, job_id, actor, payload,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, row_hash
FROM striatumd.events
WHERE run_id = %(run_id)s AND (%(job_id)s::text IS NULL OR job_id = %(job_id)s)
ORDER BY seq
LIMIT %(limit)s;

-- name: events_mentioning
-- Events whose payload names an id (artifact, lease, verdict, blocker), oldest first.
SELECT seq, type, run_id, job_id, actor, payload,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, row_hash
FROM striatumd.events
WHERE payload @> jsonb_build_object(%(key)s::text, %(value)s::text)
ORDER BY repo_id, seq
LIMIT %(limit)s;

-- name: sequential_scans_on
-- For the rest of the transaction, or until sequential_scans_off: a statement that reads a
-- whole table (events_mentioning) plans a sequential scan.
SET LOCAL enable_seqscan = on;

-- name: sequential_scans_off
-- Back to the request connections' setting (store/pool.py).
SET LOCAL enable_seqscan = off;

-- name: add_revision_verdict
-- Remember a verdict the job's next attempt must address (several reviews may ask).
UPDATE striatumd.jobs
SET revision_verdicts = array_append(revision_verdicts, %(verdict_id)s::text)
WHERE run_id = %(run_id)s AND job_id = %(job_id)s;

-- name: clear_job_history
-- A job succeeded or was reset by a revision: forget addressed verdicts and past failures.
UPDATE striatumd.jobs SET failed_attempts = 0,
    revision_verdicts = CASE WHEN %(keep_verdicts)s THEN revision_verdicts ELSE '{}' END
WHERE run_id = %(run_id)s AND job_id = %(job_id)s;

-- name: count_failure
-- One more failed (or expired) attempt; returns the count since the last success.
UPDATE striatumd.jobs SET failed_attempts = failed_attempts + 1
WHERE run_id = %(run_id)s AND job_id = %(job_id)s
RETURNING failed_attempts;

-- name: revive_run
-- `run retry`: an ended run runs again; it has not ended any more (the events keep its end).
UPDATE striatumd.runs
SET state = 'running', updated_at = clock_timestamp(), ended_at = NULL, ended_reason = NULL
WHERE run_id = %(run_id)s;

-- name: revive_job
-- `run retry` resets a job: its failures no longer count, and a review whose revisions ran
-- out starts a fresh budget (the `run.retried` event records the count it had).
UPDATE striatumd.jobs
SET failed_attempts = 0,
    revisions = CASE WHEN %(fresh_budget)s THEN 0 ELSE revisions END
WHERE run_id = %(run_id)s AND job_id = %(job_id)s;

-- name: parked_jobs
-- A run's parked jobs (ready, but not to be claimed before `ready_after`), soonest first.
SELECT j.job_id, j.lane, j.ready_after
FROM striatumd.jobs j
WHERE j.run_id = %(run_id)s AND j.state = 'ready' AND j.ready_after > clock_timestamp()
ORDER BY j.ready_after, j.position;

-- name: parks_in_a_row
-- How many of the job's attempts ended parked since its last attempt that ended otherwise.
SELECT count(*) AS parks
FROM striatumd.job_attempts a
WHERE a.run_id = %(run_id)s AND a.job_id = %(job_id)s AND a.state = 'parked'
  AND a.attempt > coalesce((SELECT max(b.attempt) FROM striatumd.job_attempts b
                            WHERE b.run_id = a.run_id AND b.job_id = a.job_id
                              AND b.state NOT IN ('parked', 'running')), 0);
