-- name: job_attempts
-- Every attempt of one job, newest first.
SELECT run_id, job_id, attempt, state, reason, provider, model, provider_source, started_at,
       ended_at, revision_verdict_id, commit_sha,
       round(extract(epoch FROM coalesce(ended_at, clock_timestamp()) - started_at)::numeric, 1)
           AS duration_s
FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = %(job_id)s
ORDER BY attempt DESC;

-- name: some_job_times
-- As run_job_times, for some jobs of the run only.
SELECT job_id, min(started_at) AS started_at,
       CASE WHEN bool_or(ended_at IS NULL) THEN NULL ELSE max(ended_at) END AS ended_at
FROM striatumd.job_attempts
WHERE run_id = %(run_id)s AND job_id = ANY(%(job_ids)s)
GROUP BY job_id;

-- name: run_job_times
-- Per job of a run: when its first attempt started and its last one ended (NULL while one runs).
SELECT job_id, min(started_at) AS started_at,
       CASE WHEN bool_or(ended_at IS NULL) THEN NULL ELSE max(ended_at) END AS ended_at
FROM striatumd.job_attempts
WHERE run_id = %(run_id)s
GROUP BY job_id;
