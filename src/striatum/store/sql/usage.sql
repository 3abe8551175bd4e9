-- name: insert_usage
-- One usage report of an attempt, beside the `attempt.usage` event that records it, added to
-- its run's spend and, where the job's lane has a budget in the run, to the lane's; the
-- budgets and spends after it (the run's first, lane NULL).
WITH report AS (
INSERT INTO striatumd.attempt_usage
    (run_id, job_id, attempt, event_seq, input_tokens, cached_tokens, output_tokens, cost_usd,
     cost_source, model, reported_by)
VALUES (%(run_id)s, %(job_id)s, %(attempt)s, %(event_seq)s, %(input_tokens)s,
        %(cached_tokens)s, %(output_tokens)s, %(cost_usd)s, %(cost_source)s, %(model)s,
        %(reported_by)s)
), amount AS (
SELECT coalesce(%(cost_usd)s::numeric, 0) AS usd,
       coalesce(%(input_tokens)s::bigint, 0) + coalesce(%(cached_tokens)s::bigint, 0)
       + coalesce(%(output_tokens)s::bigint, 0) AS tokens
), run_spend AS (
UPDATE striatumd.runs r
SET spent_usd = r.spent_usd + amount.usd, spent_tokens = r.spent_tokens + amount.tokens
FROM amount
WHERE r.run_id = %(run_id)s
RETURNING NULL::text AS lane, r.budget_usd, r.budget_tokens, r.budget_hard AS hard,
          r.spent_usd, r.spent_tokens
), lane_spend AS (
UPDATE striatumd.lane_budgets b
SET spent_usd = b.spent_usd + amount.usd, spent_tokens = b.spent_tokens + amount.tokens
FROM amount, striatumd.jobs j
WHERE j.run_id = %(run_id)s AND j.job_id = %(job_id)s AND b.run_id = j.run_id
  AND b.lane = j.lane
RETURNING b.lane, b.budget_usd, b.budget_tokens, b.hard, b.spent_usd, b.spent_tokens
)
SELECT lane, budget_usd::float8 AS budget_usd, budget_tokens, hard,
       spent_usd::float8 AS spent_usd, spent_tokens
FROM run_spend
UNION ALL
SELECT lane, budget_usd::float8, budget_tokens, hard, spent_usd::float8, spent_tokens
FROM lane_spend;

-- name: spends
-- A run's budget and spend (lane NULL), then each of its lanes' budgets, by lane.
SELECT NULL::text AS lane, budget_usd::float8 AS budget_usd, budget_tokens,
       budget_hard AS hard, spent_usd::float8 AS spent_usd, spent_tokens, 0 AS position
FROM striatumd.runs WHERE run_id = %(run_id)s
UNION ALL
SELECT lane, budget_usd::float8, budget_tokens, hard, spent_usd::float8, spent_tokens, 1
FROM striatumd.lane_budgets WHERE run_id = %(run_id)s
ORDER BY position, lane;

-- name: set_budget
-- A run's new budget (NULL: no limit of that kind) and whether it is hard; its spend.
UPDATE striatumd.runs
SET budget_usd = %(usd)s, budget_tokens = %(tokens)s, budget_hard = %(hard)s
WHERE run_id = %(run_id)s
RETURNING NULL::text AS lane, budget_usd::float8 AS budget_usd, budget_tokens,
          budget_hard AS hard, spent_usd::float8 AS spent_usd, spent_tokens;

-- name: set_lane_budget
-- A lane's budget in a run. A lane given its first budget after its jobs reported usage
-- starts from what they reported (summed once, here); later reports add to it.
INSERT INTO striatumd.lane_budgets
    (run_id, lane, budget_usd, budget_tokens, hard, spent_usd, spent_tokens)
SELECT %(run_id)s, %(lane)s, %(usd)s, %(tokens)s, %(hard)s,
       coalesce(sum(u.cost_usd), 0),
       coalesce(sum(coalesce(u.input_tokens, 0) + coalesce(u.cached_tokens, 0)
                    + coalesce(u.output_tokens, 0)), 0)
FROM striatumd.attempt_usage u
JOIN striatumd.jobs j ON j.run_id = u.run_id AND j.job_id = u.job_id
WHERE u.run_id = %(run_id)s AND j.lane = %(lane)s
ON CONFLICT (run_id, lane) DO UPDATE
SET budget_usd = excluded.budget_usd, budget_tokens = excluded.budget_tokens,
    hard = excluded.hard
RETURNING lane, budget_usd::float8 AS budget_usd, budget_tokens, hard,
          spent_usd::float8 AS spent_usd, spent_tokens;

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
