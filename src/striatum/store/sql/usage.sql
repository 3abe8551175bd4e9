-- name: insert_usage
-- One usage report of an attempt, beside the `attempt.usage` event that records it, added to
-- its run's spend; the run's budget and spend after it.
WITH report AS (
INSERT INTO striatumd.attempt_usage
    (run_id, job_id, attempt, event_seq, input_tokens, cached_tokens, output_tokens, cost_usd,
     cost_source, model, reported_by)
VALUES (%(run_id)s, %(job_id)s, %(attempt)s, %(event_seq)s, %(input_tokens)s,
        %(cached_tokens)s, %(output_tokens)s, %(cost_usd)s, %(cost_source)s, %(model)s,
        %(reported_by)s)
)
UPDATE striatumd.runs
SET spent_usd = spent_usd + coalesce(%(cost_usd)s, 0),
    spent_tokens = spent_tokens + coalesce(%(input_tokens)s, 0) + coalesce(%(cached_tokens)s, 0)
                   + coalesce(%(output_tokens)s, 0)
WHERE run_id = %(run_id)s
RETURNING budget_usd::float8 AS budget_usd, budget_tokens, spent_usd::float8 AS spent_usd,
          spent_tokens;

-- name: run_budget
-- A run's budget and what its attempts reported spending.
SELECT budget_usd::float8 AS budget_usd, budget_tokens, spent_usd::float8 AS spent_usd,
       spent_tokens
FROM striatumd.runs WHERE run_id = %(run_id)s;

-- name: set_budget
-- A run's new budget (NULL: no limit of that kind); its budget and spend.
UPDATE striatumd.runs SET budget_usd = %(usd)s, budget_tokens = %(tokens)s
WHERE run_id = %(run_id)s
RETURNING budget_usd::float8 AS budget_usd, budget_tokens, spent_usd::float8 AS spent_usd,
          spent_tokens;

-- name: run_usage
-- Every attempt of a run with the sums of its usage reports (NULL: nothing reported), the
-- provider that did it and its job's lane. A cost is `reported` only when every report
-- with a cost reported it; the model is the last report's that named one.
SELECT a.job_id, a.attempt, coalesce(a.provider, '') AS provider, j.lane,
       sum(u.input_tokens) AS input_tokens, sum(u.cached_tokens) AS cached_tokens,
       sum(u.output_tokens) AS output_tokens, sum(u.cost_usd)::float8 AS cost_usd,
       CASE WHEN count(u.cost_usd) = 0 THEN NULL
            WHEN bool_and(u.cost_source = 'reported') FILTER (WHERE u.cost_usd IS NOT NULL)
            THEN 'reported' ELSE 'estimated' END AS cost_source,
       (array_agg(u.model ORDER BY u.event_seq DESC) FILTER (WHERE u.model IS NOT NULL))[1]
           AS model
FROM striatumd.job_attempts a
JOIN striatumd.jobs j ON j.run_id = a.run_id AND j.job_id = a.job_id
LEFT JOIN striatumd.attempt_usage u
    ON u.run_id = a.run_id AND u.job_id = a.job_id AND u.attempt = a.attempt
WHERE a.run_id = %(run_id)s
GROUP BY a.job_id, a.attempt, a.provider, j.lane
ORDER BY a.job_id, a.attempt;
